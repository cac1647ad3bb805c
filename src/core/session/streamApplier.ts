import { OutputNormalizer } from '../edit/outputFilters';
import { PatchApplier } from '../edit/patch/patchApplier';
import { StreamingDiff } from '../edit/streamingDiff';
import type { TextEdit } from '../edit/textEdit';

/** What the model answers with: the region rewritten whole, or a patch against it (see patch/patchApplier.ts). */
export type AnswerFormat = 'rewrite' | 'patch';

/**
 * The stream being applied to one run's region: its incremental diff (or
 * patch applier) and output normaliser, and the output so far (a resume
 * sends it back). Turns output text into region edits; holds no document
 * and decides nothing. A patch that cannot be applied stops applying and
 * says why (`failure`).
 */
export class StreamApplier {
  private diff: StreamingDiff | PatchApplier | undefined;
  private normalizer: OutputNormalizer | undefined;
  /** The text the current stream is diffed against (the region as it was shown when the stream began). */
  private baseText: string | undefined;
  /** `preview` apply mode: the output lands at once when the model finishes. */
  private held = '';
  /** Output that arrived before the stream's base was known (a steer's successor while an edit was in flight). */
  private early: string[] | undefined;
  /** The code text of the stream, as it arrived. */
  private output = '';
  /** A failure found by `finish`, after the diff was let go. */
  private finishedFailure: string | undefined;

  constructor(
    private readonly eol: '\n' | '\r\n',
    private readonly applyMode: 'stream' | 'preview',
    private readonly format: AnswerFormat = 'rewrite',
  ) {}

  /** A new stream, diffed against `regionText`; output that arrived early is fed now. Returns the edits that output makes. */
  begin(regionText: string): TextEdit[] {
    this.diff = this.format === 'patch' ? new PatchApplier(regionText, this.eol) : new StreamingDiff(regionText);
    this.finishedFailure = undefined;
    this.normalizer = new OutputNormalizer(this.eol, /\r?\n$/.test(regionText));
    this.baseText = regionText;
    this.held = '';
    this.output = '';
    const early = this.early ?? [];
    this.early = undefined;
    return early.flatMap((text) => this.append(text));
  }

  /** A new stream whose base is not known yet: its output is kept until `begin`. */
  beginLater(): void {
    this.diff = undefined;
    this.normalizer = undefined;
    this.early = [];
  }

  /** Why the stream's answer could not be applied (a patch that does not fit), once it could not. */
  get failure(): string | undefined {
    return this.diff instanceof PatchApplier ? this.diff.error?.message : this.finishedFailure;
  }

  /** Whether a stream is being applied (its output turns into edits). */
  get active(): boolean {
    return this.diff !== undefined;
  }

  /** The code text of the current stream so far, as it arrived. */
  get outputSoFar(): string {
    return this.output;
  }

  /** How much of its base a line-by-line rewrite has not reached yet; undefined for a patch or a preview, which land whole. */
  get remainingBaseLength(): number | undefined {
    return this.diff instanceof StreamingDiff && this.applyMode === 'stream' ? this.diff.remainingOriginalLength : undefined;
  }

  /** Region offset the model has written up to (for the live marker). */
  get frontier(): number {
    return this.diff?.frontier ?? 0;
  }

  /** The stream's finished lines and the base text they replaced, when the stream rewrites `original` itself. */
  finishedPartOf(original: string): { readonly output: string; readonly originalLength: number } | undefined {
    // A patch's hunks are reviewed once it has landed: its finished lines are not a prefix of the region.
    if (!(this.diff instanceof StreamingDiff) || this.baseText !== original || this.applyMode !== 'stream') return undefined;
    return this.diff.finishedPart;
  }

  /**
   * What the stream has shown of its output, when it rewrites `original` itself: its finished lines, then
   * the part of its unfinished line that is on a line of its own (a window reload can restore an older moment: see laterMomentThan).
   */
  shownOutputOf(original: string): string | undefined {
    // finishedPartOf says whether the stream rewrites `original` itself with a StreamingDiff.
    return this.finishedPartOf(original) && this.diff instanceof StreamingDiff ? this.diff.shownOutput : undefined;
  }

  /** A finished hunk was put back while the stream goes on below it (see StreamingDiff.replaceFinished). */
  replaceFinished(start: number, end: number, text: string): void {
    if (this.diff instanceof StreamingDiff) this.diff.replaceFinished(start, end, text);
  }

  /** Output text in; the region edits that bring the buffer up to date out. */
  append(raw: string): TextEdit[] {
    if (this.early) {
      this.early.push(raw);
      return [];
    }
    if (!this.diff || !this.normalizer) return [];
    this.output += raw;
    const text = this.normalizer.push(raw);
    if (text.length === 0) return [];
    if (this.applyMode === 'preview') {
      this.held += text;
      return [];
    }
    return this.diff.push(text);
  }

  /** The model finished: the edits that make the region exactly its output. `dropped`: unpaired halves of characters the server sent. */
  finish(): { edits: TextEdit[]; dropped: number } {
    const diff = this.diff;
    const normalizer = this.normalizer;
    if (!diff || !normalizer) return { edits: [], dropped: 0 };
    const rest = this.held + normalizer.finish();
    this.held = '';
    const edits = [...diff.push(rest), ...diff.finish()];
    this.finishedFailure = diff instanceof PatchApplier ? diff.error?.message : undefined;
    // Finished: a second call (Enter keeping a finished preview lands again) has nothing more to do.
    this.diff = undefined;
    this.normalizer = undefined;
    return { edits, dropped: normalizer.droppedHalfCharacters };
  }

  /**
   * The stream stops here: nothing more of it is applied. Returns the
   * model's unfinished line as the stream left it in the region (offset and
   * text with its own newline), so the caller can take it out: the next
   * request rewrites the region without it, and the user never keeps half a
   * line of the model's before the original line it was rewriting.
   */
  close(): { readonly start: number; readonly text: string } | undefined {
    const line = this.diff?.unfinishedLine;
    this.diff = undefined;
    this.normalizer = undefined;
    this.early = undefined;
    return line;
  }
}
