import * as vscode from 'vscode';
import { assertEqual, test, waitFor } from '../harness';
import { api, control, FAST, openFile, runsStopped, serverIdle, startRefactor } from '../helpers';

/*
 * Keys that do what the user means. The keybindings' when-clauses are checked
 * in test/unit/manifest.test.ts; here the commands they run.
 */

const LINES = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n';

test('Ctrl+Enter while streaming accepts early: the run stops, what is there stays, nothing lands after', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 20, tokenChars: 4 } });
  const editor = await startRefactor(LINES, 'uppercase', [0, 30]);
  await waitFor(() => editor.document.getText().includes('LINE 1'), 'some output', 10_000);
  await vscode.commands.executeCommand('sparkEdit.accept');
  // An edit already handed to the editor may still land; none may be sent after the accept.
  const callsAtAccept = (await api()).editCalls(editor.document);
  assertEqual(await runsStopped(), [], 'accepted: no run left');
  await serverIdle();
  assertEqual((await api()).editCalls(editor.document), callsAtAccept, 'no edit sent after the accept');
  const text = editor.document.getText();
  assertEqual(text.split('\n').slice(0, -1).filter((l) => l === ''), [], 'no blank line inserted (Insert Line Below did not run)');
});

test('Ctrl+I twice quickly: the second instruction redirects the first run, it is never dropped', async () => {
  await control({ timing: FAST });
  const editor = await openFile('one\ntwo\nthree\n');
  editor.selection = new vscode.Selection(0, 0, 3, 0);
  // The second press arrives while the first run is still connecting.
  const first = vscode.commands.executeCommand('sparkEdit.editInline', { instruction: 'uppercase' });
  const second = vscode.commands.executeCommand('sparkEdit.editInline', { instruction: 'reverse lines' });
  await Promise.all([first, second]);
  await waitFor(async () => (await api()).runs().some((r) => r.state.phase === 'review'), 'the run in review');
  const [run] = (await api()).runs();
  assertEqual([run?.state.history, run?.state.instruction, editor.document.getText()], [['uppercase'], 'reverse lines', 'THREE\nTWO\nONE\n']);
});


test('editor manners: a region above the view grows, and the text the user reads stays in place; the cursor stays on its text', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 400, tokenChars: 8 } });
  const body = Array.from({ length: 300 }, (_, i) => (i < 40 && i % 4 === 0 ? `function f${i}(a, b) {` : i < 40 && i % 4 === 3 ? '}' : `  const line${i} = ${i};`)).join('\n') + '\n';
  const editor = await openFile(body, 'js');
  editor.revealRange(new vscode.Range(240, 0, 240, 0), vscode.TextEditorRevealType.AtTop);
  await waitFor(() => (editor.visibleRanges[0]?.start.line ?? 0) > 100, 'the view scrolled down');
  const firstVisibleText = editor.document.lineAt(editor.visibleRanges[0]!.start.line).text;
  editor.selection = new vscode.Selection(0, 0, 40, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'add jsdoc' });
  editor.selection = new vscode.Selection(250, 4, 250, 4);
  const cursorText = editor.document.lineAt(250).text;
  await waitFor(async () => (await api()).runs().some((r) => r.state.phase === 'review'), 'the run in review', 15_000);
  assertEqual(editor.document.lineCount > 301, true, 'the region above grew');
  // The view's position reaches the extension host by an event of its own: wait for it.
  const settledView = (): boolean => editor.document.lineAt(editor.visibleRanges[0]!.start.line).text === firstVisibleText;
  await waitFor(settledView, 'the text the user was reading at the top of the view', 3_000).catch(() => undefined);
  assertEqual(editor.document.lineAt(editor.visibleRanges[0]!.start.line).text, firstVisibleText, 'the text the user was reading did not slide');
  assertEqual(editor.document.lineAt(editor.selection.active.line).text, cursorText, 'the cursor is still on its text');
});
