import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, config, control, endReasonOf, FAST, inReview, runsStopped, setSetting, startRefactor, withSetting } from '../helpers';

/*
 * Everything an editor does around a run (README › What happens when…):
 * save, format on save, a settings change, closing the tab, undo and redo.
 */

const ITEMS = Array.from({ length: 30 }, (_, i) => `item ${i}`).join('\n') + '\n';

/** Every region line is a whole rewritten line or a whole original one: no half model line. */
function assertWholeLines(text: string): void {
  const lines = text.split('\n').slice(0, -1);
  assert(lines.every((l, i) => l === `ITEM ${i}` || l === `item ${i}`), `whole lines only:\n${text}`);
}

test('Ctrl+S mid-stream at a slow rate: the run stops with whole lines, the disk holds the buffer, one Undo restores the original', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 8, tokenChars: 4 } });
  const editor = await startRefactor(ITEMS, 'uppercase', [0, 30], 'txt', { saved: true });
  await waitFor(() => editor.document.getText().includes('ITEM 1\n'), 'some output', 10_000);
  await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
  const doc = editor.document;
  assert(!doc.isDirty, 'saved');
  assertEqual(readFileSync(doc.uri.fsPath, 'utf8'), doc.getText(), 'the disk holds exactly the buffer');
  assertWholeLines(doc.getText());
  const [run] = await runsStopped();
  assertEqual([run?.state.phase, endReasonOf(run)], ['review', 'cancelled']);
  await vscode.commands.executeCommand('undo');
  assertEqual(doc.getText(), ITEMS, 'one Undo reverts the whole run, save or not');
});

test('Ctrl+S mid-stream at a fast rate waits for the run: the finished rewrite is saved', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 } });
  const editor = await startRefactor(ITEMS, 'uppercase', [0, 30], 'txt', { saved: true });
  await waitFor(() => editor.document.getText().includes('ITEM 0'), 'some output', 10_000);
  await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
  assertEqual(readFileSync(editor.document.uri.fsPath, 'utf8'), ITEMS.toUpperCase(), 'the whole rewrite is on disk');
  const [run] = await runsStopped();
  assertEqual([run?.state.phase, endReasonOf(run)], ['review', 'completed']);
});

const UNFORMATTED = 'let   a =1;\nlet c=  a;\n';

for (const [rate, label] of [[400, 'fast'], [3, 'slow']] as const) {
  test(`format on save during a stream (${label}): the saved text is formatted, Reject restores the true original`, async () => {
    await vscode.workspace.getConfiguration('editor').update('formatOnSave', true, vscode.ConfigurationTarget.Workspace);
    try {
      await control({ timing: { ttftMs: 5, tokensPerSecond: rate, tokenChars: 2 } });
      const editor = await startRefactor(UNFORMATTED, 'rename a to b', [0, 2], 'ts', { saved: true });
      await waitFor(() => editor.document.getText() !== UNFORMATTED, 'some output', 10_000);
      await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
      const saved = readFileSync(editor.document.uri.fsPath, 'utf8');
      assertEqual(saved, editor.document.getText(), 'the disk holds the buffer');
      if (label === 'fast') assertEqual(saved, 'let b = 1;\nlet c = b;\n', 'the finished rewrite, formatted');
      else assert(!/ {2}|=\S|\S=/.test(saved.split('\n')[0] ?? ''), `formatted: ${saved}`);
      await vscode.commands.executeCommand('sparkEdit.reject');
      await waitFor(() => editor.document.getText() === UNFORMATTED, 'Reject restores the original as it was before the run');
    } finally {
      await vscode.workspace.getConfiguration('editor').update('formatOnSave', undefined, vscode.ConfigurationTarget.Workspace);
    }
  }, 60_000);
}

test('a setting changed mid-stream leaves the run complete and exact', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 40, tokenChars: 4 } });
  const editor = await startRefactor(ITEMS, 'uppercase', [0, 30]);
  await waitFor(() => editor.document.getText().includes('ITEM 1'), 'some output', 10_000);
  await withSetting('contextTokens', 40_000, async () => {
    const [run] = await inReview();
    assertEqual([endReasonOf(run), editor.document.getText()], ['completed', ITEMS.toUpperCase()]);
  });
});

test('an endpoint in User settings still applies after an unrelated settings edit', async () => {
  const global = vscode.ConfigurationTarget.Global;
  await setSetting('endpoint', undefined);
  await vscode.workspace.getConfiguration('sparkEdit').update('endpoint', config.serverUrl, global);
  try {
    await vscode.workspace.getConfiguration('editor').update('fontSize', 15, global);
    const editor = await startRefactor('user settings\n', 'uppercase', [0, 1]);
    await inReview();
    assertEqual(editor.document.getText(), 'USER SETTINGS\n', 'the User-settings endpoint was used (no key asked for)');
  } finally {
    await vscode.workspace.getConfiguration('editor').update('fontSize', undefined, global);
    await vscode.workspace.getConfiguration('sparkEdit').update('endpoint', undefined, global);
    await setSetting('endpoint', config.serverUrl);
  }
});

test('save, then close the tab mid-stream: the run ends, the disk holds what was saved, reopening shows no review', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 8, tokenChars: 4 } });
  const editor = await startRefactor(ITEMS, 'uppercase', [0, 30], 'txt', { saved: true });
  await waitFor(() => editor.document.getText().includes('ITEM 1'), 'some output', 10_000);
  // What the close prompt's "Save" does: VS Code's save (not Spark Edit's), then the close.
  await vscode.commands.executeCommand('workbench.action.files.save');
  const saved = readFileSync(editor.document.uri.fsPath, 'utf8');
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  assertEqual(await runsStopped(), [], 'no run outlives its tab');
  const reopened = await vscode.window.showTextDocument(editor.document.uri);
  assertEqual(readFileSync(editor.document.uri.fsPath, 'utf8'), saved, 'nothing written after the save');
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', reopened.document.uri);
  assertEqual(lenses.filter((l) => l.command?.command.startsWith('sparkEdit')).length, 0, 'no stale review');
});

test('undo back to the original during review ends the review; redo brings it back; Reject after an undo keeps the redo stack', async () => {
  await control({ timing: FAST });
  const editor = await startRefactor('alpha\nbeta\n', 'uppercase', [0, 2]);
  await inReview();
  await vscode.commands.executeCommand('undo');
  assertEqual(editor.document.getText(), 'alpha\nbeta\n');
  await waitFor(async () => (await api()).runs()[0]?.state.phase === 'reverted', 'the review to end');
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
  assertEqual(lenses.filter((l) => l.command?.command.startsWith('sparkEdit')).length, 0, 'no stale Accept / Reject');
  await vscode.commands.executeCommand('redo');
  assertEqual(editor.document.getText(), 'ALPHA\nBETA\n');
  await waitFor(async () => (await api()).runs()[0]?.state.phase === 'review', 'the review back with the redo');
  await vscode.commands.executeCommand('undo');
  await waitFor(async () => (await api()).runs()[0]?.state.phase === 'reverted', 'reverted again');
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(async () => (await api()).runs().length === 0, 'the run ended');
  await vscode.commands.executeCommand('redo');
  assertEqual(editor.document.getText(), 'ALPHA\nBETA\n', 'Reject did not clear the redo stack');
});
