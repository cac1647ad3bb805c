import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import type { RunRegistry } from '../runs/runRegistry';

/**
 * A run started from a selection would leave that selection over its output;
 * Escape would then only clear it, and a second Escape reject the run. When
 * the run starts (and again once it is under review), a selection that is
 * exactly its region collapses to its cursor, so the run's keys act at once.
 * Collapsing at the start also spares the renderer: a selection over the
 * lines being rewritten is redrawn, and reported to the extension host, on
 * every edit that lands (in the latency bench the renderer's script time per
 * run went from 1.69x the naive extension's to 0.88x). Any other selection
 * (the user's own since) is left alone; a live-instruction preview keeps its
 * selection, which the next preview reads.
 */
export class SelectionAfterRun implements vscode.Disposable {
  private readonly owned = new DisposableStore();

  constructor(registry: RunRegistry) {
    this.owned.add(
      registry.onDidChangeRuns((changes) => {
        for (const change of changes) {
          if (change.kind !== 'phase' && change.kind !== 'started') continue;
          const run = registry.controller(change.runId)?.snapshot;
          if (!run?.region || run.state.preview) continue;
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
