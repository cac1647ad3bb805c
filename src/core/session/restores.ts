import type { DocumentSync } from '../edit/documentSync';
import type { Region } from '../edit/regionTracker';
import type { TextEdit } from '../edit/textEdit';

/** What a restore needs of its run. */
export interface RestoreContext {
  readonly runId: string;
  readonly sync: DocumentSync;
  readonly original: string;
  /** The document's text now. */
  getText(): string;
  /** The run's region now. */
  region(): Region;
}

/**
 * Putting text back: a Reject (the whole region, or some hunks), a live
 * redirect's base, a preview's undo step. Each resolves once its edits have
 * landed (or were refused); none decides anything, and each waits only for
 * the run's edit already in flight. `current` says whether the step is still
 * wanted: after any wait, a step that was superseded (a keystroke, a newer
 * decision) touches nothing.
 */
export class Restorer {
  constructor(private readonly run: RestoreContext) {}

  /**
   * Puts original text back as one undo step: the whole region when
   * `pieces` is undefined (or `whole` in its place: another take), else
   * each piece (a hunk, in document offsets).
   */
  async restore(pieces: readonly { range: Region; text: string }[] | undefined, current: () => boolean, whole = this.run.original): Promise<void> {
    const { sync, runId } = this.run;
    await sync.whenIdle(runId);
    if (!current()) return;
    const region = this.run.region();
    const edits: TextEdit[] = pieces
      ? // Sequential edits, last first, so earlier offsets stay valid.
        [...pieces].sort((a, b) => b.range.start - a.range.start).map((p) => ({ start: p.range.start - region.start, end: p.range.end - region.start, text: p.text }))
      : [{ start: 0, end: region.end - region.start, text: whole }];
    sync.resume(runId);
    sync.startUndoStep(runId);
    sync.enqueue(runId, edits);
    await sync.finish(runId);
  }

  /** A live redirect abandoned: the region goes back to `base` (within the run's undo step). */
  async restoreBase(base: string | undefined, current: () => boolean): Promise<void> {
    const { sync, runId } = this.run;
    await sync.whenIdle(runId);
    if (!current()) return;
    sync.resume(runId);
    const region = this.run.region();
    if (base !== undefined && base !== this.run.getText().slice(region.start, region.end)) sync.enqueue(runId, [{ start: 0, end: region.end - region.start, text: base }]);
  }

  /**
   * Abandons a preview: once nothing of it is in flight, its one undo step is
   * undone, so the undo stack is as it was before the box opened. Only when
   * the document's last change was ours (else the step on top is not the
   * preview's); if the Undo did not bring back exactly the original (a
   * keystroke raced it), what it undid is redone. Resolves with why it could
   * not be done exactly, if it could not.
   */
  async undoPreview(current: () => boolean): Promise<string | undefined> {
    const { sync, runId } = this.run;
    await sync.whenIdle(runId);
    if (!current() || !sync.madeEdits(runId)) return undefined;
    if (!sync.lastChangeWasOwn) return 'the document changed after the preview';
    const region = this.run.region();
    const text = this.run.getText();
    const expected = text.slice(0, region.start) + this.run.original + text.slice(region.end);
    try {
      const undid = await sync.undoStep();
      // A step whose edits cancel out (a note written, then taken back) is undone without any change to the text.
      if (this.run.getText() === expected) return undefined;
      if (undid) await sync.redoStep();
      return 'undoing the preview did not bring back the original';
    } catch (error) {
      // The editor's Undo failed: the original still comes back, by an edit.
      return `the editor could not undo the preview (${error instanceof Error ? error.message : String(error)})`;
    }
  }
}
