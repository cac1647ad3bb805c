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
