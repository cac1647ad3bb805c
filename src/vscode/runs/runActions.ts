import type * as vscode from 'vscode';
import type { Hunk } from '../../core/review/hunks';
import type { RunController } from '../../core/session/runController';
import { isEnded } from '../../core/session/runState';
import type { RunRegistry } from './runRegistry';

/**
 * What the user does to runs, addressed by document or id: each turns into
 * events for the runs' reducers, which decide what happens. Holds nothing.
 */
export class RunActions {
  constructor(private readonly registry: RunRegistry) {}

  lastInstruction(document: vscode.TextDocument): string | undefined {
    return this.registry.controllersFor(document).at(-1)?.snapshot.state.instruction;
  }

  /** Redirects every run of the document (each steers where it can); the number redirected. */
  redirect(document: vscode.TextDocument, instruction: string): number {
    const runs = this.registry.controllersFor(document).filter((c) => !isEnded(c.phase));
    for (const r of runs) r.redirect(instruction);
    return runs.length;
  }

  /** Redirects one run; `live` previews the redirect (the redirect box is still open). False when there is no such run. */
  redirectRun(runId: string, instruction: string, live = false): boolean {
    const run = this.registry.controller(runId);
    run?.redirect(instruction, live);
    return run !== undefined;
  }

  /**
   * The run under review whose region holds all of `[start, end]`: Ctrl+I
   * there refines that edit rather than starting another over its output.
   * A refusal changed nothing, so there is nothing of it to refine.
   */
  reviewedRunAt(document: vscode.TextDocument, start: number, end: number): RunController | undefined {
    return this.registry.controllersFor(document).find((c) => {
      const { state, region } = c.snapshot;
      return state.phase === 'review' && state.review.restoring === undefined && state.outcome.endReason !== 'refused' && region !== undefined && region.start <= start && end <= region.end;
    });
  }

  /**
   * Shows the next (or previous) ready take of a run under review: the run
   * `runId`, else the one whose region holds `offset`, else the document's
   * only run with takes. The take shown, or undefined when there is none.
   */
  cycleTake(document: vscode.TextDocument, target: { runId: string } | { offset: number }, direction: 1 | -1): number | undefined {
    const withTakes = this.registry.controllersFor(document).filter((c) => c.snapshot.takes !== undefined && c.phase === 'review');
    const run =
      'runId' in target
        ? withTakes.find((c) => c.id === target.runId)
        : (withTakes.find((c) => {
            const region = c.snapshot.region;
            return region !== undefined && region.start <= target.offset && target.offset <= region.end;
          }) ?? (withTakes.length === 1 ? withTakes[0] : undefined));
    return run?.cycleTake(direction);
  }

  /** The one run of the document a redirect would change, if there is exactly one (a live redirect previews one run). */
  soleRun(document: vscode.TextDocument): string | undefined {
    const runs = this.registry.controllersFor(document);
    return runs.length === 1 ? runs[0]!.id : undefined;
  }

  /** Enter or Escape for a preview; false when the run is gone or no longer a preview. */
  decidePreview(runId: string, decision: 'keep' | 'abandon'): boolean {
    const run = this.registry.controller(runId);
    if (!run?.snapshot.state.preview) return false;
    run.dispatch({ type: decision });
    return true;
  }

  isPreview(runId: string): boolean {
    return this.registry.controller(runId)?.snapshot.state.preview !== undefined;
  }

  /** Stops the document's live runs, keeping what is there; the number stopped. */
  cancel(document: vscode.TextDocument): number {
    const live = this.registry.liveControllersFor(document);
    for (const r of live) r.dispatch({ type: 'cancel' });
    return live.length;
  }

  /** Accept or Reject one run (by id), every run of a document, or every run; the number decided. */
  decide(decision: 'accept' | 'reject', target: { runId: string } | { document: vscode.TextDocument } | 'all'): number {
    let runs: RunController[];
    if (target === 'all') runs = this.registry.controllers();
    else if ('runId' in target) runs = [this.registry.controller(target.runId)].filter((c): c is RunController => c !== undefined);
    else runs = this.registry.controllersFor(target.document);
    for (const r of runs) r.dispatch({ type: decision });
    return runs.length;
  }

  /** Every pending hunk of the document's runs (under review, or final above a stream's frontier), top to bottom. */
  hunksFor(document: vscode.TextDocument): { runId: string; hunk: Hunk }[] {
    return this.registry
      .runsFor(document)
      .filter((s) => !s.state.preview && (s.state.phase === 'review' || s.state.phase === 'streaming'))
      .flatMap((s) => s.hunks.map((hunk) => ({ runId: s.id, hunk })))
      .sort((a, b) => a.hunk.range.start - b.hunk.range.start);
  }

  /** Accept or Reject one hunk: by id, or the one at `offset` (the cursor). False when there is none. */
  decideHunk(document: vscode.TextDocument, target: { runId: string; hunkId: string } | { offset: number }, decision: 'accept' | 'reject'): boolean {
    const hunks = this.hunksFor(document);
    const found =
      'hunkId' in target
        ? hunks.find((h) => h.runId === target.runId && h.hunk.id === target.hunkId)
        : (hunks.find((h) => h.hunk.range.start <= target.offset && target.offset <= h.hunk.range.end) ?? hunks.find((h) => h.hunk.range.start >= target.offset));
    if (!found) return false;
    this.registry.controller(found.runId)?.decideHunk(found.hunk.id, decision);
    return true;
  }
}
