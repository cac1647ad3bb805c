import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import type { RunSnapshot } from '../../core/session/runController';
import { isLive, isQueued, outcomeOf } from '../../core/session/runState';
import type { ProblemWatcher } from './problems';
import { editorTraffic } from '../platform/editorTraffic';
import type { RunRegistry } from '../runs/runRegistry';
import { formatCount } from './format';

/**
 * A live run's lens (what it is doing, Cancel) appears once the run has
 * been live this long. A lens is a view zone: it moves every line below it
 * and costs the renderer a layout, which at run start delays the model's
 * first text on screen. A run that lands sooner goes straight to its review
 * lens; Escape and the status bar cancel and describe it meanwhile.
 */
export const LIVE_LENS_DELAY_MS = 1_000;

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What a live run's lens says while it works. */
function liveTitle(run: RunSnapshot): string {
  const s = run.state;
  if (isQueued(s)) return '$(watch) Spark Edit: waiting for a free connection';
  if (s.phase === 'steering') return '$(debug-step-over) Spark Edit: redirecting…';
  if (s.phase === 'redirecting') return '$(edit) Spark Edit: paused while you type';
  if (s.phase === 'restoring') return '$(discard) Spark Edit: restoring…';
  return '$(sync~spin) Spark Edit: editing';
}

/** The run's facts for a tooltip: partial or not, speed, time to first token, its message. */
function facts(run: RunSnapshot): string {
  const s = run.state;
  const lines: string[] = [`"${clip(s.instruction, 200)}"`];
  const outcome = outcomeOf(s);
  if (outcome && outcome.endReason !== 'completed') lines.push(`Partial (${outcome.endReason}).`);
  const speed = [run.tokensPerSecond !== undefined ? `${formatCount(run.tokensPerSecond)} tok/s` : '', run.timeToFirstTokenMs !== undefined ? `time to first token ${formatCount(run.timeToFirstTokenMs)} ms` : ''].filter(Boolean).join(' · ');
  if (speed) lines.push(speed);
  if (outcome?.message) lines.push(outcome.message);
  return lines.join('\n');
}

/**
 * Lenses above each run, one line per run: while it streams, what it is
 * doing and Cancel; in review, Accept / Reject with the run's facts in the
 * tooltip, its new problems, and the file-wide Accept All / Reject All once,
 * on the first run under review; each pending hunk its own pair above it. A
 * refusal shows the model's words.
 */
export class ReviewCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly owned = new DisposableStore();
  /** Lenses change with phases and hunks, not per token: each new lens is a view zone that reflows the editor. */
  private signature = '';
  /** When each live run (not a preview) was first seen live. */
  private readonly liveSince = new Map<string, number>();

  constructor(
    private readonly runs: RunRegistry,
    private readonly problems: ProblemWatcher,
    private readonly clock: Clock,
  ) {
    this.owned.add(this.changed);
    this.owned.add(problems.onDidChange(() => this.refresh()));
    this.owned.add(runs.onDidChangeRuns(() => this.update()));
  }

  /** Refreshes the lenses when what they show changed. */
  private update(): void {
    const now = this.clock.now();
    const snapshots = this.runs.snapshots();
    const live = new Set<string>();
    for (const s of snapshots) {
      if (!isLive(s.state.phase) || s.state.preview) continue;
      live.add(s.id);
      if (!this.liveSince.has(s.id)) {
        this.liveSince.set(s.id, now);
        const timer: Disposable = this.owned.add(
          timeout(
            this.clock,
            () => {
              this.owned.forget(timer);
              this.update();
            },
            LIVE_LENS_DELAY_MS,
          ),
        );
      }
    }
    for (const id of this.liveSince.keys()) if (!live.has(id)) this.liveSince.delete(id);
    const signature = snapshots
      // A run that shows no lens yet changes nothing on screen.
      .filter((s) => !isLive(s.state.phase) || this.showsLiveLens(s, now))
      // A live run's lens by its title, not its phase: connecting, streaming and resuming all read "editing".
      .map((s) => `${s.id}:${s.state.preview ? 'p' : ''}:${isLive(s.state.phase) ? liveTitle(s) : s.state.phase}:${s.hunks.map((h) => h.id).join('+')}:${s.takes ? `${s.takes.shown}/${s.takes.ready}/${s.takes.count}` : ''}`)
      .join(',');
    if (signature === this.signature) return;
    this.signature = signature;
    this.refresh();
  }

  /** A live run shows its lens once it has been live a moment (a preview's lens at once: it says what Enter and Escape do). */
  private showsLiveLens(run: RunSnapshot, now: number): boolean {
    if (run.state.preview) return true;
    const since = this.liveSince.get(run.id);
    return since === undefined || now - since >= LIVE_LENS_DELAY_MS;
  }

  /** The workbench asks for every lens again, and lays out the view zones that changed. */
  private refresh(): void {
    editorTraffic.count('lensRefreshes');
    this.changed.fire();
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
      const s = run.state;
      if (s.preview) {
        lens(`$(eye) Spark Edit: preview — Enter keeps, Esc restores${isLive(s.phase) ? ' (streaming…)' : ''}`, '', [], `Previewing "${clip(s.instruction, 200)}"`);
        continue;
      }
      if (s.phase !== 'review') {
        if (!this.showsLiveLens(run, this.clock.now())) continue;
        lens(liveTitle(run));
        if (s.phase !== 'restoring') lens('Cancel', 'sparkEdit.cancel', [], 'Stop and keep what was written (Escape)');
        // Hunks above the frontier are final: review them while the stream goes on below.
        this.hunkLenses(document, run, lenses);
        continue;
      }
      if (s.outcome.endReason === 'refused') {
        lens(`$(circle-slash) ${clip(s.outcome.message ?? 'the model refused', 120)}`, '', [], s.outcome.message);
        lens('Dismiss', 'sparkEdit.accept', [run.id], 'Nothing was changed');
        continue;
      }
      const partial = s.outcome.endReason !== 'completed' ? ` (partial: ${s.outcome.endReason})` : '';
      // A dropped connection the run carried on through is worth a word: nothing was written twice.
      const resumed = s.resumes > 0 ? ` · reconnected${s.resumes > 1 ? ` ${s.resumes}×` : ''}` : '';
      lens(`$(check) Accept${partial}${resumed}`, 'sparkEdit.accept', [run.id], `Keep this edit (Ctrl+Enter)\n${facts(run)}`);
      lens('$(discard) Reject', 'sparkEdit.reject', [run.id], 'Restore the original text (Escape twice)');
      if (reviewing.length > 1 && run === reviewing[0]) {
        lens(`Accept All ${reviewing.length}`, 'sparkEdit.acceptAll', [], 'Keep every edit under review');
        lens('Reject All', 'sparkEdit.rejectAll', [], 'Restore every original under review');
      }
      if (run.takes) {
        const { shown, count, ready } = run.takes;
        const coming = ready < count ? ` · ${count - ready} coming` : '';
        // Each take's new problems, once it has been shown and checked.
        const known = [...this.problems.takeChecks(run.id)].flatMap(([take, c]) => (c.status === 'checked' ? [`${take}: ${c.added.length}`] : [])).sort();
        const problems = known.length > 0 ? ` · new problems: ${known.join(', ')}` : '';
        lens(`$(versions) take ${shown} of ${count}${coming}${problems}`, 'sparkEdit.nextTake', [run.id], 'Show the next take (Alt+]; Alt+[ the previous); each swap is one Undo step');
      }
      this.problemLenses(run, lens);
      // Several hunks: each its own Accept / Reject, above it.
      if (run.hunks.length > 1) this.hunkLenses(document, run, lenses);
    }
    return lenses;
  }

  private problemLenses(run: RunSnapshot, lens: (title: string, command?: string, args?: unknown[], tooltip?: string) => void): void {
    const check = this.problems.check(run.id);
    if (check?.status === 'checking') lens('$(loading~spin) checking problems…');
    else if (check?.status === 'not checked') lens('problems not checked', '', [], 'No diagnostics arrived in time (no language server for this file, or it did not answer).');
    else if (check?.status === 'checked' && check.added.length === 0) lens('$(pass) no new problems');
    else if (check?.status === 'checked') {
      const list = check.added.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('\n');
      lens(`$(warning) +${check.added.length} problem${check.added.length === 1 ? '' : 's'}`, 'sparkEdit.fixProblems', [run.id], `${list}\n\nClick: redirect the run with these problems as context`);
    }
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
    this.owned.dispose();
  }
}
