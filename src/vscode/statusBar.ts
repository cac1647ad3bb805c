import * as vscode from 'vscode';
import { isLive } from '../core/session/reducer';
import type { RunSnapshot } from '../core/session/runController';
import type { ChannelState } from '../core/transport/responseChannel';
import type { ConnectionManager } from './connectionManager';
import type { RunManager } from './runManager';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** What the status item says about a live run. */
function liveText(run: RunSnapshot): string {
  const s = run.state;
  if (s.preview) return '$(eye) Spark: previewing';
  if (s.queued) return '$(watch) Spark: waiting for a connection';
  if (s.phase === 'steering') return '$(debug-step-over) Spark: redirecting';
  if (s.phase === 'redirecting') return '$(edit) Spark: paused while you type';
  if (s.phase === 'connecting' && s.resumes > 0) return '$(sync~spin) Spark: reconnecting';
  if (s.phase === 'connecting') return s.progress ? '$(sync~spin) Spark: thinking' : '$(sync~spin) Spark: sending';
  const rate = run.tokensPerSecond !== undefined ? `${fmt(run.tokensPerSecond)} tok/s` : 'streaming';
  const ttft = run.timeToFirstTokenMs !== undefined ? ` · TTFT ${fmt(run.timeToFirstTokenMs)} ms` : '';
  return `$(zap) Spark: ${rate}${ttft}`;
}

/** One status item: idle / connecting / streaming with tok/s and TTFT / error (click: the log). Follows the runs and the connection. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sparkEdit.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private connection: ChannelState = 'idle';
  /** The last run's failure (cleared when a run starts). */
  private runError: string | undefined;
  /** Why the endpoint cannot be reached (cleared when it can). */
  private connectionError: string | undefined;
  private lastRun: string | undefined;
  private runCount = 0;

  constructor(
    private readonly runs: RunManager,
    connection: ConnectionManager,
  ) {
    this.item.name = 'Spark Edit';
    this.item.command = 'sparkEdit.showLog';
    this.subscriptions.push(
      runs.onDidChangeRuns(() => this.render()),
      runs.onDidReport((r) => {
        if (r.level === 'error') this.runError = r.message;
        this.render();
      }),
      connection.onDidChangeState(({ state, detail }) => {
        this.connection = state;
        if (state === 'offline' && detail) this.connectionError = `offline: ${detail}`;
        if (state === 'ready') this.connectionError = undefined;
        this.render();
      }),
    );
    this.render();
    this.item.show();
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
    const all = this.runs.snapshots();
    // A new run clears the last run's error.
    if (all.length > this.runCount && all.some((r) => r.state.phase === 'connecting')) this.runError = undefined;
    this.runCount = all.length;
    const run = all.find((r) => isLive(r.state.phase));
    if (run) {
      item.text = liveText(run);
      const progress = run.state.progress ? `\nThe model says: ${run.state.progress}` : '';
      const resumed = run.state.resumes > 0 ? '\nReconnected: the connection dropped and the edit carried on where it stopped.' : '';
      item.tooltip = `Editing: "${run.state.instruction}". Type anywhere to stop it; Spark Edit: Redirect to change course.${progress}${resumed}`;
      if (run.tokensPerSecond !== undefined) this.lastRun = `last run ${fmt(run.tokensPerSecond)} tok/s${run.timeToFirstTokenMs !== undefined ? ` · TTFT ${fmt(run.timeToFirstTokenMs)} ms` : ''}`;
      return;
    }
    const error = this.runError ?? this.connectionError;
    if (error) {
      item.text = '$(error) Spark: error';
      item.tooltip = `${error}\nClick to open the Spark Edit log.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    if (this.connection === 'connecting') {
      item.text = '$(sync~spin) Spark: connecting';
      item.tooltip = 'Opening the WebSocket connection';
      return;
    }
    item.text = this.connection === 'ready' ? '$(zap) Spark' : '$(circle-outline) Spark';
    item.tooltip = `Spark Edit: ${this.connection === 'ready' ? 'connected' : 'idle'}${this.lastRun ? ` (${this.lastRun})` : ''}. Click for the log.`;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}
