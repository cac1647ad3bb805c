import { fingerprint } from '../edit/fingerprint';
import { StreamingDiff, splitLinesKeepingEnds } from '../edit/streamingDiff';
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

/**
 * The region's text at the latest moment of a stream over `original` that
 * had shown `streamed` (its finished lines, then the part of its unfinished
 * line on screen), when `now` is the region at an earlier moment of the same
 * stream; else undefined. The editor's backup and the run store are written
 * at different times, so a reload may restore a buffer older than the
 * stream's last stored moment: this says when the buffer is provably that,
 * by replaying the stream through the same diff, and what to put back.
 * A buffer that is no moment of the stream (an edit of the user, say) or the
 * latest one gets undefined: it is kept as it is.
 */
export function laterMomentThan(now: string, original: string, streamed: string): string | undefined {
  const diff = new StreamingDiff(original);
  let earlier = false;
  for (const line of splitLinesKeepingEnds(streamed)) {
    if (!earlier) earlier = isMomentBefore(now, line, diff, original);
    diff.push(line);
  }
  const { output, originalLength } = diff.finishedPart;
  const latest = output + (diff.unfinishedLine?.text ?? '') + original.slice(originalLength);
  return earlier && now !== latest ? latest : undefined;
}

/**
 * Whether `now` is the buffer of `diff` as it stands, or with the start of
 * `line` (the next output line) written: that is on a line of its own once it
 * stopped being the start of the original line below.
 */
function isMomentBefore(now: string, line: string, diff: StreamingDiff, original: string): boolean {
  const { output: finished, originalLength } = diff.finishedPart;
  const unconsumed = original.length - originalLength;
  const endsWithUnconsumed = (): boolean => now.endsWith(original.slice(originalLength));
  if (now.length === finished.length + unconsumed) return now.startsWith(finished) && endsWithUnconsumed();
  const written = now.length - finished.length - unconsumed - 1;
  const content = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (written <= 0 || written > content.length) return false;
  const shown = content.slice(0, written);
  const nextLineEnd = original.indexOf('\n', originalLength);
  const below = original.slice(originalLength, nextLineEnd < 0 ? original.length : nextLineEnd + 1);
  return !below.startsWith(shown) && now.startsWith(finished) && now.startsWith(shown, finished.length) && now[finished.length + written] === '\n' && endsWithUnconsumed();
}
