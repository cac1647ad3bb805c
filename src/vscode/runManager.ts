import * as vscode from 'vscode';
import type { Clock } from '../core/clock';
import type { Settings } from '../core/config/settings';
import { DocumentSync } from '../core/edit/documentSync';
import type { Region } from '../core/edit/regionTracker';
import { RunController, type RunSnapshot, type RunView } from '../core/session/runController';
import type { ConnectionManager } from './connection';
import type { Decorations } from './decorations';
import type { ReviewCodeLens } from './codeLens';
import { VsCodeDocumentPort } from './documentPort';
import type { Log } from './log';
import type { StatusBar } from './statusBar';

interface DocumentEntry {
  readonly port: VsCodeDocumentPort;
  readonly sync: DocumentSync;
}

export type StartResult =
  | { readonly started: true; readonly runIds: readonly string[] }
  | { readonly started: false; readonly reason: 'needsKey' | 'badEndpoint' | 'overlap' | 'empty'; readonly message: string };

const LIVE = new Set(['connecting', 'streaming', 'redirecting', 'applying']);
/** Decorations and the status bar follow the stream at most this often; the buffer itself is not throttled. */
const RENDER_INTERVAL_MS = 50;

/**
 * Owns every run: one DocumentSync per document, one RunController per run.
 * Feeds document events to the syncs and renders run state (decorations,
 * CodeLens, status bar, context keys). Holds no edit logic of its own.
 */
export class RunManager implements vscode.Disposable {
  private readonly documents = new Map<string, DocumentEntry>();
  private readonly runs = new Map<string, { controller: RunController; uri: string }>();
  private nextId = 1;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private contextState = '';
  /** Lenses only change with run phases: refreshing them per frame makes the editor re-query for nothing. */
  private lensState = '';

  constructor(
    private readonly connection: ConnectionManager,
    private readonly settings: () => Settings,
    private readonly log: Log,
    private readonly status: StatusBar,
    private readonly decorations: Decorations,
    private readonly codeLens: ReviewCodeLens,
    private readonly clock: Clock,
  ) {}

  /** Snapshots of every run (tests and the exported API read these). */
  snapshots(): RunSnapshot[] {
    return [...this.runs.values()].map((r) => r.controller.snapshot);
  }

  runsFor(document: vscode.TextDocument): RunSnapshot[] {
    const uri = document.uri.toString();
    return [...this.runs.values()].filter((r) => r.uri === uri).map((r) => r.controller.snapshot);
  }

  /** How many edit calls each document received (benchmarks). */
  editCalls(document: vscode.TextDocument): number {
    return this.documents.get(document.uri.toString())?.port.editCalls ?? 0;
  }

  async start(editor: vscode.TextEditor, regions: readonly Region[], instruction: string): Promise<StartResult> {
    if (regions.length === 0) return { started: false, reason: 'empty', message: 'nothing to edit' };
    const connection = await this.connection.ensure();
    if (!connection.ok) return { started: false, reason: connection.reason, message: connection.message };
    this.status.clearError();
    const settings = this.settings();
    const entry = this.entryFor(editor.document, settings);
    // Editing a range again accepts the earlier result under review there.
    for (const c of this.activeRuns(editor.document)) {
      const s = c.snapshot;
      if (s.state.phase === 'review' && s.region && regions.some((r) => r.start <= s.region!.end && s.region!.start <= r.end)) c.dispatch({ type: 'accept' });
    }
    const ids: string[] = [];
    for (const region of regions) {
      const id = `run-${this.nextId++}`;
      try {
        const controller = new RunController(
          {
            id,
            instruction,
            region,
            model: settings.model,
            contextTokens: settings.contextTokens,
            onType: settings.onType,
            redirectPauseMs: settings.redirectPauseMs,
            applyMode: settings.applyMode,
            log: (m) => this.log.info(m),
          },
          entry.port,
          entry.sync,
          connection.channel,
          this.viewFor(id),
          this.clock,
        );
        this.runs.set(id, { controller, uri: editor.document.uri.toString() });
        ids.push(id);
        this.log.info(`[${id}] "${instruction}" on ${entry.port.fileName} [${region.start}, ${region.end})`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (ids.length === 0) return { started: false, reason: 'overlap', message: `Spark Edit is already editing that range: ${message}` };
        this.log.warn(`skipped a selection: ${message}`);
      }
    }
    this.scheduleRender();
    return { started: true, runIds: ids };
  }

  /** Runs of this document that are live or under review, newest last. */
  private activeRuns(document: vscode.TextDocument): RunController[] {
    const uri = document.uri.toString();
    return [...this.runs.values()].filter((r) => r.uri === uri).map((r) => r.controller);
  }

  isStreaming(document: vscode.TextDocument): boolean {
    return this.activeRuns(document).some((r) => LIVE.has(r.snapshot.state.phase));
  }

  lastInstruction(document: vscode.TextDocument): string | undefined {
    return this.activeRuns(document).at(-1)?.snapshot.state.instruction;
  }

  /** Redirects the document's runs; resolves once each new request has read the region. */
  async redirect(document: vscode.TextDocument, instruction: string): Promise<number> {
    const runs = this.activeRuns(document);
    for (const r of runs) r.redirect(instruction);
    await Promise.all(runs.map((r) => r.whenIdle()));
    return runs.length;
  }

  /** Stops the document's live runs; resolves once their last edit has landed or been refused. */
  async cancel(document: vscode.TextDocument): Promise<number> {
    const live = this.activeRuns(document).filter((r) => LIVE.has(r.snapshot.state.phase));
    for (const r of live) r.dispatch({ type: 'cancel' });
    await Promise.all(live.map((r) => r.whenIdle()));
    return live.length;
  }

  /** Accept or reject one run (by id), or every run under review in the document. */
  decide(decision: 'accept' | 'reject', target: { runId: string } | { document: vscode.TextDocument } | 'all'): number {
    let controllers: RunController[];
    if (target === 'all') controllers = [...this.runs.values()].map((r) => r.controller);
    else if ('runId' in target) controllers = [this.runs.get(target.runId)?.controller].filter((c): c is RunController => c !== undefined);
    else controllers = this.activeRuns(target.document);
    const eligible = controllers.filter((c) => (decision === 'reject' ? c.snapshot.state.phase !== 'done' : c.snapshot.state.phase === 'review'));
    for (const c of eligible) c.dispatch({ type: decision });
    return eligible.length;
  }

  onDidChangeTextDocument(event: vscode.TextDocumentChangeEvent): void {
    const entry = this.documents.get(event.document.uri.toString());
    if (!entry || event.contentChanges.length === 0) return;
    entry.sync.onDocumentChange(
      event.document.version,
      event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
    );
    this.scheduleRender();
  }

  onDidCloseTextDocument(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const entry = this.documents.get(key);
    if (!entry) return;
    entry.sync.onDocumentClosed();
    this.documents.delete(key);
  }

  renderNow(): void {
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = undefined;
    const byDocument = new Map<vscode.TextDocument, RunSnapshot[]>();
    for (const editor of vscode.window.visibleTextEditors) {
      if (!byDocument.has(editor.document)) byDocument.set(editor.document, this.runsFor(editor.document));
    }
    this.decorations.render(vscode.window.visibleTextEditors, byDocument);
    const all = this.snapshots();
    const lensState = all.map((s) => `${s.id}:${s.state.phase}`).join(',');
    if (lensState !== this.lensState) {
      this.lensState = lensState;
      this.codeLens.refresh();
    }
    this.status.showRun(all.find((s) => LIVE.has(s.state.phase)));
    this.updateContextKeys();
  }

  private scheduleRender(): void {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => this.renderNow(), RENDER_INTERVAL_MS);
  }

  private updateContextKeys(): void {
    const editor = vscode.window.activeTextEditor;
    const runs = editor ? this.runsFor(editor.document) : [];
    const streaming = runs.some((r) => LIVE.has(r.state.phase));
    const reviewing = runs.some((r) => r.state.phase === 'review');
    const state = `${streaming}/${reviewing}`;
    if (state === this.contextState) return;
    this.contextState = state;
    void vscode.commands.executeCommand('setContext', 'sparkEdit.streaming', streaming);
    void vscode.commands.executeCommand('setContext', 'sparkEdit.reviewing', reviewing);
  }

  private entryFor(document: vscode.TextDocument, settings: Settings): DocumentEntry {
    const key = document.uri.toString();
    let entry = this.documents.get(key);
    if (!entry) {
      const port = new VsCodeDocumentPort(document);
      entry = { port, sync: new DocumentSync(port, this.clock, settings.flushIntervalMs, document.version) };
      this.documents.set(key, entry);
    }
    return entry;
  }

  private viewFor(id: string): RunView {
    return {
      update: () => this.scheduleRender(),
      report: (level, message) => {
        if (level === 'error') {
          this.log.error(`[${id}] ${message}`);
          this.status.setError(message);
          void vscode.window.showErrorMessage(`Spark Edit: ${this.log.redact(message)}`, 'Show Log').then((choice) => {
            if (choice) this.log.show();
          });
        } else if (level === 'warning') {
          this.log.warn(`[${id}] ${message}`);
          void vscode.window.showWarningMessage(`Spark Edit: ${this.log.redact(message)}`);
        } else {
          this.log.info(`[${id}] ${message}`);
        }
      },
      clear: () => {
        this.decorations.forget(id);
        this.scheduleRender();
      },
      ended: (snapshot) => {
        this.runs.delete(id);
        this.decorations.forget(id);
        const s = snapshot.state;
        this.log.info(`[${id}] ended: ${s.phase}${s.endReason ? ` (${s.endReason})` : ''}, ${s.deltas} deltas`);
        this.renderNow();
      },
    };
  }

  dispose(): void {
    for (const { controller } of this.runs.values()) controller.dispatch({ type: 'cancel' });
    if (this.renderTimer) clearTimeout(this.renderTimer);
  }
}
