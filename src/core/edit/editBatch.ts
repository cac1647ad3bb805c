import type { TextEdit } from './textEdit';

/**
 * Composes a run of sequential edits into disjoint edits against the buffer as
 * it was when the batch began, which is what one `editor.edit` call takes.
 * Needs no copy of the text: a new edit only ever replaces base text (which
 * it deletes) or text an earlier edit inserted (which the batch holds).
 * Streaming edits cluster at the end, so the backward scan is O(1) typically.
 */
export class EditBatch {
  /** Sorted, disjoint, in base coordinates. */
  private edits: TextEdit[] = [];
  /** Sum of length deltas of all edits: current length - base length. */
  private totalShift = 0;
  /**
   * The end of the last edit's text, kept apart: the last edit's text is
   * `text + tailSuffix`. Streaming writes a shown line as "line\n" and then
   * types on before its newline; inserting into this short suffix never
   * slices (and so never copies) the text before it, which the batch keeps
   * growing for as long as an edit is in flight.
   */
  private tailSuffix = '';

  get isEmpty(): boolean {
    return this.edits.length === 0;
  }

  get size(): number {
    return this.edits.length;
  }

  /** Where the first edit begins (base coordinates), without composing the batch's text. */
  get firstStart(): number | undefined {
    return this.edits[0]?.start;
  }

  add(edit: TextEdit): void {
    if (edit.start === edit.end && edit.text === '') return;
    const list = this.edits;
    // Fast paths for what streaming produces: typing on at the end of the last
    // insertion, or deleting the original text right after it. O(1), and no
    // slicing of the growing text (which would flatten it every token).
    const tail = list[list.length - 1];
    if (tail !== undefined) {
      // totalShift includes the tail's own delta, so this is where its text ends now.
      const tailCurrentEnd = tail.end + this.totalShift;
      if (edit.end === edit.start && edit.start === tailCurrentEnd) {
        // The suffix becomes part of the text (a rope concatenation, no copy); the new text is the suffix now.
        list[list.length - 1] = { start: tail.start, end: tail.end, text: tail.text + this.tailSuffix };
        this.tailSuffix = edit.text;
        this.totalShift += edit.text.length;
        return;
      }
      const inSuffix = edit.start - (tailCurrentEnd - this.tailSuffix.length);
      if (edit.end === edit.start && inSuffix >= 0 && inSuffix < this.tailSuffix.length) {
        this.tailSuffix = this.tailSuffix.slice(0, inSuffix) + edit.text + this.tailSuffix.slice(inSuffix);
        this.totalShift += edit.text.length;
        return;
      }
      if (edit.start === tailCurrentEnd && edit.text === '') {
        const removed = edit.end - edit.start;
        list[list.length - 1] = { start: tail.start, end: tail.end + removed, text: tail.text };
        this.totalShift -= removed;
        return;
      }
    }
    this.settleTail();
    // Walk back from the end while element k may touch [edit.start, edit.end].
    let shiftAfter = this.totalShift; // shift of everything before index `hi`
    let hi = list.length; // elements >= hi lie entirely after the edit
    while (hi > 0) {
      const e = list[hi - 1]!;
      const delta = e.text.length - (e.end - e.start);
      const currentStart = e.start + shiftAfter - delta;
      if (currentStart <= edit.end) break;
      shiftAfter -= delta;
      hi--;
    }
    let lo = hi; // elements in [lo, hi) touch the edit
    let shiftBefore = shiftAfter;
    while (lo > 0) {
      const e = list[lo - 1]!;
      const delta = e.text.length - (e.end - e.start);
      const currentStart = e.start + shiftBefore - delta;
      if (currentStart + e.text.length < edit.start) break;
      shiftBefore -= delta;
      lo--;
    }
    if (lo === hi) {
      list.splice(lo, 0, { start: edit.start - shiftBefore, end: edit.end - shiftBefore, text: edit.text });
      this.totalShift += edit.text.length - (edit.end - edit.start);
      return;
    }
    const first = list[lo]!;
    const last = list[hi - 1]!;
    const firstCurrentStart = first.start + shiftBefore;
    const lastDelta = last.text.length - (last.end - last.start);
    const lastCurrentStart = last.start + shiftAfter - lastDelta;
    const lastCurrentEnd = lastCurrentStart + last.text.length;

    const start = Math.min(first.start, edit.start - shiftBefore);
    const end = Math.max(last.end, edit.end - shiftAfter);
    const prefix = edit.start > firstCurrentStart ? first.text.slice(0, edit.start - firstCurrentStart) : '';
    const suffix = edit.end < lastCurrentEnd ? last.text.slice(edit.end - lastCurrentStart) : '';
    const merged: TextEdit = { start, end, text: prefix + edit.text + suffix };

    let removedShift = 0;
    for (let i = lo; i < hi; i++) removedShift += list[i]!.text.length - (list[i]!.end - list[i]!.start);
    list.splice(lo, hi - lo, merged);
    this.totalShift += merged.text.length - (merged.end - merged.start) - removedShift;
  }

  /** The composed edits (sorted, disjoint, base coordinates), leaving the batch as it is. */
  peek(): readonly TextEdit[] {
    this.settleTail();
    return this.edits;
  }

  /** The composed edits (sorted, disjoint, base coordinates); empties the batch. */
  take(): TextEdit[] {
    this.settleTail();
    const out = this.edits;
    this.edits = [];
    this.totalShift = 0;
    return out;
  }

  /** Gives the last edit its whole text back (before any path that reads or reshapes the edits). */
  private settleTail(): void {
    if (this.tailSuffix === '') return;
    const last = this.edits.length - 1;
    const tail = this.edits[last]!;
    this.edits[last] = { start: tail.start, end: tail.end, text: tail.text + this.tailSuffix };
    this.tailSuffix = '';
  }
}

/** Applies disjoint base-coordinate edits (as one editor.edit call would). */
export function applyDisjointEdits(text: string, edits: readonly TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    if (e.start < at || e.end < e.start || e.end > text.length) throw new RangeError('edits overlap or leave the text');
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
