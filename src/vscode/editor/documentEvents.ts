import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import { editorTraffic } from '../platform/editorTraffic';
import type { Log } from '../platform/log';
import type { RunRegistry } from '../runs/runRegistry';
import type { Saves } from './saves';

/**
 * Routes what happens to documents to the runs editing them: every change to
 * the document's sync (which tells our edits from the user's and rebases the
 * regions), a revert mid-stream, a closed document, a closed last tab. Typing
 * in a document no run edits makes the streams yield for a moment.
 */
export class DocumentEvents implements vscode.Disposable {
  /** Each document's dirty flag at its last change event (the flag lags one event behind our own edits). */
  private readonly wasDirty = new Map<string, boolean>();
  private readonly owned = new DisposableStore();

  constructor(
    private readonly registry: RunRegistry,
    private readonly saves: Saves,
    private readonly log: Log,
  ) {
    this.owned.add(vscode.workspace.onDidChangeTextDocument((e) => this.onDidChange(e)));
    this.owned.add(vscode.workspace.onDidCloseTextDocument((d) => this.onDidClose(d)));
    this.owned.add(vscode.workspace.onWillSaveTextDocument((e) => saves.onWillSave(e)));
    this.owned.add(vscode.workspace.onDidSaveTextDocument((d) => saves.onDidSave(d)));
    this.owned.add(vscode.window.tabGroups.onDidChangeTabs((e) => this.onDidCloseTabs(e.closed.flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri] : [])))));
  }

  private onDidChange(event: vscode.TextDocumentChangeEvent): void {
    const { document } = event;
    // The user types in the editor they are in; a document changing in the background (an output
    // channel, our own log among them, or another extension's) is nobody typing, and holds no run back.
    if (event.contentChanges.length > 0 && document === vscode.window.activeTextEditor?.document && !this.registry.isLive(document)) this.registry.noteTyping(document);
    const sync = this.registry.syncFor(document);
    if (!sync) return;
    if (event.contentChanges.length > 0) {
      // Timed: VS Code answers an edit call only after its change event was handled, so this time is part of every edit's round trip.
      const began = performance.now();
      sync.onDocumentChange(
        document.version,
        event.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text })),
      );
      editorTraffic.handledChange(performance.now() - began);
    }
    // Our edits leave a document dirty. Turning clean while a run writes, with no save under way, means a revert has started: the user's edit.
    const key = document.uri.toString();
    const turnedClean = (this.wasDirty.get(key) ?? document.isDirty) && !document.isDirty;
    this.wasDirty.set(key, document.isDirty);
    if (turnedClean && !this.saves.isSaving(document) && this.registry.isLive(document)) this.stopForRevert(document);
  }

  /**
   * A revert reads the file, then drops itself if the text changed meanwhile
   * (VS Code keeps the newer text). Stop writing at once; if an edit of ours
   * was already in flight and won that race, revert again once it has landed.
   */
  private stopForRevert(document: vscode.TextDocument): void {
    this.log.info(`${vscode.workspace.asRelativePath(document.uri)} is being reverted: its runs stop`);
    const stopped = this.registry.controllersFor(document);
    this.registry.syncFor(document)?.onExternalReset();
    void Promise.all(stopped.map((c) => c.whenIdle()))
      .then(() => revertAgainIfOvertaken(document, this.log))
      .catch((error: unknown) => this.log.warn(`could not finish the revert: ${String(error)}`));
  }

  /**
   * The user closed the last tab of a document: its runs end at once, the
   * text staying as it is (the save prompt already asked what to keep), so
   * reopening the file never shows a stale review.
   */
  private onDidCloseTabs(uris: readonly vscode.Uri[]): void {
    const open = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri.toString()] : [])));
    for (const uri of uris) {
      if (open.has(uri.toString())) continue;
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (!document) continue;
      for (const c of this.registry.controllersFor(document)) c.dispatch({ type: 'accept' });
    }
  }

  private onDidClose(document: vscode.TextDocument): void {
    this.wasDirty.delete(document.uri.toString());
    this.registry.closeDocument(document);
  }

  dispose(): void {
    this.owned.dispose();
  }
}

/**
 * Whether the document still differs from its file once our last edit has
 * landed; if so the revert was dropped, and it is done again, on this very
 * document (never whatever editor happens to be active).
 */
async function revertAgainIfOvertaken(document: vscode.TextDocument, log: Log): Promise<void> {
  if (document.isClosed || document.uri.scheme !== 'file') return;
  const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(document.uri));
  if (document.isClosed || document.getText() === onDisk.replace(/^\ufeff/, '')) return;
  log.info(`reverting ${vscode.workspace.asRelativePath(document.uri)} again: an edit already on its way had overtaken the revert`);
  const shown = vscode.window.activeTextEditor?.document === document;
  // The revert command acts on the active editor: show the document for it if it is not the active one.
  const editor = shown ? vscode.window.activeTextEditor! : await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
  if (editor.document !== document) return;
  await vscode.commands.executeCommand('workbench.action.files.revert');
  // Close only the editor opened for this, and only if it is still this document's.
  if (!shown && vscode.window.activeTextEditor?.document === document) await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}
