import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import type { RunSnapshot } from '../../core/session/runController';
import { isLive, isQueued } from '../../core/session/runState';
import type { ChannelState } from '../../core/transport/responseChannel';
import type { ConnectionManager } from '../connection/connectionManager';
import type { RunRegistry } from '../runs/runRegistry';
import { editorTraffic } from '../platform/editorTraffic';
import { formatCount } from './format';

/** " · TTFT 23 ms" once the run's first token arrived. */
const ttftText = (run: RunSnapshot): string => (run.timeToFirstTokenMs !== undefined ? ` · TTFT ${formatCount(run.timeToFirstTokenMs)} ms` : '');

/** How long a quiet word ("no changes") stays in the status bar. */
const NOTICE_MS = 5_000;

/** How often a live run's rate may change the item. */
const PROGRESS_MS = 500;

/** What the status item says about a live run. */
function liveText(run: RunSnapshot): string {
  const s = run.state;
  if (s.preview) return '$(eye) Spark: previewing';
  if (isQueued(s)) return '$(watch) Spark: waiting for a connection';
  if (s.phase === 'steering') return '$(debug-step-over) Spark: redirecting';
  if (s.phase === 'redirecting') return '$(edit) Spark: paused while you type';
  if (s.phase === 'restoring') return '$(discard) Spark: restoring';
  if (s.phase === 'connecting' && s.resumes > 0) return '$(sync~spin) Spark: reconnecting';
  if (s.phase === 'connecting') return s.stream.progress ? '$(sync~spin) Spark: thinking' : '$(sync~spin) Spark: sending';
  const rate = run.tokensPerSecond !== undefined ? `${formatCount(run.tokensPerSecond)} tok/s` : 'streaming';
  return `$(zap) Spark: ${rate}${ttftText(run)}`;
}

/** One status item: idle / connecting / streaming with tok/s and TTFT / error (click: the log). Follows the runs and the connection. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sparkEdit.status', vscode.StatusBarAlignment.Right, 100);
  private readonly owned = new DisposableStore();
  private connection: ChannelState = 'idle';
  /** The latest failure, of a run or of the connection, until something newer says otherwise. */
  private error: string | undefined;
  private lastRun: string | undefined;
  /** The latest word of a run that ended quietly ("no changes", "cancelled"), shown for a moment. */
  private notice: { readonly text: string; readonly detail: string } | undefined;
  private noticeTimer: Disposable | undefined;
  /** What the item shows now, as one key. */
  private shown = '';
  private renderedAt = -Infinity;

  constructor(
    private readonly runs: RunRegistry,
    connection: ConnectionManager,
    private readonly clock: Clock,
  ) {
    this.owned.add(this.item);
    this.item.name = 'Spark Edit';
    this.item.command = 'sparkEdit.showLog';
    this.owned.add(
      runs.onDidChangeRuns((changes) => {
        // A new run clears the last one's error.
        if (changes.some((c) => c.kind === 'started')) this.error = undefined;
        const live = this.liveRun();
        if (live?.tokensPerSecond !== undefined) this.lastRun = `last run ${formatCount(live.tokensPerSecond)} tok/s${ttftText(live)}`;
        // The rate is worth a glance, not a message to the renderer on every token: while the model's text is painted, at most every PROGRESS_MS.
        if (changes.every((c) => c.kind === 'progress') && this.clock.now() - this.renderedAt < PROGRESS_MS) return;
        this.render(live);
      }),
    );
    this.owned.add(
      runs.onDidReport((r) => {
        if (r.level === 'error') this.error = r.message;
        else if (r.settled) this.showNotice(r.message);
        this.render();
      }),
    );
    this.owned.add(
      connection.onDidChangeState(({ state, detail }) => {
        this.connection = state;
        if (state === 'offline' && detail) this.error = `offline: ${detail}`;
        // Ready, or a new pool (the settings or key changed): an old connection error no longer holds.
        if ((state === 'ready' || state === 'idle') && this.error?.startsWith('offline:')) this.error = undefined;
        this.render();
      }),
    );
    this.render();
    this.item.show();
  }

  private showNotice(message: string): void {
    this.noticeTimer?.dispose();
    this.notice = { text: message.split(/[:(;]/)[0]!.trim(), detail: message };
    this.noticeTimer = this.owned.add(
      timeout(
        this.clock,
        () => {
          this.notice = undefined;
          this.render();
        },
        NOTICE_MS,
      ),
    );
  }

  /** Plain text of the item, for tests and the log. */
  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : '';
  }

  /** Sends the item to the workbench only when what it shows changed: each send is work for the renderer's one thread. */
  private render(live = this.liveRun()): void {
    const next = this.content(live);
    const key = `${next.text}\n${next.tooltip}\n${next.error}`;
    if (key === this.shown) return;
    this.shown = key;
    this.renderedAt = this.clock.now();
    editorTraffic.count('statusBarUpdates');
    this.item.text = next.text;
    this.item.tooltip = next.tooltip;
    this.item.backgroundColor = next.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  /** The first live run's snapshot (one snapshot built, not every run's). */
  private liveRun(): RunSnapshot | undefined {
    return this.runs.controllers().find((c) => isLive(c.phase))?.snapshot;
  }

  private content(run: RunSnapshot | undefined): { readonly text: string; readonly tooltip: string; readonly error: boolean } {
    if (run) {
      const progress = run.state.stream.progress ? `\nThe model says: ${run.state.stream.progress}` : '';
      const resumed = run.state.resumes > 0 ? '\nReconnected: the connection dropped and the edit carried on where it stopped.' : '';
      return { text: liveText(run), tooltip: `Editing: "${run.state.instruction}". Type anywhere to stop it; Spark Edit: Redirect to change course.${progress}${resumed}`, error: false };
    }
    if (this.error) return { text: '$(error) Spark Edit: error', tooltip: `${this.error}\nClick to open the Spark Edit log.`, error: true };
    if (this.notice) return { text: `$(info) Spark Edit: ${this.notice.text}`, tooltip: `${this.notice.detail}\nClick for the log.`, error: false };
    if (this.connection === 'connecting') return { text: '$(sync~spin) Spark Edit: connecting', tooltip: 'Opening the WebSocket connection', error: false };
    const tooltip = `Spark Edit: ${this.connection === 'ready' ? 'connected' : 'idle'}${this.lastRun ? ` (${this.lastRun})` : ''}. Ctrl+I (Cmd+I) edits at the cursor. Click for the log.`;
    return { text: '$(sparkle) Spark Edit', tooltip, error: false };
  }

  dispose(): void {
    this.owned.dispose();
  }
}
