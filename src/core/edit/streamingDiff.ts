import type { TextEdit } from './textEdit';

/** How far ahead (in lines) a completed output line may find its anchor in the original. */
export const DEFAULT_ANCHOR_WINDOW = 48;

/**
 * Incremental diff between an original region and a model's growing rewrite of it.
 *
 * The buffer is always `resolved + shownTail + original[oldLine..]`:
 *  - `resolved`: complete output lines, final;
 *  - the *tail*: the output line still being written. While it is a prefix of
 *    the next original line it is "tracking" and costs no edit (an unchanged
 *    line never flickers); once it diverges it is shown, character by character;
 *  - the original lines not yet consumed.
 *
 * When an output line completes it is anchored to an equal original line at
 * most `window` lines ahead; the original lines skipped over are deleted.
 * Lines with little content (`}`, blank) anchor only to the very next line, so
 * they cannot swallow a block. Every decision is local, so the cost of one
 * delta is O(delta + window) whatever the region size, and the total is O(n).
 * Heuristics only affect how minimal the edits are: `finish()` always leaves
 * the buffer exactly equal to the output.
 */
export class StreamingDiff {
  private readonly oldLines: string[];
  /** oldStarts[i] = offset of old line i in the original; oldStarts[n] = original length. */
  private readonly oldStarts: number[];
  private oldLine = 0;
  private resolvedLength = 0;
  private tail = '';
  private shownLength = 0;
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
    return this.resolvedLength + (this.shownLength > 0 ? this.shownLength : this.tail.length);
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
    const remainingOld = this.remainingOldLength();
    if (this.shownLength > 0 || this.tail.length === 0) {
      const at = this.resolvedLength + this.shownLength;
      if (remainingOld > 0) edits.push({ start: at, end: at + remainingOld, text: '' });
    } else {
      // Tracking: the next original line starts with the tail; keep that part.
      const at = this.resolvedLength + this.tail.length;
      const end = this.resolvedLength + remainingOld;
      if (end > at) edits.push({ start: at, end, text: '' });
    }
    this.resolvedLength += this.tail.length;
    this.tail = '';
    this.shownLength = 0;
    this.oldLine = this.oldLines.length;
    return edits;
  }

  private remainingOldLength(): number {
    return this.oldStarts[this.oldLines.length]! - this.oldStarts[this.oldLine]!;
  }

  private appendToTail(text: string, edits: TextEdit[]): void {
    if (this.shownLength === 0) {
      const next = this.oldLines[this.oldLine];
      this.work += text.length;
      if (next !== undefined && next.startsWith(text, this.tail.length)) {
        this.tail += text;
        return;
      }
      // Diverged from the original line (or none is left): show the whole tail.
      this.tail += text;
      this.shownLength = this.tail.length;
      edits.push({ start: this.resolvedLength, end: this.resolvedLength, text: this.tail });
      return;
    }
    const at = this.resolvedLength + this.shownLength;
    this.tail += text;
    this.shownLength += text.length;
    edits.push({ start: at, end: at, text });
  }

  private completeLine(edits: TextEdit[]): void {
    const line = this.tail + '\n';
    const anchor = this.findAnchor(line);
    const start = this.resolvedLength;
    if (anchor >= 0) {
      // Keep original line `anchor`; drop the shown tail and the original lines before it.
      const skipped = this.oldStarts[anchor]! - this.oldStarts[this.oldLine]!;
      if (this.shownLength + skipped > 0) edits.push({ start, end: start + this.shownLength + skipped, text: '' });
      this.oldLine = anchor + 1;
    } else if (this.shownLength > 0) {
      edits.push({ start: start + this.shownLength, end: start + this.shownLength, text: '\n' });
    } else {
      edits.push({ start, end: start, text: line });
    }
    this.resolvedLength += line.length;
    this.tail = '';
    this.shownLength = 0;
  }

  private findAnchor(line: string): number {
    const limit = isWeakLine(line) ? Math.min(this.oldLine + 1, this.oldLines.length) : Math.min(this.oldLine + this.window, this.oldLines.length);
    for (let j = this.oldLine; j < limit; j++) {
      this.work++;
      if (this.oldLines[j] === line) return j;
    }
    return -1;
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
