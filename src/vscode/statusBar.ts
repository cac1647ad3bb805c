import * as vscode from 'vscode';
import type { ChannelState } from '../core/transport/responseChannel';
import type { RunSnapshot } from '../core/session/runController';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One status item: idle / connecting / streaming with tok/s and TTFT / error (click: the log). */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sparkEdit.status', vscode.StatusBarAlignment.Right, 100);
  private connection: ChannelState = 'idle';
  /** The last run's failure (cleared when a run starts). */
  private runError: string | undefined;
  /** Why the endpoint cannot be reached (cleared when it can). */
  private connectionError: string | undefined;
  private lastRun: string | undefined;

  constructor() {
    this.item.name = 'Spark Edit';
    this.item.command = 'sparkEdit.showLog';
    this.render(undefined);
    this.item.show();
  }

  /** Plain text of the item, for tests and the log. */
  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : '';
  }

  setConnection(state: ChannelState, detail?: string): void {
    this.connection = state;
    if (state === 'offline' && detail) this.connectionError = `offline: ${detail}`;
    if (state === 'ready') this.connectionError = undefined;
    this.render(undefined);
  }

  setError(message: string): void {
    this.runError = message;
    this.render(undefined);
  }

  clearError(): void {
    this.runError = undefined;
    this.render(undefined);
  }

  showRun(snapshot: RunSnapshot | undefined): void {
    this.render(snapshot);
  }

  private render(run: RunSnapshot | undefined): void {
    const item = this.item;
    item.backgroundColor = undefined;
    if (run && (run.state.phase === 'streaming' || run.state.phase === 'connecting' || run.state.phase === 'applying')) {
      const rate = run.tokensPerSecond !== undefined ? `${fmt(run.tokensPerSecond)} tok/s` : 'waiting';
      const ttft = run.timeToFirstTokenMs !== undefined ? ` · TTFT ${fmt(run.timeToFirstTokenMs)} ms` : '';
      item.text = run.state.phase === 'connecting' ? '$(sync~spin) Spark: sending' : `$(zap) Spark: ${rate}${ttft}`;
      item.tooltip = `Streaming "${run.state.instruction}". Type anywhere to stop it; Spark Edit: Redirect to change course.`;
      this.lastRun = run.tokensPerSecond !== undefined ? `last run ${rate}${ttft}` : undefined;
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
    this.item.dispose();
  }
}
