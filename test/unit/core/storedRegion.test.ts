import { describe, expect, it } from 'vitest';
import { StreamingDiff } from '../../../src/core/edit/streamingDiff';
import { applyEdits } from '../../../src/core/edit/textEdit';
import { anchorOf, findAnchored, laterMomentThan } from '../../../src/core/review/storedRegion';
import { int, mutateCode, randomCode, seededRandom } from '../support/random';

const before = 'head 1\nhead 2\n';
const after = 'tail 1\ntail 2\n';
const stored = `${before}LINE ONE\nLINE TWO\nline three\n${after}`;
const anchor = anchorOf(stored, { start: before.length, end: stored.length - after.length });

describe('a stored run found again after a reload', () => {
  it('whatever moment of the stream the restored buffer shows: a half line, fewer or more lines, the original', () => {
    for (const region of ['LINE ONE\nLINE TW\nline two\nline three\n', 'LINE ONE\nline two\nline three\n', 'LINE ONE\nLINE TWO\nLINE THREE\n', 'line one\nline two\nline three\n', '']) {
      const text = before + region + after;
      expect(findAnchored(text, anchor)).toEqual({ start: before.length, end: before.length + region.length });
    }
  });

  it('not when the text around it changed (the user edited outside, the file changed on disk)', () => {
    expect(findAnchored(`x${stored}`, anchor)).toBeUndefined();
    expect(findAnchored(stored.replace('tail 2', 'tail two'), anchor)).toBeUndefined();
    expect(findAnchored('short', anchor)).toBeUndefined();
  });
});

/** Every moment of a stream of `chunks` over `original`: the region's text, and what the stream had shown (see laterMomentThan). */
function momentsOf(original: string, chunks: readonly string[]): { text: string; streamed: string }[] {
  const diff = new StreamingDiff(original);
  let text = original;
  const moments = [{ text, streamed: '' }];
  for (const chunk of chunks) {
    text = applyEdits(text, diff.push(chunk));
    moments.push({ text, streamed: diff.shownOutput });
  }
  return moments;
}

describe('a reloaded buffer older than the stored stream', () => {
  const original = 'export function fn100() {}\nexport function fn101() {}\nexport function fn102() {}\n';
  const streamed = 'EXPORT FUNCTION FN100() {}\nEXPORT FUNCTION FN101() {}\nEXPORT F';
  const latest = `${streamed}\nexport function fn102() {}\n`;

  it('the reported case: a backup with the first line half-written, or none of the stream, gets the latest moment of the stream', () => {
    expect(laterMomentThan(`EXPORT FUNCTION FN10\n${original}`, original, streamed)).toBe(latest);
    expect(laterMomentThan(original, original, streamed)).toBe(latest);
    expect(laterMomentThan(`EXPORT FUNCTION FN100() {}\n${original.slice(27)}`, original, streamed)).toBe(latest);
  });

  it('not the latest moment itself, nor a buffer holding an edit of the user', () => {
    expect(laterMomentThan(latest, original, streamed)).toBeUndefined();
    expect(laterMomentThan(`EXPORT FUNCTION FN1000\n${original}`, original, streamed)).toBeUndefined();
    expect(laterMomentThan(`EXPORT FUNCTION FN10\n${original.replace('fn102', 'fn1020')}`, original, streamed)).toBeUndefined();
    // A line of the original below the stream deleted, a finished line deleted.
    expect(laterMomentThan(`EXPORT FUNCTION FN10\n${original.slice(0, 27)}${original.slice(54)}`, original, streamed)).toBeUndefined();
    expect(laterMomentThan(original.slice(27), original, streamed)).toBeUndefined();
  });

  it('property: of two moments of one stream, the later is put back over the earlier, never the earlier over a later text', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const region = randomCode(random, int(random, 0, 8));
      const rewrite = random() < 0.15 ? randomCode(random, int(random, 0, 6)) : mutateCode(random, region);
      // A character at a time: every moment the buffer can be backed up at.
      const moments = momentsOf(region, [...rewrite]);
      const sample = (from: number, to: number): number[] => Array.from({ length: Math.min(6, to - from) }, () => int(random, from, to - 1));
      for (let j = 0; j < moments.length; j++) {
        const later = moments[j]!;
        for (const i of sample(0, j)) {
          const earlier = moments[i]!;
          const context = JSON.stringify({ seed, region, rewrite, earlier: earlier.text, later: later.text });
          expect(laterMomentThan(earlier.text, region, later.streamed), context).toBe(earlier.text === later.text ? undefined : later.text);
        }
        // A buffer that is no earlier moment (a later one, or one the user edited) gets nothing, unless its text happens to be one.
        const before = new Set(moments.slice(0, j + 1).map((m) => m.text));
        for (const other of [...sample(j + 1, moments.length).map((k) => moments[k]!.text), userEdit(random, later.text)]) {
          const put = laterMomentThan(other, region, later.streamed);
          if (put !== undefined) {
            expect(before.has(other), JSON.stringify({ seed, region, rewrite, other, later: later.text })).toBe(true);
            expect(put).toBe(later.text);
          }
        }
      }
    }
  });
});

/** One keystroke of the user: a character typed or deleted somewhere in `text`. */
function userEdit(random: () => number, text: string): string {
  const at = int(random, 0, text.length);
  return random() < 0.5 && at < text.length ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + 'x' + text.slice(at);
}
