import { describe, expect, it } from 'vitest';
import { applyDisjointEdits, EditBatch } from '../../../src/core/edit/editBatch';
import { applyEdits, type TextEdit } from '../../../src/core/edit/textEdit';
import { int, seededRandom } from '../support/random';

function randomEdit(random: () => number, length: number): TextEdit {
  const start = int(random, 0, length);
  const end = random() < 0.5 ? start : int(random, start, Math.min(length, start + 6));
  const text = random() < 0.3 ? '' : 'xyz\n'.slice(0, int(random, 1, 4));
  return { start, end, text };
}

describe('EditBatch', () => {
  it('coalesces appends at one point into a single insert', () => {
    const batch = new EditBatch();
    batch.add({ start: 3, end: 3, text: 'ab' });
    batch.add({ start: 5, end: 5, text: 'cd' });
    batch.add({ start: 7, end: 9, text: '' });
    expect(batch.take()).toEqual([{ start: 3, end: 5, text: 'abcd' }]);
    expect(batch.isEmpty).toBe(true);
  });

  it('edits inside inserted text rewrite the insertion only', () => {
    const batch = new EditBatch();
    batch.add({ start: 0, end: 0, text: 'hello' });
    batch.add({ start: 1, end: 4, text: 'EL' });
    expect(batch.take()).toEqual([{ start: 0, end: 0, text: 'hELo' }]);
  });

  it('a shown line typed on before its newline, then the original line dropped, stays one edit', () => {
    // What StreamingDiff sends for a rewritten line: "A\n" shown above the original, the rest typed in before
    // its newline, the original line deleted after it; then the next line the same way.
    const base = 'one\ntwo\n';
    const batch = new EditBatch();
    const sequential: TextEdit[] = [
      { start: 0, end: 0, text: 'O\n' },
      { start: 1, end: 1, text: 'N' },
      { start: 2, end: 2, text: 'E' },
      { start: 4, end: 8, text: '' },
      { start: 4, end: 4, text: 'T\n' },
      { start: 5, end: 5, text: 'WO' },
    ];
    for (const e of sequential) batch.add(e);
    expect(batch.size).toBe(1);
    expect(applyDisjointEdits(base, batch.peek())).toBe(applyEdits(base, sequential));
    batch.add({ start: 8, end: 12, text: '' });
    expect(batch.take()).toEqual([{ start: 0, end: 8, text: 'ONE\nTWO\n' }]);
  });

  it('property: streaming-shaped edits (type on, type before the last characters, peek between) compose to the sequential result', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2_000; i++) {
      const base = 'line one\nline two\nline three\n';
      const batch = new EditBatch();
      const edits: TextEdit[] = [];
      let text = base;
      let at = int(random, 0, 9);
      for (let k = int(random, 1, 30); k > 0; k--) {
        const r = random();
        // Mostly inserts at the write point or a few characters before it; now and then a deletion after it or anywhere.
        const start = r < 0.4 ? at : r < 0.8 ? Math.max(0, at - int(random, 1, 4)) : int(random, 0, text.length);
        const e: TextEdit = r < 0.9 ? { start, end: start, text: ['a', 'bc', '\n', 'd\n'][int(random, 0, 3)]! } : { start, end: Math.min(text.length, start + int(random, 0, 5)), text: '' };
        edits.push(e);
        batch.add(e);
        text = applyEdits(text, [e]);
        at = e.start + e.text.length;
        if (random() < 0.1) expect(applyDisjointEdits(base, batch.peek()), `case ${i} peek`).toBe(text);
      }
      expect(applyDisjointEdits(base, batch.take()), `case ${i}`).toBe(text);
    }
  });

  it('property: composed disjoint edits equal the sequential edits, for 5,000 random batches', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 5_000; i++) {
      const base = 'abcdefghij\nklmnop\nqrstuv'.slice(0, int(random, 0, 24));
      const edits: TextEdit[] = [];
      let length = base.length;
      for (let k = int(random, 1, 8); k > 0; k--) {
        const e = randomEdit(random, length);
        edits.push(e);
        length += e.text.length - (e.end - e.start);
      }
      const batch = new EditBatch();
      for (const e of edits) batch.add(e);
      const composed = batch.take();
      for (let k = 1; k < composed.length; k++) expect(composed[k]!.start).toBeGreaterThanOrEqual(composed[k - 1]!.end);
      expect(applyDisjointEdits(base, composed), `case ${i}`).toBe(applyEdits(base, edits));
    }
  });
});
