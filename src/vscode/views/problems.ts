import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import type { Region } from '../../core/edit/regionTracker';
import type { ContextPart } from '../../core/prompt/projectContext';
import type { RunChange, RunRegistry } from '../runs/runRegistry';

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

/** Lines around a region whose problems `#problems` attaches too: a break often shows just outside it. */
const AROUND_LINES = 5;

/** The errors and warnings in and around the regions, as a prompt part for `#problems` (none: no part). */
export function problemsNear(document: vscode.TextDocument, regions: readonly Region[]): { problems?: ContextPart } {
  const near = problemsOf(document.uri).filter((d) =>
    regions.some((r) => d.range.end.line >= document.positionAt(r.start).line - AROUND_LINES && d.range.start.line <= document.positionAt(r.end).line + AROUND_LINES),
  );
  if (near.length === 0) return {};
  const text = near
    .map((d) => `line ${d.range.start.line + 1}: ${d.severity === vscode.DiagnosticSeverity.Error ? 'error' : 'warning'}${d.code !== undefined ? ` ${String(typeof d.code === 'object' ? d.code.value : d.code)}` : ''}: ${d.message}`)
    .join('\n');
  return { problems: { kind: 'problems', label: 'in and around the region', text } };
}

/** One run's before/after: what the file had, and the check once the result has landed. */
interface RunProblems {
  readonly uri: vscode.Uri;
  readonly languageId: string;
  readonly before: vscode.Diagnostic[];
  result: ProblemCheck | undefined;
  /** What the last check was of: a follow-up or another take is checked anew (a hunk decided is not). */
  checkedOutput: string | undefined;
  /** With alternatives: each take's check, once it has been shown and checked. */
  readonly byTake: Map<number, ProblemCheck>;
  /** The check's listener and timers: disposed when the check ends or the run does. */
  owned: DisposableStore;
}

/**
 * Problems before / after: the file's errors and warnings when a run starts,
 * and again once its result has landed and the language server has spoken
 * (never waiting past a budget). A problem is new when the file has more of
 * it than before (by message and code; positions move with the edit); with
 * several runs in one file, each counts those nearest to it.
 */
export class ProblemWatcher implements vscode.Disposable {
  private readonly runs = new Map<string, RunProblems>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly owned = new DisposableStore();

  constructor(
    private readonly registry: RunRegistry,
    private readonly clock: Clock,
  ) {
    this.owned.add(this.changed);
    this.owned.add(registry.onDidChangeRuns((changes) => this.follow(changes.filter((c) => c.kind !== 'progress'))));
  }

  check(runId: string): ProblemCheck | undefined {
    return this.runs.get(runId)?.result;
  }

  /** With alternatives: the checks of the takes shown so far, by take. */
  takeChecks(runId: string): ReadonlyMap<number, ProblemCheck> {
    return this.runs.get(runId)?.byTake ?? new Map();
  }

  private follow(changes: readonly RunChange[]): void {
    for (const { runId: id, uri } of changes) {
      const run = this.registry.controller(id)?.snapshot;
      if (!run) {
        this.forget(id);
        continue;
      }
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!document) continue;
      let entry = this.runs.get(id);
      if (!entry) {
        entry = { uri: document.uri, languageId: document.languageId, before: problemsOf(document.uri), result: undefined, checkedOutput: undefined, byTake: new Map(), owned: this.owned.add(new DisposableStore()) };
        this.runs.set(id, entry);
      }
      const s = run.state;
      if (s.phase !== 'review' || s.preview || s.outcome.endReason === 'refused') continue;
      const output = `${s.instruction}:${s.takes?.shown ?? 1}:${s.review.hunks.join('+')}`;
      if (entry.checkedOutput !== output) {
        entry.checkedOutput = output;
        this.start(id, entry, s.takes?.shown);
      }
    }
  }

  private forget(runId: string): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    this.runs.delete(runId);
    this.owned.forget(entry.owned);
    entry.owned.dispose();
  }

  private start(runId: string, entry: RunProblems, take: number | undefined): void {
    // A check under way for an earlier output is dropped: this one is of the text shown now.
    this.owned.forget(entry.owned);
    entry.owned.dispose();
    const owned = (entry.owned = this.owned.add(new DisposableStore()));
    entry.result = { status: 'checking' };
    this.changed.fire();
    let heard = false;
    // A change while no run writes the file is the user's (as the typing hold tells them apart); another run's edits are not.
    let userEdited = false;
    owned.add(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && e.document.uri.toString() === entry.uri.toString() && !this.registry.isLive(e.document)) userEdited = true;
      }),
    );
    let quiet: Disposable | undefined;
    const report = (): void => {
      const result: ProblemCheck = heard ? { status: 'checked', added: this.nearestTo(runId, entry.uri, newProblems(entry.before, problemsOf(entry.uri))) } : { status: 'not checked' };
      if (sameCheck(entry.result, result)) return;
      entry.result = result;
      if (take !== undefined) entry.byTake.set(take, result);
      this.changed.fire();
    };
    owned.add(
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (!e.uris.some((u) => u.toString() === entry.uri.toString())) return;
        heard = true;
        // Once the user has edited the file, its problems are partly theirs: the count stands as it is.
        if (userEdited) {
          if (entry.result?.status === 'checking') report();
          owned.dispose();
          return;
        }
        // A busy language server can answer for an earlier text first: each later answer (until the budget ends) replaces the count.
        quiet?.dispose();
        quiet = owned.add(timeout(this.clock, report, QUIET_MS));
      }),
    );
    owned.add(
      timeout(
        this.clock,
        () => {
          if (entry.result?.status === 'checking') report();
          owned.dispose();
        },
        BUDGET_MS,
      ),
    );
    owned.add(
      timeout(
        this.clock,
        () => {
          if (heard || !languageIsChecked(entry.languageId)) return;
          heard = true;
          report();
        },
        SILENT_SERVER_MS,
      ),
    );
  }

  /**
   * Of `problems`, those nearest to this run among the document's runs (in
   * its region, else the fewest lines away): one run keeps every new problem
   * of its file (a rename that breaks a caller below it), several runs in a
   * file each count their own, never the file's total each.
   */
  private nearestTo(runId: string, uri: vscode.Uri, problems: vscode.Diagnostic[]): vscode.Diagnostic[] {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!document) return problems;
    const spans = this.registry
      .runsFor(document)
      .filter((r) => r.region)
      .map((r) => ({ id: r.id, first: document.positionAt(r.region!.start).line, last: document.positionAt(Math.max(r.region!.start, r.region!.end - 1)).line }));
    const distance = (d: vscode.Diagnostic, span: { first: number; last: number }): number =>
      d.range.end.line < span.first ? span.first - d.range.end.line : d.range.start.line > span.last ? d.range.start.line - span.last : 0;
    return problems.filter((d) => {
      let nearest: string | undefined;
      let best = Infinity;
      for (const span of spans) {
        const away = distance(d, span);
        if (away < best) [nearest, best] = [span.id, away];
      }
      return nearest === undefined || nearest === runId;
    });
  }

  dispose(): void {
    this.runs.clear();
    this.owned.dispose();
  }
}

/** Whether two checks say the same (a recount that finds what the last one did changes no view). */
function sameCheck(a: ProblemCheck | undefined, b: ProblemCheck): boolean {
  if (a?.status !== b.status) return false;
  if (a.status !== 'checked' || b.status !== 'checked') return true;
  return a.added.length === b.added.length && a.added.every((d, i) => key(d) === key(b.added[i]!) && d.range.isEqual(b.added[i]!.range));
}

/** The problems `after` has more of than `before` (by message and code: positions move with an edit). */
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

