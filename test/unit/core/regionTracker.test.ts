import { describe, expect, it } from 'vitest';
import { placeChange, rebaseRegion, rebaseRegionOverChanges } from '../../../src/core/edit/regionTracker';

const region = { start: 10, end: 20 };

describe('region tracking', () => {
  it('places changes before, inside, after and across the region', () => {
    expect(placeChange(region, { offset: 2, length: 3, text: '' })).toBe('before');
    expect(placeChange(region, { offset: 10, length: 0, text: 'x' })).toBe('before');
    expect(placeChange(region, { offset: 12, length: 2, text: 'x' })).toBe('inside');
    expect(placeChange(region, { offset: 20, length: 0, text: 'x' })).toBe('after');
    expect(placeChange(region, { offset: 25, length: 1, text: '' })).toBe('after');
    expect(placeChange(region, { offset: 8, length: 4, text: '' })).toBe('overlapping');
    expect(placeChange({ start: 5, end: 5 }, { offset: 5, length: 0, text: 'x' })).toBe('after');
  });

  it('shifts for edits before, grows for edits inside, ignores edits after', () => {
    expect(rebaseRegion(region, { offset: 0, length: 0, text: 'abc' })).toEqual({ start: 13, end: 23 });
    expect(rebaseRegion(region, { offset: 0, length: 5, text: '' })).toEqual({ start: 5, end: 15 });
    expect(rebaseRegion(region, { offset: 15, length: 1, text: 'four' })).toEqual({ start: 10, end: 23 });
    expect(rebaseRegion(region, { offset: 30, length: 1, text: 'four' })).toEqual(region);
  });

  it('absorbs a change that crosses a boundary', () => {
    expect(rebaseRegion(region, { offset: 5, length: 10, text: 'xy' })).toEqual({ start: 5, end: 12 });
    expect(rebaseRegion(region, { offset: 18, length: 5, text: '' })).toEqual({ start: 10, end: 18 });
  });

  it('counts text inserted at either edge in only when asked (an Undo putting back what the run wrote there)', () => {
    const region = { start: 6, end: 12 };
    const atEnd = { offset: 12, length: 0, text: 'GAMMA\n' };
    const atStart = { offset: 6, length: 0, text: '>' };
    expect(rebaseRegion(region, atEnd)).toEqual(region);
    expect(rebaseRegion(region, atEnd, true)).toEqual({ start: 6, end: 18 });
    expect(rebaseRegion(region, atStart)).toEqual({ start: 7, end: 13 });
    expect(rebaseRegion(region, atStart, true)).toEqual({ start: 6, end: 13 });
    expect(rebaseRegionOverChanges(region, [atStart, atEnd], true)).toEqual({ start: 6, end: 19 });
  });

  it('rebases over a multi-change event given in pre-event offsets', () => {
    const changes = [
      { offset: 0, length: 0, text: 'ab' },
      { offset: 15, length: 0, text: 'cd' },
    ];
    expect(rebaseRegionOverChanges(region, changes)).toEqual({ start: 12, end: 24 });
  });
});
