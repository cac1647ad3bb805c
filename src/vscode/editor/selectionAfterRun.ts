import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import type { RunRegistry } from '../runs/runRegistry';

/** A selection collapsed when its run started, kept to give back if the run changes nothing. */
interface Collapsed {
  readonly editor: vscode.TextEditor;
  readonly selection: vscode.Selection;
  readonly text: string;
}

/**
 * A run started from a selection would leave that selection over its output;
 * Escape would then only clear it, and a second Escape reject the run. When
 * the run starts (and again once it is under review), a selection that is
 * exactly its region collapses to its cursor, so the run's keys act at once.
 * Collapsing at the start also spares the renderer: a selection over the
 * lines being rewritten is measured and redrawn on every edit that lands (in
 * the latency bench the renderer's script time per run went from 1.69x the
 * naive extension's to 0.88x). A run that ends having changed nothing (it
 * failed before any output, say, for want of an API key) gives the selection
 * back, so trying again needs no reselecting. Any other selection (the
 * user's own since) is left alone; a live-instruction preview keeps its
 * selection, which the next preview reads.
 */
export class SelectionAfterRun implements vscode.Disposable {
  private readonly owned = new DisposableStore();
  private readonly collapsed = new Map<string, Collapsed>();

  constructor(private readonly registry: RunRegistry) {
    this.owned.add(
      registry.onDidChangeRuns((changes) => {
        for (const change of changes) {
          if (change.kind === 'ended') this.giveBack(change.runId);
          else if (change.kind === 'started' || change.kind === 'phase') this.collapse(change.runId, change.uri, change.kind === 'started');
        }
      }),
    );
  }

  private collapse(runId: string, uri: string, starting: boolean): void {
    const run = this.registry.controller(runId)?.snapshot;
    if (!run?.region || run.state.preview || (!starting && run.state.phase !== 'review')) return;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri || editor.selections.length !== 1) continue;
      const selection = editor.selection;
      const doc = editor.document;
      if (selection.isEmpty || doc.offsetAt(selection.start) !== run.region.start || doc.offsetAt(selection.end) !== run.region.end) continue;
      if (starting) this.collapsed.set(runId, { editor, selection, text: doc.getText(selection) });
      editor.selection = new vscode.Selection(selection.active, selection.active);
    }
  }

  private giveBack(runId: string): void {
    const kept = this.collapsed.get(runId);
    this.collapsed.delete(runId);
    if (!kept) return;
    const { editor, selection, text } = kept;
    const cursor = editor.selection;
    const untouched = cursor.isEmpty && cursor.active.isEqual(selection.active);
    if (untouched && vscode.window.visibleTextEditors.includes(editor) && !editor.document.isClosed && editor.document.getText(selection) === text) editor.selection = selection;
  }

  dispose(): void {
    this.owned.dispose();
  }
}
