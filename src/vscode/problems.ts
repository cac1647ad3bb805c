import * as vscode from 'vscode';
import type { RunManager } from './runManager';

/** What the language server says about a run's result, compared with before the run. */
export type ProblemCheck =
  | { readonly status: 'checking' }
  /** No diagnostics arrived within the budget (no language server, or it did not answer). */
  | { readonly status: 'not checked' }
  | { readonly status: 'checked'; readonly added: readonly vscode.Diagnostic[] };

/** How long to wait for a language server after a run lands. */
const BUDGET_MS = 6_000;
/** Diagnostics come in bursts: the check ends this long after the last one. */
const QUIET_MS = 400;
/**
 * A language server that reports on other files of the language but stays
 * silent this long after the edit has nothing new to say (a clean file gets
 * no event at all).
 */
const SILENT_SERVER_MS = 1_500;

/** Whether some language server reports problems for this language (on any open file). */
function languageIsChecked(languageId: string): boolean {
  const withProblems = new Set(vscode.languages.getDiagnostics().filter(([, ds]) => ds.length > 0).map(([uri]) => uri.toString()));
  return vscode.workspace.textDocuments.some((d) => d.languageId === languageId && withProblems.has(d.uri.toString()));
}

const key = (d: vscode.Diagnostic): string => `${d.severity}|${d.source ?? ''}|${String(typeof d.code === 'object' ? d.code.value : (d.code ?? ''))}|${d.message}`;
const problemsOf = (uri: vscode.Uri): vscode.Diagnostic[] =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning);

/**
 * Problems before / after: the file's errors and warnings when a run starts,
 * and again once its result has landed and the language server has spoken
 * (never waiting past a budget). A problem is new when the file has more of
 * it than before (by message and code; positions move with the edit).
 */
export class ProblemWatcher implements vscode.Disposable {
  private readonly before = new Map<string, { uri: vscode.Uri; languageId: string; problems: vscode.Diagnostic[] }>();
  private readonly results = new Map<string, ProblemCheck>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly runs: RunManager) {
    this.subscriptions = [runs.onDidChangeRuns(() => this.follow())];
  }

  check(runId: string): ProblemCheck | undefined {
    return this.results.get(runId);
  }

  private follow(): void {
    const live = new Set<string>();
    for (const doc of vscode.workspace.textDocuments) {
      for (const run of this.runs.runsFor(doc)) {
        live.add(run.id);
        if (!this.before.has(run.id)) this.before.set(run.id, { uri: doc.uri, languageId: doc.languageId, problems: problemsOf(doc.uri) });
        if (run.state.phase === 'review' && !run.state.preview && !this.results.has(run.id) && run.state.endReason !== 'refused') this.start(run.id);
      }
    }
    for (const id of [...this.before.keys()]) {
      if (!live.has(id)) {
        this.before.delete(id);
        this.results.delete(id);
      }
    }
  }

  private start(runId: string): void {
    const before = this.before.get(runId);
    if (!before) return;
    this.results.set(runId, { status: 'checking' });
    this.changed.fire();
    let quiet: ReturnType<typeof setTimeout> | undefined;
    let heard = false;
    const finish = (): void => {
      clearTimeout(budget);
      clearTimeout(silent);
      if (quiet) clearTimeout(quiet);
      listener.dispose();
      if (!this.results.has(runId)) return;
      this.results.set(runId, heard ? { status: 'checked', added: newProblems(before.problems, problemsOf(before.uri)) } : { status: 'not checked' });
      this.changed.fire();
    };
    const listener = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === before.uri.toString())) return;
      heard = true;
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(finish, QUIET_MS);
    });
    const budget = setTimeout(finish, BUDGET_MS);
    const silent = setTimeout(() => {
      if (heard || !languageIsChecked(before.languageId)) return;
      heard = true;
      finish();
    }, SILENT_SERVER_MS);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}

/** The problems `after` has more of than `before`. */
export function newProblems(before: readonly vscode.Diagnostic[], after: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  const counts = new Map<string, number>();
  for (const d of before) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1);
  const added: vscode.Diagnostic[] = [];
  for (const d of after) {
    const left = counts.get(key(d)) ?? 0;
    if (left > 0) counts.set(key(d), left - 1);
    else added.push(d);
  }
  return added;
}
