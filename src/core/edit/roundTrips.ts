/**
 * The editor's recent edit round trips (an edit call to its reply), shared by
 * every document of a window: how long an edit holds back the next one. A
 * median of the last few, so one slow edit (a garbage collection, a busy
 * renderer) does not move it.
 */
export class RoundTrips {
  private readonly recent: number[] = [];

  constructor(private readonly kept = 9) {}

  record(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > this.kept) this.recent.shift();
  }

  /** The median of the recent round trips; undefined before the first. */
  get typicalMs(): number | undefined {
    if (this.recent.length === 0) return undefined;
    const sorted = [...this.recent].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
