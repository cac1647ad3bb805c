import { fingerprint } from '../edit/fingerprint';
import type { Region } from '../edit/regionTracker';

/** Where a stored run sat: what surrounds its region (a run edits only its region), not what the region held. */
export interface RegionAnchor {
  readonly start: number;
  /** Characters after the region, to the end of the document. */
  readonly suffixLength: number;
  readonly prefix: string;
  readonly suffix: string;
}

/** The anchor of `region` in `text`. */
export function anchorOf(text: string, region: Region): RegionAnchor {
  return { start: region.start, suffixLength: text.length - region.end, prefix: fingerprint(text.slice(0, region.start)), suffix: fingerprint(text.slice(region.end)) };
}

/**
 * The region of `anchor` in `text`, whatever the region itself holds now (a
 * reload restores the buffer from a backup written at another moment of the
 * stream than the stored run), or undefined when the text around it changed.
 */
export function findAnchored(text: string, anchor: RegionAnchor): Region | undefined {
  const end = text.length - anchor.suffixLength;
  if (end < anchor.start) return undefined;
  if (fingerprint(text.slice(0, anchor.start)) !== anchor.prefix || fingerprint(text.slice(end)) !== anchor.suffix) return undefined;
  return { start: anchor.start, end };
}
