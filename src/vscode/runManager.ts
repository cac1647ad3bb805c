import * as vscode from 'vscode';
import type { Clock } from '../core/clock';
import type { Settings } from '../core/config/settings';
import { DocumentSync } from '../core/edit/documentSync';
import { regionsOverlap, type Region } from '../core/edit/regionTracker';
import { err, ok, type Result } from '../core/result';
import { isLive, type EndReason } from '../core/session/reducer';
import type { Hunk } from '../core/review/hunks';
import { RunController, type RequestSender, type RunSnapshot, type RunView } from '../core/session/runController';
import type { ConnectionManager, ConnectFailure } from './connectionManager';
import { VsCodeDocumentPort } from './documentPort';
import type { Log } from './log';

interface DocumentEntry {
  readonly port: VsCodeDocumentPort;
  readonly sync: DocumentSync;
  /** The document's dirty flag at its last change event (the flag lags one event behind our own edits). */
  wasDirty: boolean;
}

export type StartFailure = ConnectFailure | { readonly reason: 'overlap' | 'empty'; readonly message: string };

/** The run ids a start made, or why it made none. */
export type StartResult = Result<string[], StartFailure>;

/** A message a run reported, for views that show it (status bar, notifications). */
export interface RunReport {
  readonly runId: string;
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
}

/** A run under review as kept in workspace state across a window reload. */
export interface StoredRun {
  readonly uri: string;
  readonly start: number;
  readonly end: number;
  readonly original: string;
  /** The region's text when it was stored: the run comes back only if the document still holds exactly this. */
  readonly text: string;
  readonly instruction: string;
  readonly endReason: EndReason;
  readonly message: string | undefined;
}

/** Regions larger than this are not kept across a reload (workspace state is not a file store). */
const MAX_STORED_CHARS = 400_000;

/** Streaming marks follow the run at most this often; the buffer itself is not throttled. */
const CHANGE_INTERVAL_MS = 50;

/**
 * While the user types in another document, model edits are coalesced into
 * at most one every YIELD_INTERVAL_MS, until YIELD_WINDOW_MS after their last
 * keystroke: back to back, the edits of a large rewrite keep the renderer
 * busy, and the user's keystrokes elsewhere wait behind them.
 */
const YIELD_INTERVAL_MS = 100;
const YIELD_WINDOW_MS = 500;

/**
 * Owns every run: one DocumentSync per document, one RunController per run.
 * Feeds document events to the syncs and tells views what changed through
 * `onDidChangeRuns` (throttled while streaming, at once when a run starts or
 * ends) and `onDidReport`. Holds no edit logic and renders nothing itself.
 */
export class RunManager implements vscode.Disposable {
  private readonly documents = new Map<string, DocumentEntry>();
  private readonly runs = new Map<string, { readonly controller: RunController; readonly uri: string }>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly reported = new vscode.EventEmitter<RunReport>();
  /** Fires when any run changed; read `snapshots()` / `runsFor()` to render. */
  readonly onDidChangeRuns = this.changed.event;
  readonly onDidReport = this.reported.event;
  /** Starts under way (the connection is being made): a second Ctrl+I meanwhile is a redirect, not a second box. */
  private readonly starting = new Map<string, Promise<unknown>>();
  /** Documents being saved (between onWillSave and onDidSave): their turning clean is no revert. */
  private readonly saving = new Set<string>();
  private nextId = 1;
  private changeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the user last changed a document no run edits (see YIELD_INTERVAL_MS). */
  private typedElsewhereAt = -Infinity;
  private disposed = false;

  constructor(
    private readonly connection: ConnectionManager,
    private readonly settings: () => Settings,
    private readonly log: Log,
    private readonly clock: Clock,
  ) {}

  /** Snapshots of every run (views, tests and the exported API read these). */
  snapshots(): RunSnapshot[] {
    return [...this.runs.values()].map((r) => r.controller.snapshot);
  }

  runsFor(document: vscode.TextDocument): RunSnapshot[] {
    return this.controllersFor(document).map((c) => c.snapshot);
  }

  /** How many edit calls each document received (benchmarks). */
  editCalls(document: vscode.TextDocument): number {
    return this.documents.get(document.uri.toString())?.port.editCalls ?? 0;
  }

  /** Starts a run per region; `preview` starts a live-instruction preview (the instruction box is still open). */
  async start(editor: vscode.TextEditor, regions: readonly Region[], instruction: string, preview = false): Promise<Result<string[], StartFailure>> {
    const key = editor.document.uri.toString();
    const started = this.startNow(editor, regions, instruction, preview);
    this.starting.set(key, started);
    this.changeNow();
    try {
      return await started;
    } finally {
      if (this.starting.get(key) === started) this.starting.delete(key);
      this.changeNow();
    }
  }

  /** Resolves once a start under way in this document has its runs (or failed). */
  async whenStarted(document: vscode.TextDocument): Promise<void> {
    await this.starting.get(document.uri.toString())?.catch(() => undefined);
  }

  private async startNow(editor: vscode.TextEditor, regions: readonly Region[], instruction: string, preview: boolean): Promise<Result<string[], StartFailure>> {
    if (regions.length === 0) return err({ reason: 'empty', message: 'nothing to edit' });
    const connection = await this.connection.ensure();
    if (!connection.ok) return connection;
    const settings = this.settings();
    const entry = this.entryFor(editor.document, settings);
    // Editing a range again accepts the earlier result under review there.
    for (const c of this.controllersFor(editor.document)) {
      const s = c.snapshot;
      if ((s.state.phase === 'review' || s.state.phase === 'reverted') && s.region && regions.some((r) => regionsOverlap(r, s.region!))) c.dispatch({ type: 'accept' });
    }
    const ids: string[] = [];
    for (const region of regions) {
      const id = `run-${this.nextId++}`;
      const started = RunController.start(
        {
          id,
          instruction,
          region,
          model: settings.model,
          contextTokens: settings.contextTokens,
          onType: settings.onType,
          redirectPauseMs: settings.redirectPauseMs,
          applyMode: settings.applyMode,
          preview,
          ...(settings.reasoningEffort !== 'default' ? { reasoningEffort: settings.reasoningEffort } : {}),
          log: (m) => this.log.info(m),
        },
        entry.port,
        entry.sync,
        connection.value.channel,
        this.viewFor(id),
        this.clock,
      );
      if (!started.ok) {
        this.log.warn(`skipped a selection: ${started.error}`);
        continue;
      }
      const controller = started.value;
      this.runs.set(id, { controller, uri: editor.document.uri.toString() });
      ids.push(id);
      this.log.info(`[${id}] "${instruction}" on ${entry.port.fileName} [${region.start}, ${region.end})`);
    }
    if (ids.length === 0) return err({ reason: 'overlap', message: 'Spark Edit is already editing that range.' });
    this.changeNow();
    return ok(ids);
  }

  /**
   * Brings back a run under review after a window reload, if the document
   * still holds exactly the text the run left there.
   */
  async restore(document: vscode.TextDocument, stored: StoredRun): Promise<boolean> {
    const region = { start: stored.start, end: stored.end };
    const text = document.getText();
    const atStored = text.slice(stored.start, stored.end);
    const atOriginal = text.slice(stored.start, stored.start + stored.original.length);
    if (stored.end > text.length || atStored !== stored.text) {
      // The reload restored the buffer from a backup taken before the run's edits (VS Code writes
      // backups with a delay): put back what had been applied. A run undone before the reload was not kept.
      const lost = atOriginal === stored.original && stored.text !== stored.original;
      if (!lost) return false;
      const edit = new vscode.WorkspaceEdit();
      edit.replace(document.uri, new vscode.Range(document.positionAt(stored.start), document.positionAt(stored.start + stored.original.length)), stored.text);
      if (!(await vscode.workspace.applyEdit(edit))) return false;
      this.log.info(`put back the output of "${stored.instruction}" that the reload had lost`);
    }
    if (this.controllersFor(document).some((c) => c.snapshot.region && regionsOverlap(c.snapshot.region, region))) return false;
    const settings = this.settings();
    const connection = await this.connection.ensure();
    const sender: RequestSender = connection.ok
      ? connection.value.channel
      : { canSteer: false, request: (_body, listener) => (listener.onFailure({ kind: 'connect', message: connection.error.message }), { cancel: () => undefined, steer: () => false }) };
    const entry = this.entryFor(document, settings);
    const id = `run-${this.nextId++}`;
    const restored = RunController.restore(
      { id, instruction: stored.instruction, region, model: settings.model, contextTokens: settings.contextTokens, onType: settings.onType, redirectPauseMs: settings.redirectPauseMs, applyMode: settings.applyMode, log: (m) => this.log.info(m) },
      stored.original,
      stored.endReason,
      stored.message,
      entry.port,
      entry.sync,
      sender,
      this.viewFor(id),
      this.clock,
    );
    if (!restored.ok) return false;
    this.runs.set(id, { controller: restored.value, uri: document.uri.toString() });
    this.changeNow();
    return true;
  }

  /** What to keep across a window reload: every run under review, and every live run as it stands (it will come back partial). */
  toStore(): StoredRun[] {
    const stored: StoredRun[] = [];
    for (const { controller, uri } of this.runs.values()) {
      const s = controller.snapshot;
      const entry = this.documents.get(uri);
      if (!s.region || !entry || (s.state.phase !== 'review' && !isLive(s.state.phase))) continue;
      const text = entry.port.getText().slice(s.region.start, s.region.end);
      if (text.length + s.original.length > MAX_STORED_CHARS) continue;
      const live = isLive(s.state.phase);
      stored.push({
        uri,
        start: s.region.start,
        end: s.region.end,
        original: s.original,
        text,
        instruction: s.state.instruction,
        endReason: live ? 'interrupted' : (s.state.endReason ?? 'completed'),
        message: live ? 'interrupted by a window reload; the text that arrived is kept, marked as partial' : s.state.message,
      });
    }
    return stored;
  }

  private controllersFor(document: vscode.TextDocument): RunController[] {
    const uri = document.uri.toString();
    return [...this.runs.values()].filter((r) => r.uri === uri).map((r) => r.controller);
  }

  private liveControllers(document: vscode.TextDocument): RunController[] {
    return this.controllersFor(document).filter((c) => isLive(c.phase));
  }

  /** Whether a run of this document may still change it, or one is starting (the same predicate as the status bar and context keys). */
  isLive(document: vscode.TextDocument): boolean {
    return this.starting.has(document.uri.toString()) || this.controllersFor(document).some((c) => isLive(c.phase));
  }

  lastInstruction(document: vscode.TextDocument): string | undefined {
    return this.controllersFor(document).at(-1)?.snapshot.state.instruction;
  }

  /** Redirects the document's runs; resolves once each has let go of the edit in flight. */
  async redirect(document: vscode.TextDocument, instruction: string): Promise<number> {
    const runs = this.controllersFor(document);
    for (const r of runs) r.redirect(instruction);
    await Promise.all(runs.map((r) => r.whenIdle()));
    return runs.length;
  }

  /** Redirects one run (by id); `live` previews the redirect (the redirect box is still open). False when there is no such run. */
  redirectRun(runId: string, instruction: string, live = false): boolean {
    const run = this.runs.get(runId);
    run?.controller.redirect(instruction, live);
    return run !== undefined;
  }

  /** The one run of the document a redirect would change, if there is exactly one (a live redirect previews one run). */
  soleRun(document: vscode.TextDocument): string | undefined {
    const runs = this.controllersFor(document);
    return runs.length === 1 ? runs[0]!.snapshot.id : undefined;
  }

  /** Enter or Escape for a live-instruction preview; false when the run is gone or no longer a preview. */
  decidePreview(runId: string, decision: 'keep' | 'abandon'): boolean {
    const controller = this.runs.get(runId)?.controller;
    if (!controller?.snapshot.state.preview) return false;
    controller.dispatch({ type: decision });
    return true;
  }

  /** Whether the run exists and is still a live-instruction preview. */
  isPreview(runId: string): boolean {
    return this.runs.get(runId)?.controller.snapshot.state.preview ?? false;
  }

  /** Stops the document's live runs; resolves once their last edit has landed or been refused. */
  async cancel(document: vscode.TextDocument): Promise<number> {
    const live = this.liveControllers(document);
    for (const r of live) r.dispatch({ type: 'cancel' });
    await Promise.all(live.map((r) => r.whenIdle()));
    return live.length;
  }

  /** Accept or reject one run (by id), or every run under review in the document. */
  decide(decision: 'accept' | 'reject', target: { runId: string } | { document: vscode.TextDocument } | 'all'): number {
    let controllers: RunController[];
    if (target === 'all') controllers = [...this.runs.values()].map((r) => r.controller);
    else if ('runId' in target) controllers = [this.runs.get(target.runId)?.controller].filter((c): c is RunController => c !== undefined);
    else controllers = this.controllersFor(target.document);
    // Accept while streaming accepts early: the run stops and keeps what is there.
    const eligible = controllers.filter((c) => (decision === 'reject' ? c.phase !== 'done' : c.phase === 'review' || c.phase === 'reverted' || isLive(c.phase)));
    for (const c of eligible) {
      if (decision === 'accept' && isLive(c.phase)) c.dispatch({ type: 'cancel' });
      c.dispatch({ type: decision });
    }
    return eligible.length;
  }

  /** Every pending hunk of the document's runs (under review, or final above a stream's frontier), top to bottom. */
  hunksFor(document: vscode.TextDocument): { runId: string; hunk: Hunk }[] {
    return this.runsFor(document)
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
    this.runs.get(found.runId)?.controller.decideHunk(found.hunk.id, decision);
    return true;
  }

  onDidChangeTextDocument(event: vscode.TextDocumentChangeEvent): void {
    const key = event.document.uri.toString();
    const entry = this.documents.get(key);
    // Output channels (our own log among them) change as they are written: that is nobody typing.
    if (event.contentChanges.length > 0 && event.document.uri.scheme !== 'output' && !this.isLive(event.document)) this.typedElsewhereAt = this.clock.now();
    if (!entry) return;
    if (event.contentChanges.length > 0) {
      entry.sync.onDocumentChange(
        event.document.version,
        event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
      );
      this.scheduleChange();
    }
    // Our edits leave a document dirty. Turning clean while a run writes, with no
    // save under way, means a revert has started: the user's edit.
    const turnedClean = entry.wasDirty && !event.document.isDirty;
    entry.wasDirty = event.document.isDirty;
    if (turnedClean && !this.saving.has(key) && this.isLive(event.document)) this.stopForRevert(event.document, entry);
  }

  /**
   * A revert reads the file, then drops itself if the text changed meanwhile
   * (VS Code keeps the newer text). Stop writing at once; if an edit of ours
   * was already in flight and won that race, revert again once it has landed.
   */
  private stopForRevert(document: vscode.TextDocument, entry: DocumentEntry): void {
    this.log.info(`${entry.port.fileName} is being reverted: its runs stop`);
    const stopped = this.liveControllers(document);
    entry.sync.onExternalReset();
    void Promise.all(stopped.map((c) => c.whenIdle()))
      .then(() => revertAgainIfOvertaken(document, this.log))
      .catch((error: unknown) => this.log.warn(`could not finish the revert: ${String(error)}`));
  }

  /**
   * Ctrl+S while a run streams: wait (at most `budgetMs`) for the document's
   * runs to land, else stop them keeping whole lines only; either way every
   * edit of the run lands before the save, in its one undo step, and no half
   * model line reaches the disk. Resolves with what happened.
   */
  async settleForSave(document: vscode.TextDocument, budgetMs: number): Promise<'landed' | 'stopped'> {
    const live = this.liveControllers(document);
    if (live.length === 0) return 'landed';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const landed = await Promise.race([
      Promise.all(live.map((c) => c.whenSettled())).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), budgetMs))),
    ]);
    clearTimeout(timer);
    if (landed) return 'landed';
    for (const c of live) c.dispatch({ type: 'stopForSave' });
    await Promise.all(live.map((c) => c.whenSettled()));
    return 'stopped';
  }

  /**
   * Any other save mid-stream (auto-save, Save All, the close prompt): the
   * user saves the text as it stands, so the runs stop at once, keeping it.
   */
  onWillSaveTextDocument(document: vscode.TextDocument): void {
    this.saving.add(document.uri.toString());
    const live = this.liveControllers(document);
    if (live.length === 0) return;
    this.log.info(`${vscode.workspace.asRelativePath(document.uri)} is being saved mid-stream: its runs stop, the text is saved as it stands`);
    for (const c of live) c.dispatch({ type: 'cancel' });
  }

  onDidSaveTextDocument(document: vscode.TextDocument): void {
    this.saving.delete(document.uri.toString());
  }

  /**
   * The user closed the last tab of a document: its runs end at once, the
   * text staying as it is (the save prompt already asked what to keep), so
   * reopening the file never shows a stale review.
   */
  onDidCloseTabs(uris: readonly vscode.Uri[]): void {
    const open = new Set(
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri.toString()] : [])),
    );
    for (const uri of uris) {
      if (open.has(uri.toString())) continue;
      for (const r of [...this.runs.values()]) {
        if (r.uri !== uri.toString()) continue;
        r.controller.dispatch({ type: 'cancel' });
        r.controller.dispatch({ type: 'accept' });
      }
    }
  }

  onDidCloseTextDocument(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const entry = this.documents.get(key);
    if (!entry) return;
    entry.sync.onDocumentClosed();
    entry.sync.dispose();
    this.documents.delete(key);
  }

  private changeNow(): void {
    if (this.disposed) return;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    this.changed.fire();
  }

  private scheduleChange(): void {
    if (this.changeTimer || this.disposed) return;
    this.changeTimer = setTimeout(() => this.changeNow(), CHANGE_INTERVAL_MS);
  }

  private entryFor(document: vscode.TextDocument, settings: Settings): DocumentEntry {
    const key = document.uri.toString();
    let entry = this.documents.get(key);
    if (!entry) {
      const port = new VsCodeDocumentPort(document);
      const interval = (): number => (this.clock.now() - this.typedElsewhereAt < YIELD_WINDOW_MS ? Math.max(settings.flushIntervalMs, YIELD_INTERVAL_MS) : settings.flushIntervalMs);
      entry = { port, sync: new DocumentSync(port, this.clock, interval, document.version), wasDirty: document.isDirty };
      this.documents.set(key, entry);
    }
    return entry;
  }

  private viewFor(id: string): RunView {
    let lastPhase: string | undefined;
    return {
      update: () => {
        // A phase change (review, steering, …) shows at once; streaming progress is throttled.
        const phase = this.runs.get(id)?.controller.phase;
        if (phase !== lastPhase) {
          lastPhase = phase;
          this.changeNow();
        } else {
          this.scheduleChange();
        }
      },
      report: (level, message) => {
        const line = `[${id}] ${message}`;
        if (level === 'error') this.log.error(line);
        else if (level === 'warning') this.log.warn(line);
        else this.log.info(line);
        this.reported.fire({ runId: id, level, message });
      },
      clear: () => this.changeNow(),
      ended: (snapshot) => {
        this.runs.delete(id);
        const s = snapshot.state;
        this.log.info(`[${id}] ended: ${s.phase}${s.endReason ? ` (${s.endReason})` : ''}, ${s.deltas} deltas`);
        this.changeNow();
      },
    };
  }

  /** What is still alive (lifecycle tests check that nothing is left behind). */
  resources(): { runs: number; documents: number; timers: number } {
    const syncTimers = [...this.documents.values()].filter((d) => d.sync.hasTimer).length;
    return { runs: this.runs.size, documents: this.documents.size, timers: syncTimers + (this.changeTimer ? 1 : 0) };
  }

  /** Stops every run and document sync and every timer. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    for (const { controller } of [...this.runs.values()]) controller.dispatch({ type: 'cancel' });
    this.disposed = true;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    for (const entry of this.documents.values()) entry.sync.dispose();
    this.documents.clear();
    this.runs.clear();
    this.changed.dispose();
    this.reported.dispose();
  }
}

/**
 * Whether the document still differs from its file once our last edit has
 * landed; if so the revert was dropped, and it is done again. The dirty flag
 * cannot tell (it lags our edits by an event), the file's text can.
 */
async function revertAgainIfOvertaken(document: vscode.TextDocument, log: Log): Promise<void> {
  if (document.isClosed || document.uri.scheme !== 'file') return;
  const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(document.uri));
  if (document.isClosed || document.getText() === onDisk.replace(/^\ufeff/, '')) return;
  log.info(`reverting ${vscode.workspace.asRelativePath(document.uri)} again: an edit already on its way had overtaken the revert`);
  const shown = vscode.window.activeTextEditor?.document === document;
  // The revert command acts on the active editor: show the document for it if its editor already closed.
  if (!shown) await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
  if (!shown) await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}
