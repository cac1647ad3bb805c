import * as vscode from 'vscode';
import { isLive } from '../core/session/reducer';
import type { RunSnapshot } from '../core/session/runController';
import type { ProblemWatcher } from './problems';
import type { RunManager } from './runManager';

const round = (n: number): string => Math.round(n).toLocaleString('en-US');
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What a live run's lens says while it works. */
function liveTitle(run: RunSnapshot): string {
  const s = run.state;
  if (s.queued) return '$(watch) Spark Edit: waiting for a free connection';
  if (s.phase === 'steering') return '$(debug-step-over) Spark Edit: redirecting…';
  if (s.phase === 'redirecting') return '$(edit) Spark Edit: paused while you type';
  return '$(sync~spin) Spark Edit: editing';
}

/**
 * Lenses above each run: while it streams, what it is doing and Cancel; in
 * review, Accept / Reject (and the All variants) with the run's facts; a
 * refusal shows the model's words.
 */
export class ReviewCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly problemsChanged: vscode.Disposable;
  /** Lenses change with phases, not per token: refreshing per frame makes the editor re-query for nothing. */
  private signature = '';

  constructor(
    private readonly runs: RunManager,
    private readonly problems: ProblemWatcher,
  ) {
    this.problemsChanged = problems.onDidChange(() => this.changed.fire());
    this.subscription = runs.onDidChangeRuns(() => {
      const signature = runs
        .snapshots()
        .map((s) => `${s.id}:${s.state.preview}:${s.state.phase}:${s.state.queued}:${s.state.endReason ?? ''}:${s.hunks.map((h) => h.id).join('+')}`)
        .join(',');
      if (signature === this.signature) return;
      this.signature = signature;
      this.changed.fire();
    });
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    // An undone run shows nothing until a redo brings it back.
    const runs = this.runs.runsFor(document).filter((r) => r.region && r.state.phase !== 'reverted');
    const reviewing = runs.filter((r) => r.state.phase === 'review');
    const lenses: vscode.CodeLens[] = [];
    for (const run of runs) {
      const at = document.positionAt(run.region!.start);
      const range = new vscode.Range(at, at);
      const lens = (title: string, command = '', args: unknown[] = [], tooltip?: string): void => {
        lenses.push(new vscode.CodeLens(range, { title, command, arguments: args, ...(tooltip ? { tooltip } : {}) }));
      };
      if (run.state.preview) {
        lens(`$(eye) Spark Edit: preview — Enter keeps, Esc restores${isLive(run.state.phase) ? ' (streaming…)' : ''}`, '', [], `Previewing "${clip(run.state.instruction, 200)}"`);
        continue;
      }
      if (run.state.phase !== 'review') {
        lens(liveTitle(run));
        lens('Cancel', 'sparkEdit.cancel', [], 'Stop and keep what was written (Escape)');
        // Hunks above the frontier are final: review them while the stream goes on below.
        this.hunkLenses(document, run, lenses);
        continue;
      }
      if (run.state.endReason === 'refused') {
        lens(`$(circle-slash) ${clip(run.state.message ?? 'the model refused', 120)}`, '', [], run.state.refusal);
        lens('Dismiss', 'sparkEdit.accept', [run.id], 'Nothing was changed');
        continue;
      }
      lens('$(check) Accept', 'sparkEdit.accept', [run.id], 'Keep this edit (Ctrl+Enter)');
      lens('$(discard) Reject', 'sparkEdit.reject', [run.id], 'Restore the original text (Escape)');
      if (reviewing.length > 1) {
        lens('Accept All', 'sparkEdit.acceptAll');
        lens('Reject All', 'sparkEdit.rejectAll');
      }
      const facts: string[] = [];
      if (run.state.endReason && run.state.endReason !== 'completed') facts.push(`partial (${run.state.endReason})`);
      if (run.tokensPerSecond !== undefined) facts.push(`${round(run.tokensPerSecond)} tok/s`);
      if (run.timeToFirstTokenMs !== undefined) facts.push(`TTFT ${round(run.timeToFirstTokenMs)} ms`);
      if (facts.length) lens(facts.join(' · '), '', [], run.state.message);
      const check = this.problems.check(run.id);
      if (check?.status === 'checking') lens('$(loading~spin) checking problems…');
      else if (check?.status === 'not checked') lens('problems not checked', '', [], 'No diagnostics arrived in time (no language server for this file, or it did not answer).');
      else if (check?.status === 'checked' && check.added.length === 0) lens('$(pass) no new problems');
      else if (check?.status === 'checked') {
        const list = check.added.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('\n');
        lens(`$(warning) +${check.added.length} problem${check.added.length === 1 ? '' : 's'}`, '', [], list);
        lens('Fix problems', 'sparkEdit.fixProblems', [run.id], 'Redirect the run with these problems as context');
      }
      // Several hunks: each its own Accept / Reject, above it.
      if (run.hunks.length > 1) this.hunkLenses(document, run, lenses);
    }
    return lenses;
  }

  private hunkLenses(document: vscode.TextDocument, run: RunSnapshot, lenses: vscode.CodeLens[]): void {
    for (const hunk of run.hunks) {
      const at = document.positionAt(hunk.range.start);
      const range = new vscode.Range(at, at);
      lenses.push(new vscode.CodeLens(range, { title: '$(check) Accept hunk', command: 'sparkEdit.acceptHunk', arguments: [run.id, hunk.id], tooltip: 'Keep this change (Ctrl+Alt+Y)' }));
      lenses.push(new vscode.CodeLens(range, { title: '$(discard) Reject hunk', command: 'sparkEdit.rejectHunk', arguments: [run.id, hunk.id], tooltip: 'Restore this part only (Ctrl+Alt+N)' }));
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.problemsChanged.dispose();
    this.changed.dispose();
  }
}
