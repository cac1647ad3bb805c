import { diffLines } from 'diff';
import { describe, expect, it } from 'vitest';
import { computeHunks } from '../../../src/core/review/hunks';
import { int, mutateCode, pick, randomChunks, randomCode, seededRandom } from '../support/random';
import { memoryRun } from '../support/memoryRun';

const CASES = Number(process.env.SPARK_FUZZ_CASES ?? 10_000);
const FIRST_SEED = Number(process.env.SPARK_FUZZ_SEED ?? 1);

/** Puts every hunk's original text back into the rewrite: must give the original. */
const undoHunks = (rewritten: string, hunks: ReturnType<typeof computeHunks>): string =>
  [...hunks].sort((a, b) => b.start - a.start).reduce((t, h) => t.slice(0, h.start) + h.originalText + t.slice(h.end), rewritten);

describe('computeHunks', () => {
  it('finds each changed run of lines once, and never an unchanged line', () => {
    const original = 'a\nb\nc\nd\ne\n';
    const rewritten = 'a\nB\nc\nd\nE\nF\n';
    expect(computeHunks(original, rewritten)).toEqual([
      { start: 2, end: 4, originalStart: 2, originalText: 'b\n' },
      { start: 8, end: 12, originalStart: 8, originalText: 'e\n' },
    ]);
    expect(computeHunks(original, original)).toEqual([]);
    expect(computeHunks('x\ny\n', 'x\n')).toEqual([{ start: 2, end: 2, originalStart: 2, originalText: 'y\n' }]);
  });

  it('matches a reference line diff on random rewrites (2,000 seeded cases)', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const random = seededRandom(seed);
      const original = randomCode(random, int(random, 0, 12));
      const rewritten = random() < 0.2 ? randomCode(random, int(random, 0, 12)) : mutateCode(random, original);
      const hunks = computeHunks(original, rewritten);
      expect(undoHunks(rewritten, hunks), `seed ${seed}`).toBe(original);
      // As many hunks as the reference has runs of changed parts, each a real change.
      let runs = 0;
      let inChange = false;
      for (const part of diffLines(original, rewritten)) {
        if ((part.added || part.removed) && !inChange) runs++;
        inChange = Boolean(part.added || part.removed);
      }
      expect(hunks.length, `seed ${seed}`).toBe(runs);
      for (const h of hunks) {
        expect(rewritten.slice(h.start, h.end) !== h.originalText, `seed ${seed}`).toBe(true);
        expect(original.slice(h.originalStart, h.originalStart + h.originalText.length), `seed ${seed}`).toBe(h.originalText);
      }
    }
  });

  it('past its bound of changed lines, the lines between the common first and last lines are one hunk', () => {
    const lines = Array.from({ length: 4_000 }, (_, i) => `  const value_${i} = compute(${i});\n`);
    const original = `head\n${lines.join('')}tail\n`;
    const rewritten = `head\n${lines.join('').toUpperCase()}tail\n`;
    const hunks = computeHunks(original, rewritten);
    expect(hunks).toEqual([{ start: 5, end: rewritten.length - 5, originalStart: 5, originalText: lines.join('') }]);
    expect(undoHunks(rewritten, hunks)).toBe(original);
    // Past a small bound the one block is what a single change is anyway.
    expect(computeHunks('a\nb\nc\n', 'a\nB\nc\n', 1)).toEqual([{ start: 2, end: 4, originalStart: 2, originalText: 'b\n' }]);
    expect(computeHunks('a\nb\nc\nd\n', 'A\nb\nc\nD\n', 1)).toEqual([{ start: 0, end: 8, originalStart: 0, originalText: 'a\nb\nc\nd\n' }]);
    expect(computeHunks('a\nb', 'a\nB', 0)).toEqual([{ start: 2, end: 3, originalStart: 2, originalText: 'b' }]);
  });

  it('property: giving up before the diff (too many unshared lines) never happens where the bounded diff would have succeeded', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 2_000; i++) {
      const original = randomCode(random, int(random, 0, 30));
      const rewritten = mutateCode(random, original);
      const bound = int(random, 0, 12);
      // Within the bound the hunks are the full diff's; past it, jsdiff gives up too and the one block is the answer.
      if (diffLines(original, rewritten, { maxEditLength: bound }) !== undefined) expect(computeHunks(original, rewritten, bound), `case ${i}`).toEqual(computeHunks(original, rewritten, 1_000_000));
      expect(undoHunks(rewritten, computeHunks(original, rewritten, bound)), `case ${i}`).toBe(original);
    }
  });
});

/** One run into review, then per-hunk decisions in random order with user edits between hunks. */
async function hunkCase(seed: number): Promise<string | undefined> {
  const random = seededRandom(seed);
  const prefix = random() < 0.5 ? 'head\n' : '';
  const suffix = random() < 0.5 ? 'tail\n' : '';
  let region = randomCode(random, int(random, 1, 12));
  if (!region.endsWith('\n')) region += '\n';
  let output = mutateCode(random, region);
  if (!output.endsWith('\n')) output += '\n';
  const { doc, clock, sender, run } = await memoryRun(prefix + region + suffix, { start: prefix.length, end: prefix.length + region.length }, { instruction: 'rewrite' });
  for (const chunk of randomChunks(random, output, int(random, 1, 6))) sender.delta(chunk);
  sender.complete();
  await clock.advance(100);
  if (doc.text !== prefix + output + suffix) return `output not applied: ${JSON.stringify(doc.text)}`;
  const specs = computeHunks(region, output);
  if (specs.length === 0) return run.snapshot.state.phase === 'review' || run.snapshot.state.phase === 'done' ? undefined : `phase ${run.snapshot.state.phase}`;
  if (run.snapshot.hunks.length !== specs.length) return `expected ${specs.length} hunks, got ${run.snapshot.hunks.length}`;

  // A reference model of the document: text and pending hunk ranges, updated by hand.
  let expected = doc.text;
  let pending = run.snapshot.hunks.map((h) => ({ id: h.id, start: h.range.start, end: h.range.end, originalText: h.originalText }));
  const shiftAfter = (at: number, delta: number): void => {
    pending = pending.map((h) => (h.start >= at ? { ...h, start: h.start + delta, end: h.end + delta } : h));
  };
  const order = [...pending].sort(() => random() - 0.5);
  for (const target of order) {
    // The user types somewhere clear of every pending hunk (the text between hunks).
    if (random() < 0.6) {
      const free: number[] = [];
      for (let at = 0; at <= expected.length; at++) if (pending.every((h) => at < h.start || at > h.end)) free.push(at);
      if (free.length > 0) {
        const at = pick(random, free);
        const text = pick(random, ['x', '// note\n', ' ']);
        doc.userEdit(at, 0, text);
        expected = expected.slice(0, at) + text + expected.slice(at);
        shiftAfter(at, text.length);
      }
    }
    const hunk = pending.find((h) => h.id === target.id)!;
    const decision = random() < 0.5 ? 'accept' : 'reject';
    const undoDepth = doc.undoDepth;
    run.decideHunk(hunk.id, decision);
    await clock.advance(50);
    pending = pending.filter((h) => h.id !== hunk.id);
    if (decision === 'reject') {
      expected = expected.slice(0, hunk.start) + hunk.originalText + expected.slice(hunk.end);
      shiftAfter(hunk.end, hunk.originalText.length - (hunk.end - hunk.start));
      if (doc.undoDepth !== undoDepth + 1) return `a hunk reject took ${doc.undoDepth - undoDepth} undo steps`;
    } else if (doc.undoDepth !== undoDepth) {
      return 'accepting a hunk edited the document';
    }
    if (doc.text !== expected) return `after ${decision} ${hunk.id}:\n${JSON.stringify(doc.text)}\nwanted\n${JSON.stringify(expected)}`;
    const tracked = run.snapshot.hunks.map((h) => `${h.id}@${h.range.start}-${h.range.end}`).join(',');
    const reference = pending.map((h) => `${h.id}@${h.start}-${h.end}`).join(',');
    if (tracked !== reference && run.snapshot.state.phase === 'review') return `hunk ranges drifted: ${tracked} vs ${reference}`;
  }
  return run.snapshot.state.phase === 'done' ? undefined : `the last decision should end the review, phase ${run.snapshot.state.phase}`;
}

describe('per-hunk review', () => {
  it(`accept / reject hunks in any order with user edits between them: exactly original-or-model text per hunk, one undo step per reject (${CASES} seeded cases)`, async () => {
    for (let seed = FIRST_SEED; seed < FIRST_SEED + CASES; seed++) {
      const failure = await hunkCase(seed);
      if (failure) throw new Error(`hunk case failed (SPARK_FUZZ_SEED=${seed} SPARK_FUZZ_CASES=1): ${failure}`);
    }
  }, 600_000);

  it('Reject of the whole run restores the true original; after a hunk was decided, only the pending hunks', async () => {
    const { doc, clock, sender, run } = await memoryRun('one\ntwo\nthree\nfour\n', { start: 0, end: 19 });
    sender.delta('ONE\ntwo\nthree\nFOUR\n');
    sender.complete();
    await clock.advance(100);
    expect(run.snapshot.hunks.map((h) => h.originalText)).toEqual(['one\n', 'four\n']);
    doc.userEdit(doc.text.indexOf('three'), 0, 'my ');
    run.decideHunk(run.snapshot.hunks[0]!.id, 'accept');
    run.dispatch({ type: 'reject' });
    await clock.advance(100);
    expect(doc.text).toBe('ONE\ntwo\nmy three\nfour\n');
  });

  it('while the stream goes on: a finished hunk above the frontier can be rejected or accepted, and the rest streams in below', async () => {
    const original = 'let x = 1;\nkeep one\nuse(x);\nkeep two\nlog(x);\nkeep three\n';
    const output = original.replace(/\bx\b/g, 'y');
    const { doc, clock, sender, run } = await memoryRun(original, { start: 0, end: original.length });
    // Up to and including "keep two": the first two hunks are final (unchanged lines follow them).
    sender.delta(output.slice(0, output.indexOf('log(')));
    await clock.advance(20);
    expect(run.snapshot.state.phase).toBe('streaming');
    const live = run.snapshot.hunks;
    expect(live.map((h) => h.originalText)).toEqual(['let x = 1;\n', 'use(x);\n']);
    run.decideHunk(live[0]!.id, 'reject');
    run.decideHunk(live[1]!.id, 'accept');
    await clock.advance(20);
    expect(run.snapshot.hunks).toEqual([]);
    expect(doc.text.startsWith('let x = 1;\nkeep one\nuse(y);\nkeep two\n')).toBe(true);
    sender.delta(output.slice(output.indexOf('log(')));
    sender.complete();
    await clock.advance(100);
    expect(doc.text).toBe('let x = 1;\nkeep one\nuse(y);\nkeep two\nlog(y);\nkeep three\n');
    expect(run.snapshot.state.phase).toBe('review');
    expect(run.snapshot.hunks.map((h) => h.originalText)).toEqual(['log(x);\n']);
    doc.undo();
    expect(doc.text).toBe(original);
  });
});
