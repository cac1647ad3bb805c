import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import type { RunRegistry } from '../runs/runRegistry';

/**
 * A run started from a selection leaves that selection over its output;
 * Escape would then only clear it, and a second Escape reject the run. Once
 * the run is under review, a selection that is exactly its region collapses
 * to its cursor, so the review's keys act at once. Any other selection (the
 * user's own since) is left alone.
 */
export class SelectionAfterRun implements vscode.Disposable {
  private readonly owned = new DisposableStore();

  constructor(registry: RunRegistry) {
    this.owned.add(
      registry.onDidChangeRuns((changes) => {
        for (const change of changes) {
          if (change.kind !== 'phase') continue;
          const run = registry.controller(change.runId)?.snapshot;
          if (!run?.region || run.state.phase !== 'review' || run.state.preview) continue;
          for (const editor of vscode.window.visibleTextEditors) {
            if (editor.document.uri.toString() !== change.uri || editor.selections.length !== 1) continue;
            const selection = editor.selection;
            const doc = editor.document;
            if (selection.isEmpty || doc.offsetAt(selection.start) !== run.region.start || doc.offsetAt(selection.end) !== run.region.end) continue;
            editor.selection = new vscode.Selection(selection.active, selection.active);
          }
        }
      }),
    );
  }

  dispose(): void {
    this.owned.dispose();
  }
}
