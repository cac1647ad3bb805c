import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { answerFormatFor, type Settings } from '../../core/config/settings';
import { DocumentSync, TYPING_PAUSE_MS } from '../../core/edit/documentSync';
import { RoundTrips } from '../../core/edit/roundTrips';
import { regionsOverlap, type Region } from '../../core/edit/regionTracker';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import { err, ok, type Result } from '../../core/result';
import { RunController, type Connector, type RunOptions, type RunSnapshot, type RunView } from '../../core/session/runController';
import { isLive, outcomeOf, type Outcome } from '../../core/session/runState';
import type { ConnectReason } from '../../core/transport/responseChannel';
import { VsCodeDocumentPort } from '../editor/documentPort';
import { clearStaleDirty } from '../editor/staleDirty';
import { describeTraffic, editorTraffic, type TrafficMark } from '../platform/editorTraffic';
import type { Log } from '../platform/log';

/** What changed about a run: views redraw what they show of it. */
export interface RunChange {
  readonly runId: string;
  readonly uri: string;
  /** `started`, `phase` (moved to another phase) and `ended` show at once; `progress` (output streamed in) at the view's pace. */
  readonly kind: 'started' | 'phase' | 'progress' | 'ended';
}

/** A message a run reported, for views that show it (status bar, notifications). */
export interface RunReport {
  readonly runId: string;
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
  /** What the user can do about a connection that could not be made. */
  readonly reason?: ConnectReason;
  /** The run no longer changes the buffer (its last word, not a remark on the way). */
  readonly settled: boolean;
}

export type StartFailure = { readonly reason: 'overlap' | 'empty'; readonly message: string };

interface DocumentEntry {
  readonly port: VsCodeDocumentPort;
  readonly sync: DocumentSync;
}

const metadataOption = (metadata: Readonly<Record<string, string>> | undefined): { metadata?: Readonly<Record<string, string>> } => (metadata ? { metadata } : {});

/** Streaming progress reaches the views at most this often; phase changes at once. */
const PROGRESS_INTERVAL_MS = 50;

/**
 * Which runs exist: one DocumentSync per document, one RunController per
 * run. Starts and restores runs, answers lookups, and tells views what
 * changed (`onDidChangeRuns`, with the runs and what kind of change) and
 * what runs reported (`onDidReport`). Decides nothing about a run.
 */
export class RunRegistry implements vscode.Disposable {
  private readonly documents = new Map<string, DocumentEntry>();
  /** The editor's edit round trips, one measure for the window: a document's first run holds by what the others measured. */
  private readonly roundTrips = new RoundTrips();
  private readonly runs = new Map<string, { readonly controller: RunController; readonly uri: string; readonly traffic?: TrafficMark }>();
  private readonly changed = new vscode.EventEmitter<readonly RunChange[]>();
  private readonly reported = new vscode.EventEmitter<RunReport>();
  readonly onDidChangeRuns = this.changed.event;
  readonly onDidReport = this.reported.event;
  private readonly owned = new DisposableStore();
  /** Progress waiting for the next tick, by run. */
  private progress = new Map<string, RunChange>();
  private progressTimer: Disposable | undefined;
  /**
   * Where and when the user last typed in a document no run edits. Until
   * TYPING_PAUSE_MS after it, model edits into other documents wait (see
   * DocumentSync's MAX_YIELD_MS): back to back, the edits of a large rewrite
   * keep the renderer busy, and the user's keystrokes wait behind them. A run
   * started in the document just typed in is not held by that typing.
   */
  private lastTyped: { readonly uri: string; readonly at: number } | undefined;
  private nextId = 1;
  /** This window's runs' cache keys are unique across windows. */
  private readonly sessionId = randomUUID();

  constructor(
    private readonly connector: Connector,
    private readonly settings: () => Settings,
    private readonly log: Log,
    private readonly clock: Clock,
    /** Metadata for a run's requests under these settings (the local server's chosen speed). */
    private readonly requestMetadata: (settings: Settings) => Readonly<Record<string, string>> | undefined = () => undefined,
  ) {
    this.owned.add(this.changed);
    this.owned.add(this.reported);
  }

  snapshots(): RunSnapshot[] {
    return [...this.runs.values()].map((r) => r.controller.snapshot);
  }

  runsFor(document: vscode.TextDocument): RunSnapshot[] {
    return this.controllersFor(document).map((c) => c.snapshot);
  }

  controller(runId: string): RunController | undefined {
    return this.runs.get(runId)?.controller;
  }

  /** Every run, or the runs of one document. */
  controllers(): RunController[] {
    return [...this.runs.values()].map((r) => r.controller);
  }

  controllersFor(document: vscode.TextDocument): RunController[] {
    const uri = document.uri.toString();
    return [...this.runs.values()].filter((r) => r.uri === uri).map((r) => r.controller);
  }

  /** The runs of this document that may still change it (the same predicate as the status bar and context keys). */
  liveControllersFor(document: vscode.TextDocument): RunController[] {
    return this.controllersFor(document).filter((c) => isLive(c.phase));
  }

  isLive(document: vscode.TextDocument): boolean {
    return this.liveControllersFor(document).length > 0;
  }

  /** The document's sync, if a run ever edited it (document events are routed to it). */
  syncFor(document: vscode.TextDocument): DocumentSync | undefined {
    return this.documents.get(document.uri.toString())?.sync;
  }

  /** Each run's phase, step and request, and each document's sync, a line each (see SparkEditApi.describeState). */
  describe(): string[] {
    const runs = [...this.runs.values()].map(({ controller: c }) => {
      const { phase, request, step } = c.snapshot.state;
      return `${c.id}: ${phase}, request ${request}, step ${step}`;
    });
    const syncs = [...this.documents].map(([uri, d]) => `${uri.slice(uri.lastIndexOf('/') + 1)}: ${d.sync.describe()}`);
    return [...runs, ...syncs];
  }

  /** How many edit calls each document received (benchmarks). */
  editCalls(document: vscode.TextDocument): number {
    return this.documents.get(document.uri.toString())?.port.editCalls ?? 0;
  }

  /** The user changed a document no run edits: streams in other documents yield to their typing for a moment. */
  noteTyping(document: vscode.TextDocument): void {
    this.lastTyped = { uri: document.uri.toString(), at: this.clock.now() };
  }

  /**
   * How much longer runs in `document` hold their edits for the user's
   * typing in another document (0: not held). Typing in this document itself
   * holds nothing back: a run it meets hears it as the user's edit.
   */
  typingElsewhereForMs(document: vscode.TextDocument): number {
    if (!this.lastTyped || this.lastTyped.uri === document.uri.toString()) return 0;
    return Math.max(0, this.lastTyped.at + TYPING_PAUSE_MS - this.clock.now());
  }

  /**
   * Starts a run per region, at once: the runs exist (their regions tracked)
   * before any connection is made, so nothing the user does meanwhile can
   * shift them. `preview` starts a live-instruction preview.
   */
  start(document: vscode.TextDocument, regions: readonly Region[], instruction: string, preview = false, project?: RunOptions['project']): Result<string[], StartFailure> {
    if (regions.length === 0) return err({ reason: 'empty', message: 'nothing to edit' });
    const settings = this.settings();
    const entry = this.entryFor(document);
    // Editing a range again accepts the earlier result under review there.
    for (const c of this.controllersFor(document)) {
      const s = c.snapshot;
      if ((s.state.phase === 'review' || s.state.phase === 'reverted') && s.region && regions.some((r) => regionsOverlap(r, s.region!))) c.dispatch({ type: 'accept' });
    }
    const ids: string[] = [];
    for (const region of regions) {
      const id = `run-${this.nextId++}`;
      const started = RunController.start({ ...this.runOptions(id, instruction, region, settings, document), preview, ...(project ? { project } : {}) }, entry.port, entry.sync, this.connector, this.viewFor(id, document), this.clock);
      if (!started.ok) {
        this.log.warn(`skipped a selection: ${started.error}`);
        continue;
      }
      this.runs.set(id, { controller: started.value, uri: document.uri.toString(), traffic: editorTraffic.mark() });
      ids.push(id);
      this.log.info(`[${id}] "${instruction}" on ${entry.port.fileName} [${region.start}, ${region.end})`);
      this.fire({ runId: id, uri: document.uri.toString(), kind: 'started' });
    }
    return ids.length > 0 ? ok(ids) : err({ reason: 'overlap', message: 'Spark Edit is already editing that range.' });
  }

  /** Brings back a run under review (its region must hold its output now); false when the range is taken. */
  restore(document: vscode.TextDocument, region: Region, original: string, instruction: string, outcome: Outcome): boolean {
    if (this.controllersFor(document).some((c) => c.snapshot.region && regionsOverlap(c.snapshot.region, region))) return false;
    const entry = this.entryFor(document);
    const id = `run-${this.nextId++}`;
    const restored = RunController.restore(this.runOptions(id, instruction, region, this.settings(), document), original, outcome, entry.port, entry.sync, this.connector, this.viewFor(id, document), this.clock);
    if (!restored.ok) return false;
    this.runs.set(id, { controller: restored.value, uri: document.uri.toString() });
    this.fire({ runId: id, uri: document.uri.toString(), kind: 'started' });
    return true;
  }

  /** The document closed: its sync stops (its runs hear it and end). */
  closeDocument(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const entry = this.documents.get(key);
    if (!entry) return;
    entry.sync.dispose();
    this.documents.delete(key);
  }

  private runOptions(id: string, instruction: string, region: Region, settings: Settings, document: vscode.TextDocument): RunOptions {
    const startsLine = document.positionAt(region.start).character === 0;
    const format = answerFormatFor(document.getText().slice(region.start, region.end), startsLine, settings);
    return {
      format,
      id,
      instruction,
      region,
      model: settings.model,
      contextTokens: settings.contextTokens,
      policy: { onType: settings.onType, redirectPauseMs: settings.redirectPauseMs },
      applyMode: settings.applyMode,
      ...(settings.reasoningEffort !== 'default' ? { reasoningEffort: settings.reasoningEffort } : {}),
      promptCacheKey: `spark-edit:${this.sessionId}:${id}`,
      ...(settings.alternatives > 1 ? { takes: settings.alternatives } : {}),
      ...metadataOption(this.requestMetadata(settings)),
      log: (m) => this.log.info(m),
    };
  }

  private entryFor(document: vscode.TextDocument): DocumentEntry {
    const key = document.uri.toString();
    let entry = this.documents.get(key);
    if (!entry) {
      const port = new VsCodeDocumentPort(document);
      // Both read at every flush, so a changed setting and typing elsewhere apply at once.
      const interval = (): number => this.settings().flushIntervalMs;
      entry = { port, sync: new DocumentSync(port, this.clock, interval, document.version, this.roundTrips, () => this.typingElsewhereForMs(document)) };
      this.documents.set(key, entry);
    }
    return entry;
  }

  private viewFor(id: string, document: vscode.TextDocument): RunView {
    const uri = document.uri.toString();
    return {
      update: (phaseChanged) => this.fire({ runId: id, uri, kind: phaseChanged ? 'phase' : 'progress' }),
      report: (level, message, _snapshot, reason) => {
        const line = `[${id}] ${message}`;
        if (level === 'error') this.log.error(line);
        else if (level === 'warning') this.log.warn(line);
        else this.log.info(line);
        const phase = this.runs.get(id)?.controller.phase;
        this.reported.fire({ runId: id, level, message, settled: phase === undefined || !isLive(phase), ...(reason ? { reason } : {}) });
      },
      ended: (snapshot) => {
        const traffic = this.runs.get(id)?.traffic;
        this.runs.delete(id);
        const outcome = outcomeOf(snapshot.state);
        this.log.info(`[${id}] ended: ${snapshot.state.phase}${outcome ? ` (${outcome.endReason})` : ''}, ${snapshot.state.stream.deltas} deltas`);
        if (traffic) this.log.info(`[${id}] ${describeTraffic(editorTraffic.since(traffic))}`);
        // A run that changed nothing leaves the document as it was, its saved state included.
        if (outcome?.endReason === 'unchanged') {
          clearStaleDirty(document).then(
            (reverted) => reverted && this.log.info(`[${id}] the buffer reads as its file again: its stale dirty mark is cleared`),
            (error: unknown) => this.log.warn(`[${id}] could not compare the buffer with its file: ${String(error)}`),
          );
        }
        this.fire({ runId: id, uri, kind: 'ended' });
      },
    };
  }

  /** Phase changes reach the views at once (with any progress waiting); progress at most every PROGRESS_INTERVAL_MS. */
  private fire(change: RunChange): void {
    if (this.owned.isDisposed) return;
    if (change.kind === 'progress') {
      this.progress.set(change.runId, change);
      this.progressTimer ??= this.owned.add(timeout(this.clock, () => this.flushProgress(), PROGRESS_INTERVAL_MS));
      return;
    }
    this.progress.delete(change.runId);
    this.changed.fire([change, ...this.takeProgress()]);
  }

  private flushProgress(): void {
    const waiting = this.takeProgress();
    if (waiting.length > 0) this.changed.fire(waiting);
  }

  private takeProgress(): RunChange[] {
    if (this.progressTimer) this.owned.forget(this.progressTimer);
    this.progressTimer?.dispose();
    this.progressTimer = undefined;
    const waiting = [...this.progress.values()];
    this.progress = new Map();
    return waiting;
  }

  /** What is still alive (lifecycle tests check that nothing is left behind). */
  resources(): { runs: number; documents: number; timers: number } {
    const syncTimers = [...this.documents.values()].filter((d) => d.sync.hasTimer).length;
    return { runs: this.runs.size, documents: this.documents.size, timers: syncTimers + (this.progressTimer ? 1 : 0) };
  }

  /** Stops every run, document sync and timer. Idempotent. */
  dispose(): void {
    if (this.owned.isDisposed) return;
    for (const { controller } of [...this.runs.values()]) controller.dispatch({ type: 'cancel' });
    this.takeProgress();
    this.owned.dispose();
    for (const entry of this.documents.values()) entry.sync.dispose();
    this.documents.clear();
    this.runs.clear();
  }
}
