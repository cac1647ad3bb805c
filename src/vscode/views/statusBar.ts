import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import type { RunSnapshot } from '../../core/session/runController';
import { isLive, isQueued } from '../../core/session/runState';
import type { ChannelState } from '../../core/transport/responseChannel';
import type { ConnectionManager } from '../connection/connectionManager';
import type { RunRegistry } from '../runs/runRegistry';
import { formatCount } from './format';

/** " · TTFT 23 ms" once the run's first token arrived. */
const ttftText = (run: RunSnapshot): string => (run.timeToFirstTokenMs !== undefined ? ` · TTFT ${formatCount(run.timeToFirstTokenMs)} ms` : '');

/** How long a quiet word ("no changes") stays in the status bar. */
const NOTICE_MS = 5_000;

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
        this.render();
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

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    const run = this.runs.snapshots().find((r) => isLive(r.state.phase));
    if (run) {
      item.text = liveText(run);
      const progress = run.state.stream.progress ? `\nThe model says: ${run.state.stream.progress}` : '';
      const resumed = run.state.resumes > 0 ? '\nReconnected: the connection dropped and the edit carried on where it stopped.' : '';
      item.tooltip = `Editing: "${run.state.instruction}". Type anywhere to stop it; Spark Edit: Redirect to change course.${progress}${resumed}`;
      if (run.tokensPerSecond !== undefined) this.lastRun = `last run ${formatCount(run.tokensPerSecond)} tok/s${ttftText(run)}`;
      return;
    }
    if (this.error) {
      item.text = '$(error) Spark Edit: error';
      item.tooltip = `${this.error}\nClick to open the Spark Edit log.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    if (this.notice) {
      item.text = `$(info) Spark Edit: ${this.notice.text}`;
      item.tooltip = `${this.notice.detail}\nClick for the log.`;
      return;
    }
    if (this.connection === 'connecting') {
      item.text = '$(sync~spin) Spark Edit: connecting';
      item.tooltip = 'Opening the WebSocket connection';
      return;
    }
    item.text = '$(sparkle) Spark Edit';
    item.tooltip = `Spark Edit: ${this.connection === 'ready' ? 'connected' : 'idle'}${this.lastRun ? ` (${this.lastRun})` : ''}. Ctrl+I (Cmd+I) edits at the cursor. Click for the log.`;
  }

  dispose(): void {
    this.owned.dispose();
  }
}
