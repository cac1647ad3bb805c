/** A change as the document reports it: `[offset, offset + length)` replaced by `text`. */
export interface DocumentChange {
  readonly offset: number;
  readonly length: number;
  readonly text: string;
}

/** Where a change fell relative to a region. */
export type ChangePlacement = 'before' | 'after' | 'inside' | 'overlapping';

export interface Region {
  readonly start: number;
  readonly end: number;
}

export function placeChange(region: Region, change: DocumentChange): ChangePlacement {
  const changeEnd = change.offset + change.length;
  // Text inserted exactly at a boundary lies outside the region, even an empty
  // one: a region never absorbs the user's text, so Reject can never remove it.
  const nonEmpty = region.end > region.start;
  if (changeEnd < region.start || (changeEnd === region.start && (change.length > 0 || nonEmpty))) return 'before';
  if (change.offset >= region.end) return 'after';
  if (change.offset >= region.start && changeEnd <= region.end) return 'inside';
  return 'overlapping';
}

/**
 * Whether two regions share text: one definition for "already editing that
 * range" everywhere. Regions that only touch do not overlap; an empty region
 * overlaps a region it lies strictly inside.
 */
export function regionsOverlap(a: Region, b: Region): boolean {
  if (Math.max(a.start, b.start) < Math.min(a.end, b.end)) return true;
  const inside = (point: number, r: Region): boolean => r.start < point && point < r.end;
  return (a.start === a.end && inside(a.start, b)) || (b.start === b.end && inside(b.start, a));
}

/**
 * Rebases a region over one document change. A change inside the region, or
 * one that straddles its boundary, becomes part of it (the region covers what
 * the user wrote over it); text inserted exactly at either edge stays outside,
 * so the region never absorbs text typed beside it and Reject never removes it.
 */
export function rebaseRegion(region: Region, change: DocumentChange, absorbEdges = false): Region {
  const delta = change.text.length - change.length;
  const changeEnd = change.offset + change.length;
  // Undo and Redo put back text the run wrote, at its edges too: a caller that can tell (by the text) asks for this reading.
  if (absorbEdges && change.length === 0 && (change.offset === region.start || change.offset === region.end)) return { start: region.start, end: region.end + delta };
  switch (placeChange(region, change)) {
    case 'before':
      return { start: region.start + delta, end: region.end + delta };
    case 'after':
      return region;
    case 'inside':
      return { start: region.start, end: region.end + delta };
    case 'overlapping': {
      const start = Math.min(region.start, change.offset);
      const end = Math.max(region.end, changeEnd) + delta;
      return { start, end };
    }
  }
}

/** Rebases a region over the changes of one document event (VS Code reports them against the pre-event text, non-overlapping). */
export function rebaseRegionOverChanges(region: Region, changes: readonly DocumentChange[], absorbEdges = false): Region {
  // Apply from the last change to the first, so earlier offsets stay valid.
  const sorted = [...changes].sort((a, b) => b.offset - a.offset);
  return sorted.reduce((r, c) => rebaseRegion(r, c, absorbEdges), region);
}
