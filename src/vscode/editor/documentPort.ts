import * as vscode from 'vscode';
import type { ApplyOutcome, DocumentPort } from '../../core/edit/documentSync';
import type { TextEdit } from '../../core/edit/textEdit';
import type { RunDocument } from '../../core/session/runController';
import { editorTraffic } from '../platform/editorTraffic';

/**
 * A VS Code document as the core sees it. Edits go through `editor.edit`
 * (version-checked by the editor, undo stops under our control) when the
 * document is visible, else through a WorkspaceEdit; never to a version the
 * edits were not computed for.
 */
export class VsCodeDocumentPort implements DocumentPort, RunDocument {
  /** `editor.edit` / applyEdit calls issued (benchmarks read this). */
  editCalls = 0;

  constructor(readonly document: vscode.TextDocument) {}

  get fileName(): string {
    return vscode.workspace.asRelativePath(this.document.uri, false);
  }

  get languageId(): string {
    return this.document.languageId;
  }

  get eol(): '\n' | '\r\n' {
    return this.document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  }

  getText(): string {
    return this.document.getText();
  }

  undoStep(): Promise<boolean> {
    return this.runOnDocument('undo');
  }

  redoStep(): Promise<boolean> {
    return this.runOnDocument('redo');
  }

  /**
   * Undo and Redo act on the focused editor: focus one showing this document
   * first, and give the focus back afterwards to the editor that had it.
   */
  private async runOnDocument(command: 'undo' | 'redo'): Promise<boolean> {
    const doc = this.document;
    if (doc.isClosed) return false;
    const focused = vscode.window.activeTextEditor;
    const shown = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn, preserveFocus: false, preview: false });
    const before = doc.version;
    // Undo puts back the selection it recorded (say, the whole file selected for the instruction): keep the
    // user's own selections instead, moved over the text the Undo changed, so their next keystroke goes where they put it.
    const selections = editor.selections.map((s) => ({ anchor: doc.offsetAt(s.anchor), active: doc.offsetAt(s.active) }));
    const events: (readonly vscode.TextDocumentContentChangeEvent[])[] = [];
    const listening = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === doc && e.contentChanges.length > 0) events.push(e.contentChanges);
    });
    try {
      await vscode.commands.executeCommand(command);
    } finally {
      listening.dispose();
    }
    if (events.length > 0 && vscode.window.visibleTextEditors.includes(editor)) {
      const map = (offset: number): vscode.Position => doc.positionAt(events.reduce(mapOffset, offset));
      editor.selections = selections.map((s) => new vscode.Selection(map(s.anchor), map(s.active)));
    }
    if (focused && focused.document !== doc && vscode.window.visibleTextEditors.includes(focused)) {
      await vscode.window.showTextDocument(focused.document, { viewColumn: focused.viewColumn, preserveFocus: false });
    }
    return doc.version !== before;
  }

  async apply(edits: readonly TextEdit[], expectedVersion: number, undoStops: { before: boolean; after: boolean }): Promise<ApplyOutcome> {
    const doc = this.document;
    if (doc.isClosed) return 'closed';
    if (doc.version !== expectedVersion) return 'stale';
    const ranges = edits.map((e) => ({ range: new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), text: e.text }));
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    this.editCalls++;
    const answered = editorTraffic.edit(edits);
    try {
      if (editor) {
        const linesAbove = linesAddedAboveView(editor, edits);
        const applied = await editor.edit(
          (builder) => {
            for (const r of ranges) builder.replace(r.range, r.text);
          },
          { undoStopBefore: undoStops.before, undoStopAfter: undoStops.after },
        );
        if (applied && linesAbove !== 0 && vscode.window.activeTextEditor === editor) {
          // The editor keeps its scroll position in pixels, so lines added above the view slide the
          // text the user reads; scroll by as many lines to keep it where it was.
          editorTraffic.count('scrolls');
          void vscode.commands.executeCommand('editorScroll', { to: linesAbove > 0 ? 'down' : 'up', by: 'line', value: Math.abs(linesAbove), revealCursor: false });
        }
        return applied ? 'applied' : doc.isClosed ? 'closed' : 'stale';
      }
      if (ranges.length === 0) return 'applied';
      const edit = new vscode.WorkspaceEdit();
      for (const r of ranges) edit.replace(doc.uri, r.range, r.text);
      const applied = await vscode.workspace.applyEdit(edit);
      return applied ? 'applied' : doc.isClosed ? 'closed' : 'stale';
    } catch {
      // The editor went away between the check and the call: try again next frame.
      return doc.isClosed ? 'closed' : 'stale';
    } finally {
      answered();
    }
  }
}

const newlines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Lines an edit adds (or removes) wholly above the lines the user is looking
 * at; 0 when any edit reaches the view (the user is at the frontier, following it).
 */
function linesAddedAboveView(editor: vscode.TextEditor, edits: readonly TextEdit[]): number {
  const visible = editor.visibleRanges[0];
  if (!visible || visible.start.line === 0) return 0;
  const doc = editor.document;
  const top = doc.offsetAt(visible.start);
  let lines = 0;
  for (const e of edits) {
    if (e.end > top) return 0;
    lines += newlines(e.text) - newlines(doc.getText(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end))));
  }
  return lines;
}

/**
 * Where an offset lands after `changes` (one event's, against the text
 * before it): before a change it stays, after it shifts by the change's
 * growth, inside it goes to the change's end.
 */
function mapOffset(offset: number, changes: readonly vscode.TextDocumentContentChangeEvent[]): number {
  let shift = 0;
  for (const c of changes) {
    const end = c.rangeOffset + c.rangeLength;
    if (offset >= end) shift += c.text.length - c.rangeLength;
    else if (offset > c.rangeOffset) shift += c.rangeOffset + c.text.length - offset;
  }
  return offset + shift;
}
