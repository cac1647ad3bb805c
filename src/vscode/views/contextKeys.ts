import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import { isLive } from '../../core/session/runState';
import { editorTraffic } from '../platform/editorTraffic';
import type { RunRegistry } from '../runs/runRegistry';

/** `sparkEdit.streaming` and `sparkEdit.reviewing` for the active editor, for keybinding when-clauses. */
export class ContextKeys implements vscode.Disposable {
  private readonly owned = new DisposableStore();
  private readonly values = new Map<string, boolean>();

  constructor(private readonly runs: RunRegistry) {
    this.owned.add(runs.onDidChangeRuns((changes) => changes.some((c) => c.kind !== 'progress') && this.update()));
    this.owned.add(vscode.window.onDidChangeActiveTextEditor(() => this.update()));
    this.update();
  }

  private update(): void {
    const editor = vscode.window.activeTextEditor;
    const runs = editor ? this.runs.runsFor(editor.document) : [];
    const next = {
      'sparkEdit.streaming': runs.some((r) => isLive(r.state.phase)),
      'sparkEdit.reviewing': runs.some((r) => r.state.phase === 'review' && !r.state.preview),
    };
    // Only what changed: each setContext is a message to the workbench, which re-evaluates its when-clauses.
    for (const [key, value] of Object.entries(next)) {
      if (this.values.get(key) === value) continue;
      this.values.set(key, value);
      editorTraffic.count('contextKeys');
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  dispose(): void {
    this.owned.dispose();
  }
}
