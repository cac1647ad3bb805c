import type { TextEdit } from './textEdit';

/** How far ahead (in lines) a completed output line may find its anchor in the original. */
export const DEFAULT_ANCHOR_WINDOW = 48;

/**
 * Incremental diff between an original region and a model's growing rewrite of it.
 *
 * The buffer is always `resolved + shown + original[oldLine..]`:
 *  - `resolved`: complete output lines, final;
 *  - the *tail*, the output line still being written. While it is a prefix of
 *    the next original line it is "tracking" and costs no edit (an unchanged
 *    line never flickers). Once it diverges it is shown on a line of its own,
 *    above the original line, character by character (`shown` = tail + '\n');
 *  - the original lines not yet consumed.
 *
 * When an output line completes it is anchored to an equal original line at
 * most `window` lines ahead, and the original lines skipped over are deleted;
 * with no anchor, a *similar* next original line is taken as the line it
 * rewrites and deleted. Lines with little content (`}`, blank) anchor only to
 * the very next line, so they cannot swallow a block. Every decision is local,
 * so one delta costs O(delta + window + line) whatever the region size, and
 * the total is O(n). Heuristics only affect how minimal the edits are:
 * `finish()` always leaves the buffer exactly equal to the output.
 */
export class StreamingDiff {
  private readonly oldLines: string[];
  /** oldStarts[i] = offset of old line i in the original; oldStarts[n] = original length. */
  private readonly oldStarts: number[];
  private oldLine = 0;
  private resolvedLength = 0;
  /** The complete output lines so far, as they stand in the buffer (final: review can start on them). */
  private resolvedText = '';
  private tail = '';
  /** Whether the tail is in the buffer (followed by its own '\n'). */
  private shown = false;
  private finished = false;
  /** Characters and lines examined: a machine-independent measure of work. */
  work = 0;

  constructor(
    original: string,
    private readonly window = DEFAULT_ANCHOR_WINDOW,
  ) {
    this.oldLines = splitLinesKeepingEnds(original);
    this.oldStarts = new Array<number>(this.oldLines.length + 1);
    let offset = 0;
    for (let i = 0; i < this.oldLines.length; i++) {
      this.oldStarts[i] = offset;
      offset += this.oldLines[i]!.length;
    }
    this.oldStarts[this.oldLines.length] = offset;
  }

  /** Region offset just past what the model has written so far. */
  get frontier(): number {
    return this.resolvedLength + this.tail.length;
  }

  /**
   * The model's unfinished line as it stands in the buffer (region offset and
   * text with its own newline), when it is shown on a line of its own. A
   * redirect removes it first, so it is never presented to the model as the
   * user's code and never survives beside its finished rewrite.
   */
  get unfinishedLine(): { readonly start: number; readonly text: string } | undefined {
    return this.shown ? { start: this.resolvedLength, text: this.tail + '\n' } : undefined;
  }

  /** What the buffer shows of the output: the finished lines, then the unfinished line when it is on a line of its own. */
  get shownOutput(): string {
    return this.resolvedText + (this.shown ? this.tail : '');
  }

  /** How much of the original the output has not reached yet: a rewrite's remaining work, about. */
  get remainingOriginalLength(): number {
    return this.oldStarts[this.oldLines.length]! - this.oldStarts[this.oldLine]!;
  }

  /** The finished part: the output's complete lines and the original text they replaced. */
  get finishedPart(): { readonly output: string; readonly originalLength: number } {
    return { output: this.resolvedText, originalLength: this.oldStarts[this.oldLine]! };
  }

  /**
   * A finished hunk was put back to its original text while the stream goes
   * on below it: `[start, end)` of the finished output becomes `text`.
   */
  replaceFinished(start: number, end: number, text: string): void {
    if (end > this.resolvedText.length) throw new RangeError('only the finished part can be replaced');
    this.resolvedText = this.resolvedText.slice(0, start) + text + this.resolvedText.slice(end);
    this.resolvedLength += text.length - (end - start);
  }

  /** Feeds a chunk of output; returns the sequential edits that bring the buffer up to date. */
  push(chunk: string): TextEdit[] {
    if (this.finished) throw new Error('StreamingDiff.push after finish');
    const edits: TextEdit[] = [];
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', from);
      if (newline < 0) {
        if (from < chunk.length) this.appendToTail(from === 0 ? chunk : chunk.slice(from), edits);
        return edits;
      }
      if (newline > from) this.appendToTail(chunk.slice(from, newline), edits);
      this.completeLine(edits);
      from = newline + 1;
    }
  }

  /** Ends the stream: the buffer becomes exactly the output. */
  finish(): TextEdit[] {
    if (this.finished) return [];
    this.finished = true;
    const edits: TextEdit[] = [];
    const remainingOld = this.remainingOriginalLength;
    const keepUntil = this.resolvedLength + this.tail.length;
    // Shown: drop the tail's own newline and what is left of the original.
    // Tracking: the next original line starts with the tail; keep that part.
    const end = this.shown ? keepUntil + 1 + remainingOld : this.resolvedLength + remainingOld;
    if (end > keepUntil) edits.push({ start: keepUntil, end, text: '' });
    this.resolvedLength += this.tail.length;
    this.resolvedText += this.tail;
    this.tail = '';
    this.shown = false;
    this.oldLine = this.oldLines.length;
    return edits;
  }

  private appendToTail(text: string, edits: TextEdit[]): void {
    if (!this.shown) {
      const next = this.oldLines[this.oldLine];
      this.work += text.length;
      if (next !== undefined && next.startsWith(text, this.tail.length)) {
        this.tail += text;
        return;
      }
      // Diverged from the original line (or none is left): show the tail on its own line.
      this.tail += text;
      this.shown = true;
      edits.push({ start: this.resolvedLength, end: this.resolvedLength, text: this.tail + '\n' });
      return;
    }
    const at = this.resolvedLength + this.tail.length;
    this.tail += text;
    edits.push({ start: at, end: at, text });
  }

  private completeLine(edits: TextEdit[]): void {
    const line = this.tail + '\n';
    const anchor = this.findAnchor(line);
    const start = this.resolvedLength;
    if (anchor >= 0) {
      // Keep original line `anchor`; drop the shown tail and the original lines before it.
      const shownLength = this.shown ? line.length : 0;
      const skipped = this.oldStarts[anchor]! - this.oldStarts[this.oldLine]!;
      if (shownLength + skipped > 0) edits.push({ start, end: start + shownLength + skipped, text: '' });
      this.oldLine = anchor + 1;
    } else {
      // A new line: already in the buffer when shown, else insert it.
      if (!this.shown) edits.push({ start, end: start, text: line });
      const next = this.oldLines[this.oldLine];
      if (next !== undefined && this.isRewriteOf(line, next)) {
        const at = start + line.length;
        edits.push({ start: at, end: at + next.length, text: '' });
        this.oldLine++;
      }
    }
    this.resolvedLength += line.length;
    this.resolvedText += line;
    this.tail = '';
    this.shown = false;
  }

  private findAnchor(line: string): number {
    const limit = isWeakLine(line) ? Math.min(this.oldLine + 1, this.oldLines.length) : Math.min(this.oldLine + this.window, this.oldLines.length);
    for (let j = this.oldLine; j < limit; j++) {
      this.work++;
      if (this.oldLines[j] === line) return j;
    }
    return -1;
  }

  /** Whether `line` reads as an edited version of `old` (same ends, or same letters in another case). */
  private isRewriteOf(line: string, old: string): boolean {
    const a = line.trim();
    const b = old.trim();
    this.work += Math.min(a.length, b.length);
    if (a.length === 0 || b.length === 0) return false;
    if (a.toLowerCase() === b.toLowerCase()) return true;
    const longest = Math.max(a.length, b.length);
    const shortest = Math.min(a.length, b.length);
    let prefix = 0;
    while (prefix < shortest && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < shortest - prefix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)) suffix++;
    return (prefix + suffix) * 2 >= longest;
  }
}

/** A line with too little content to be a trustworthy anchor far away. */
function isWeakLine(line: string): boolean {
  const trimmed = line.trim();
  return trimmed.length < 4 || !/[A-Za-z0-9]/.test(trimmed);
}

/** Splits after each '\n', keeping it; a final line without one is kept as is. */
export function splitLinesKeepingEnds(text: string): string[] {
  const lines: string[] = [];
  let from = 0;
  for (;;) {
    const newline = text.indexOf('\n', from);
    if (newline < 0) break;
    lines.push(text.slice(from, newline + 1));
    from = newline + 1;
  }
  if (from < text.length) lines.push(text.slice(from));
  return lines;
}
