import type { DocumentChange, Region } from '../edit/regionTracker';
import { computeHunks, HunkSet, hunkId, type Hunk, type HunkSpec } from '../review/hunks';
import type { StreamApplier } from './streamApplier';

/** Above this many characters a region's live hunks are not computed while it streams. */
const MAX_LIVE_HUNK_CHARS = 50_000;
/**
 * …and past this many changed lines the finished part is one block: the
 * diff runs again each time the finished part grows, on the thread that
 * answers the editor's replies.
 */
const MAX_LIVE_HUNK_EDIT_LINES = 200;

/**
 * The changed hunks of one run: while it streams, the finished ones above
 * the frontier (computed from the stream, cached per change of its finished
 * part); once its output has landed, the set under review, tracked over
 * every document change.
 */
export class HunkTracker {
  private review: HunkSet | undefined;
  private liveCache: { output: string; specs: readonly HunkSpec[] } | undefined;

  constructor(
    private readonly runId: string,
    private readonly original: string,
  ) {}

  /** The hunks between the original and what the region reads now: the set under review from here on. */
  startReview(regionText: string, regionStart: number): readonly string[] {
    this.review = new HunkSet(computeHunks(this.original, regionText), regionStart, this.runId);
    return this.review.pending.map((h) => h.id);
  }

  /** Every document change, the run's own included, in order. */
  rebase(changes: readonly DocumentChange[]): void {
    this.review?.rebase(changes);
  }

  /** The hunks under review among `ids`, where they stand now. */
  reviewHunks(ids: readonly string[]): readonly Hunk[] {
    return (this.review?.pending ?? []).filter((h) => ids.includes(h.id));
  }

  /** Takes hunks out of the review set (their Reject is landing): where they stand and their original text. */
  take(ids: readonly string[]): { range: Region; text: string }[] {
    const taken: { range: Region; text: string }[] = [];
    for (const id of ids) {
      const hunk = this.review?.remove(id);
      if (hunk) taken.push({ range: hunk.range, text: hunk.originalText });
    }
    return taken;
  }

  /**
   * While streaming: the hunks of the finished part that are final
   * (unchanged text follows them, so no later line can extend them), in
   * document offsets, leaving out those already accepted.
   */
  liveHunks(applier: StreamApplier, region: Region, accepted: readonly string[]): readonly Hunk[] {
    const finished = applier.finishedPartOf(this.original);
    if (!finished) return [];
    const { output, originalLength } = finished;
    // Bounded: a line diff of the finished part, skipped for huge regions.
    if (output.length + originalLength > MAX_LIVE_HUNK_CHARS) return [];
    // Every view reads the snapshot on every render: diff once per change of the finished part.
    const specs =
      this.liveCache && this.liveCache.output === output
        ? this.liveCache.specs
        : computeHunks(this.original.slice(0, originalLength), output, MAX_LIVE_HUNK_EDIT_LINES).filter((h) => h.end < output.length);
    this.liveCache = { output, specs };
    return specs
      .map((h) => ({ id: hunkId(this.runId, h), range: { start: region.start + h.start, end: region.start + h.end }, originalText: h.originalText }))
      .filter((h) => !accepted.includes(h.id));
  }
}
