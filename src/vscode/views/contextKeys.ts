import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import { isLive } from '../../core/session/runState';
import type { RunRegistry } from '../runs/runRegistry';

/** `sparkEdit.streaming` and `sparkEdit.reviewing` for the active editor, for keybinding when-clauses. */
export class ContextKeys implements vscode.Disposable {
  private readonly owned = new DisposableStore();
  private state = '';

  constructor(private readonly runs: RunRegistry) {
    this.owned.add(runs.onDidChangeRuns((changes) => changes.some((c) => c.kind !== 'progress') && this.update()));
    this.owned.add(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    this.update();
  }

  private update(): void {
    const editor = vscode.window.activeTextEditor;
    const runs = editor ? this.runs.runsFor(editor.document) : [];
    const streaming = runs.some((r) => isLive(r.state.phase));
    const reviewing = runs.some((r) => r.state.phase === 'review' && !r.state.preview);
    const state = `${streaming}/${reviewing}`;
    if (state === this.state) return;
    this.state = state;
    void vscode.commands.executeCommand('setContext', 'sparkEdit.streaming', streaming);
    void vscode.commands.executeCommand('setContext', 'sparkEdit.reviewing', reviewing);
  }

  dispose(): void {
    this.owned.dispose();
  }
}
