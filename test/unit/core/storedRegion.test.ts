import { describe, expect, it } from 'vitest';
import { anchorOf, findAnchored } from '../../../src/core/review/storedRegion';

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
