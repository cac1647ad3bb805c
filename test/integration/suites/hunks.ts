import * as vscode from 'vscode';
import { assertEqual, test, waitFor } from '../harness';
import { api, control, FAST, inReview, startRefactor } from '../helpers';

/* Per-hunk review in the real editor: lenses, keys' commands, undo. */

const FILE = ['let x = 1;', 'keep one', 'keep two', 'use(x);', 'keep three', 'log(x);', ''].join('\n');
const RENAMED = FILE.replace(/\bx\b/g, 'y');

async function reviewOf(): Promise<vscode.TextEditor> {
  await control({ timing: FAST });
  const editor = await startRefactor(FILE, 'rename x to y', [0, 6]);
  await inReview();
  assertEqual(editor.document.getText(), RENAMED);
  return editor;
}

test('per-hunk review: each changed hunk has its own lenses; rejecting one restores only it, in one undo step', async () => {
  const editor = await reviewOf();
  const [run] = (await api()).runs();
  assertEqual(run?.hunks.map((h) => h.originalText), ['let x = 1;\n', 'use(x);\n', 'log(x);\n'], 'three hunks, unchanged lines in none');
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
  assertEqual(lenses.filter((l) => l.command?.command === 'sparkEdit.rejectHunk').map((l) => l.range.start.line), [0, 3, 5]);
  // The cursor on the middle hunk; the key's command rejects that one.
  editor.selection = new vscode.Selection(3, 2, 3, 2);
  await vscode.commands.executeCommand('sparkEdit.rejectHunk');
  await waitFor(() => editor.document.getText() === RENAMED.replace('use(y);', 'use(x);'), 'only the middle hunk restored');
  await vscode.commands.executeCommand('undo');
  assertEqual(editor.document.getText(), RENAMED, 'one Undo brings the hunk back');
  await vscode.commands.executeCommand('redo');
  assertEqual(editor.document.getText(), RENAMED.replace('use(y);', 'use(x);'));
});

test('next / previous hunk move the cursor; accepting the last pending hunk ends the review', async () => {
  const editor = await reviewOf();
  editor.selection = new vscode.Selection(1, 0, 1, 0);
  await vscode.commands.executeCommand('sparkEdit.nextHunk');
  assertEqual(editor.selection.active.line, 3);
  await vscode.commands.executeCommand('sparkEdit.nextHunk');
  assertEqual(editor.selection.active.line, 5);
  await vscode.commands.executeCommand('sparkEdit.previousHunk');
  assertEqual(editor.selection.active.line, 3);
  await vscode.commands.executeCommand('sparkEdit.acceptHunk');
  editor.selection = new vscode.Selection(0, 0, 0, 0);
  await vscode.commands.executeCommand('sparkEdit.rejectHunk');
  await waitFor(() => editor.document.getText().startsWith('let x = 1;'), 'the first hunk restored');
  assertEqual((await api()).runs()[0]?.state.pendingHunks.length, 1, 'one hunk left');
  await vscode.commands.executeCommand('sparkEdit.nextHunk');
  await vscode.commands.executeCommand('sparkEdit.acceptHunk');
  await waitFor(async () => (await api()).runs().length === 0, 'the review over');
  assertEqual(editor.document.getText(), FILE.replace('use(x);', 'use(y);').replace('log(x);', 'log(y);'), 'each hunk as decided');
});

test('user edits between hunks are kept whatever is decided', async () => {
  const editor = await reviewOf();
  editor.selection = new vscode.Selection(2, 0, 2, 0);
  await vscode.commands.executeCommand('type', { text: '// mine\n' });
  const [run] = (await api()).runs();
  for (const hunk of run!.hunks) await vscode.commands.executeCommand('sparkEdit.rejectHunk', run!.id, hunk.id);
  await waitFor(() => editor.document.getText() === FILE.replace('keep two', '// mine\nkeep two'), 'every hunk put back, the user line kept');
  await waitFor(async () => (await api()).runs().length === 0, 'the review over');
});
