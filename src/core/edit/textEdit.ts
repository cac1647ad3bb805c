/**
 * A replacement of `[start, end)` by `text`, in offsets relative to the start
 * of the edited region. A stream of these is *sequential*: each is expressed
 * in the coordinates of the buffer after all earlier ones were applied.
 */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Applies sequential edits to a string. O(total size): for tests and small texts. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of edits) {
    if (e.start < 0 || e.end < e.start || e.end > out.length) {
      throw new RangeError(`edit [${e.start}, ${e.end}) outside text of length ${out.length}`);
    }
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}

/** How much an edit changes the length of the text it applies to. */
export const lengthDelta = (e: TextEdit): number => e.text.length - (e.end - e.start);
