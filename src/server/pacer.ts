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

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** Below U+0300 every UTF-16 unit is a character of its own (no surrogates, combining marks or joiners). */
function isSimple(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x300) return false;
  return true;
}

/**
 * Cuts text into tokens of `size` characters (a model-like granularity that
 * the tests can predict), never inside a grapheme cluster: a surrogate pair,
 * an emoji sequence or a flag is never split across deltas.
 */
export function tokenize(text: string, size: number, cutCodeUnits = false): string[] {
  const tokens: string[] = [];
  if (cutCodeUnits || isSimple(text)) {
    for (let i = 0; i < text.length; i += size) tokens.push(text.slice(i, i + size));
    return tokens;
  }
  let token = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    token += segment;
    if (++count === size) {
      tokens.push(token);
      token = '';
      count = 0;
    }
  }
  if (token) tokens.push(token);
  return tokens;
}
