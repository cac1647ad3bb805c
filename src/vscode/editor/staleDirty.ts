import * as vscode from 'vscode';

/**
 * VS Code marks a buffer dirty from its content changes. An Undo whose edits
 * cancel out (a preview's note written, then taken back) changes no content,
 * so the mark stays on a buffer that reads exactly as its file. Reverting
 * such a buffer loses nothing (it only reloads the same text) and clears the
 * mark. Nothing happens unless the buffer equals the file byte for byte.
 * Resolves with whether it reverted.
 */
export async function clearStaleDirty(document: vscode.TextDocument): Promise<boolean> {
  if (!document.isDirty || document.isClosed || document.uri.scheme !== 'file') return false;
  const onDisk = new TextDecoder('utf-8', { fatal: true }).decode(await vscode.workspace.fs.readFile(document.uri));
  if (onDisk !== document.getText() || !document.isDirty) return false;
  await vscode.commands.executeCommand('workbench.action.files.revert', document.uri);
  return true;
}
