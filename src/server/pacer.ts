/**
 * Releases tokens on an absolute schedule: token i is due at
 * start + ttft + i / rate, and every tick sends all tokens that are due.
 * Timers never drift (lateness is caught up on the next tick, not
 * accumulated), and rates far above the timer resolution work.
 */
export class Pacer {
  private readonly start: number;
  private readonly gapMs: number;

  constructor(now: number, ttftMs: number, tokensPerSecond: number) {
    this.start = now + ttftMs;
    this.gapMs = 1000 / tokensPerSecond;
  }

  /** When token `index` is due. */
  dueAt(index: number): number {
    return this.start + index * this.gapMs;
  }

  /** How many tokens from `sent` on are due at `now` (at most `remaining`). */
  dueCount(sent: number, remaining: number, now: number): number {
    if (remaining <= 0) return 0;
    const elapsed = now - this.start;
    if (elapsed < 0) return 0;
    const due = Math.floor(elapsed / this.gapMs) + 1 - sent;
    return Math.max(0, Math.min(remaining, due));
  }
}

/** Cuts text into tokens of `size` characters (a model-like granularity that the tests can predict). */
export function tokenize(text: string, size: number): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < text.length; i += size) tokens.push(text.slice(i, i + size));
  return tokens;
}
