import { splitLinesKeepingEnds } from '../streamingDiff';
import type { TextEdit } from '../textEdit';
import { findHeader, linesMatch, MATCH_LEVELS, seekLines, type MatchLevel } from './patchMatch';
import { PatchError, PatchStreamParser, type PatchEvent } from './patchParser';

type Op = { readonly kind: 'context' | 'remove'; readonly text: string } | { readonly kind: 'add'; readonly text: string; readonly done: boolean };

/** The hunk being read: its header, its old lines, and (until it is located) its operations. */
interface Hunk {
  readonly number: number;
  readonly header: string | undefined;
  readonly old: string[];
  readonly waiting: Op[];
  level: MatchLevel | undefined;
}

const lineText = (line: string): string => line.replace(/\r?\n$/, '');

/**
 * Applies a streaming apply_patch answer to a region, as region edits, the
 * moment each hunk is located: its removed lines disappear and its added lines
 * appear token by token where they belong. A hunk is located by its old lines
 * (context and removed) as soon as they match one place only, at or after the
 * previous hunk (see patchMatch.ts); until then its operations wait. A hunk
 * that cannot be located, or is ambiguous when it ends, or whose lines stop
 * matching where it was located, stops the patch with a PatchError (`error`)
 * and nothing more is applied: never a guess. The edits made before it stand.
 *
 * The buffer is always `base[0..cursor)` as patched, then the removed lines
 * still shown (`removing`), then `base[cursor..]` untouched;
 * `offset` is where the removed lines (or `base[cursor]`) now start.
 */
export class PatchApplier {
  private readonly parser = new PatchStreamParser();
  private readonly base: string[];
  private readonly baseText: string[];
  private cursor = 0;
  private offset = 0;
  private hunk: Hunk | undefined;
  private hunks = 0;
  /** The added line being written, shown on a line of its own (with its line ending) once it has text. */
  private partial: string | undefined;
  /** Why the patch stopped applying; nothing more is applied after it. */
  private failure: PatchError | undefined;
  /**
   * The lengths of removed lines still in the buffer, just after `offset`: a
   * removed line goes when an added line is finished in its place (the new
   * line appears above the old, as in a rewrite), and the rest when the
   * hunk's change is over (a context line, the next hunk, the end).
   */
  private removing: number[] = [];

  constructor(
    original: string,
    private readonly eol: '\n' | '\r\n',
  ) {
    this.base = splitLinesKeepingEnds(original);
    this.baseText = this.base.map(lineText);
  }

  /** Region offset just past what the patch has written so far. */
  get frontier(): number {
    return this.offset + (this.partial?.length ?? 0);
  }

  /** The added line being written, as it stands in the buffer (a redirect takes it out). */
  get unfinishedLine(): { readonly start: number; readonly text: string } | undefined {
    return this.partial !== undefined ? { start: this.offset, text: this.partial + this.eol } : undefined;
  }

  /** Why the patch could not be applied, once it could not: the edits before it stand, none after it. */
  get error(): PatchError | undefined {
    return this.failure;
  }

  push(text: string): TextEdit[] {
    return this.guarded((edits) => this.apply(this.parser.push(text), edits));
  }

  /** The answer is complete: the last hunk is located (or fails) and the patch must have been well formed. */
  finish(): TextEdit[] {
    return this.guarded((edits) => {
      this.apply(this.parser.finish(), edits);
      if (this.hunk) this.closeHunk(edits);
    });
  }

  /** Runs one step; a PatchError stops the patch but keeps the edits made before it. */
  private guarded(step: (edits: TextEdit[]) => void): TextEdit[] {
    const edits: TextEdit[] = [];
    if (this.failure) return edits;
    try {
      step(edits);
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      this.failure = error;
      // What the hunk had replaced before the error stays replaced.
      this.flushRemovals(edits);
    }
    return edits;
  }

  private apply(events: readonly PatchEvent[], edits: TextEdit[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'hunk':
          if (this.hunk) this.closeHunk(edits);
          this.hunk = { number: ++this.hunks, header: event.header, old: [], waiting: [], level: undefined };
          break;
        case 'end':
          if (this.hunk) this.closeHunk(edits);
          break;
        case 'context':
        case 'remove':
        case 'add':
          this.op(event.type === 'add' ? { kind: 'add', text: event.text, done: event.done } : { kind: event.type, text: event.text }, edits);
          break;
      }
    }
  }

  private op(op: Op, edits: TextEdit[]): void {
    const hunk = this.hunk;
    if (!hunk) throw new PatchError('the patch has a line outside any hunk');
    if (hunk.level !== undefined) {
      this.run(op, hunk, edits);
      return;
    }
    hunk.waiting.push(op);
    if (op.kind === 'add') return;
    hunk.old.push(op.text);
    const start = this.candidates(hunk);
    if (start !== undefined) this.locate(hunk, start.line, start.level, edits);
  }

  /** Where the hunk's old lines so far match: the one place they do, or undefined while there are several. Throws when there is none. */
  private candidates(hunk: Hunk, ending = false): { line: number; level: MatchLevel } | undefined {
    let from = this.cursor;
    if (hunk.header !== undefined) {
      const at = findHeader(this.baseText, hunk.header, this.cursor);
      if (at === undefined) throw new PatchError(`hunk ${hunk.number}: its header "${hunk.header}" is not in the region`);
      from = at + 1;
    }
    const { level, starts } = seekLines(this.baseText, hunk.old, from);
    if (level === undefined) {
      throw new PatchError(`hunk ${hunk.number}: its context does not match the region${this.hunks > 1 ? ' after the previous hunk' : ''} ("${hunk.old[0]?.slice(0, 60) ?? ''}"…)`);
    }
    if (starts.length === 1) return { line: starts[0]!, level };
    if (!ending) return undefined;
    // A header narrows the search to what follows it, and the first place after it wins, as apply_patch does.
    if (hunk.header !== undefined) return { line: starts[0]!, level };
    throw new PatchError(`hunk ${hunk.number}: its context matches ${starts.length} places in the region; the patch is ambiguous`);
  }

  /** The hunk is at base line `line`: the untouched lines before it are passed over and its waiting operations run. */
  private locate(hunk: Hunk, line: number, level: MatchLevel, edits: TextEdit[]): void {
    for (; this.cursor < line; this.cursor++) this.offset += this.base[this.cursor]!.length;
    hunk.level = level;
    const waiting = hunk.waiting.splice(0);
    for (const op of waiting) this.run(op, hunk, edits);
  }

  private closeHunk(edits: TextEdit[]): void {
    const hunk = this.hunk!;
    this.hunk = undefined;
    if (hunk.level === undefined && hunk.old.length === 0) {
      // Only added lines: after the header's line when there is one, else at the end of the region.
      const header = hunk.header !== undefined ? findHeader(this.baseText, hunk.header, this.cursor) : undefined;
      if (hunk.header !== undefined && header === undefined) throw new PatchError(`hunk ${hunk.number}: its header "${hunk.header}" is not in the region`);
      this.locate(hunk, header !== undefined ? header + 1 : this.base.length, 'exact', edits);
    } else if (hunk.level === undefined) {
      const start = this.candidates(hunk, true)!;
      this.locate(hunk, start.line, start.level, edits);
    }
    if (this.partial !== undefined) this.run({ kind: 'add', text: '', done: true }, hunk, edits);
    this.flushRemovals(edits);
  }

  /** The removed lines still shown go now. */
  private flushRemovals(edits: TextEdit[]): void {
    const length = this.removing.reduce((n, l) => n + l, 0);
    this.removing = [];
    if (length > 0) edits.push({ start: this.offset, end: this.offset + length, text: '' });
  }

  /** An added line is finished: the first removed line still shown goes (it is the line the new one replaces). */
  private replaceOne(edits: TextEdit[]): void {
    const length = this.removing.shift();
    if (length !== undefined) edits.push({ start: this.offset, end: this.offset + length, text: '' });
  }

  /** One operation of a located hunk, at the cursor. */
  private run(op: Op, hunk: Hunk, edits: TextEdit[]): void {
    if (op.kind === 'add') {
      if (this.partial === undefined) {
        if (op.done) {
          edits.push({ start: this.offset, end: this.offset, text: op.text + this.eol });
          this.offset += op.text.length + this.eol.length;
          this.replaceOne(edits);
          return;
        }
        if (op.text.length === 0) return;
        // The line being written stands on a line of its own, above the region's next line.
        edits.push({ start: this.offset, end: this.offset, text: op.text + this.eol });
        this.partial = op.text;
        return;
      }
      if (op.text.length > 0) edits.push({ start: this.offset + this.partial.length, end: this.offset + this.partial.length, text: op.text });
      this.partial += op.text;
      if (op.done) {
        this.offset += this.partial.length + this.eol.length;
        this.partial = undefined;
        this.replaceOne(edits);
      }
      return;
    }
    const at = this.cursor;
    const line = this.base[at];
    // Located by its first lines, the hunk may need a looser level further down (a line with trailing spaces): the rules allow it at this place.
    const level = line === undefined ? undefined : MATCH_LEVELS.slice(MATCH_LEVELS.indexOf(hunk.level!)).find((l) => linesMatch(this.baseText[at]!, op.text, l));
    if (level === undefined) {
      throw new PatchError(`hunk ${hunk.number}: "${op.text.slice(0, 60)}" does not match line ${at + 1} of the region ("${(this.baseText[at] ?? '(end of the region)').slice(0, 60)}")`);
    }
    hunk.level = level;
    this.cursor++;
    if (op.kind === 'remove') {
      this.removing.push(line!.length);
      return;
    }
    // Unchanged context: the change before it is complete.
    this.flushRemovals(edits);
    this.offset += line!.length;
  }
}
