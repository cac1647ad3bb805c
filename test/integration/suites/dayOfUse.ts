import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { assert, assertEqual, AssertionError, sleep, test, waitFor } from '../harness';
import { api, withScriptedBox, config, control, endReasonOf, FAST, inReview, openFile, runsStopped, serverIdle, setSetting, startRefactor, withSetting } from '../helpers';

/*
 * A day of real use (issue 25): each way a run damaged text, lost a save or
 * confused, as it was reproduced in the workbench, replayed here.
 */

/** A .ts file of `n` one-line functions. */
const functions = (n: number): string => Array.from({ length: n }, (_, i) => `export function fn${i}(x: number): number { return x + ${i}; }`).join('\n') + '\n';
const BIG = functions(2_101);

test('day of use: Ctrl+S mid-stream always saves (a 2,101-line file, lines 101-300 at 200 tok/s, four times)', async () => {
  // A rewrite streaming line by line, as the day of use had it (200 lines would otherwise be answered in patch form).
  await withSetting('patchMode', 'never', async () => {
    // One file for every round, put back between them: a new 2,101-line file each round costs the language server seconds and proves nothing more.
    const editor = await openFile(BIG, 'ts');
    for (let round = 0; round < 4; round++) {
      await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 } });
      if (round > 0) await editor.edit((b) => b.replace(new vscode.Range(0, 0, editor.document.lineCount, 0), BIG));
      await editor.document.save();
      assertEqual(editor.document.getText(), BIG, `round ${round}: the original, saved`);
      editor.selection = new vscode.Selection(100, 0, 300, 0);
      await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
      await waitFor(() => editor.document.lineAt(109).text.startsWith('EXPORT'), 'about ten lines of output', 15_000);
      await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
      assertEqual(editor.document.isDirty, false, `round ${round}: the editor is saved`);
      assertEqual(readFileSync(editor.document.uri.fsPath, 'utf8'), editor.document.getText(), `round ${round}: the disk holds the buffer`);
      await runsStopped();
      await vscode.commands.executeCommand('sparkEdit.acceptAll');
      await serverIdle();
    }
  });
}, 120_000);

test('day of use: typing right after a preview begins goes where the cursor is, never over the whole file', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 } });
  await withSetting('liveInstructionPauseMs', 60, () =>
    withScriptedBox(async (box) => {
      const text = functions(31);
      const editor = await openFile(text, 'ts');
      const doc = editor.document;
      editor.selection = new vscode.Selection(new vscode.Position(0, 0), doc.positionAt(text.length));
      const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
      await box.whenOpen();
      void box.type('uppercase all of it');
      await waitFor(() => doc.getText() !== text, 'the first preview edit', 10_000);
      // Ctrl+1, Ctrl+End: the editor has the focus and the cursor at the end, which dismisses the box.
      const end = doc.positionAt(doc.getText().length);
      editor.selection = new vscode.Selection(end, end);
      box.escape();
      await started;
      await waitFor(() => doc.getText() === text, 'the preview undone', 10_000);
      await waitFor(async () => (await api()).runs().length === 0, 'no run left');
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('type', { text: 'ZZ' });
      assertEqual(doc.getText(), `${text}ZZ`, 'ZZ at the end; the file is all there');
    }),
  );
});

for (const pauseMs of [0, 30, 100, 600]) {
  test(`day of use: after a redirect, no model edit lands after the user’s keystroke (typed ${pauseMs} ms after it)`, async () => {
    await control({ timing: { ttftMs: 5, tokensPerSecond: 60, tokenChars: 4 }, steering: true });
    const editor = await startRefactor(functions(12), 'uppercase', [0, 12], 'ts');
    await waitFor(() => editor.document.getText().startsWith('EXPORT FUNCTION FN0(X: NUMBER): NUMBER { RETURN X + 0; }\nEXPORT'), 'about 50 tokens', 15_000);
    const a = await api();
    // From the moment the extension host sees the keystroke (the extension's own listener ran first), nothing of the model may follow.
    let afterKeystroke: { calls: number; changes: string[] } | undefined;
    const listening = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document !== editor.document || e.contentChanges.length === 0) return;
      const text = e.contentChanges.map((c) => c.text).join('');
      if (afterKeystroke) afterKeystroke.changes.push(text);
      else if (text.includes('Z')) afterKeystroke = { calls: a.editCalls(editor.document), changes: [] };
    });
    try {
      await vscode.commands.executeCommand('sparkEdit.redirect', { instruction: 'reverse the lines' });
      if (pauseMs > 0) await sleep(pauseMs); // the user clicks into the editor and types
      await vscode.commands.executeCommand('cursorBottom');
      await vscode.commands.executeCommand('type', { text: 'ZZ' });
      await serverIdle();
      await runsStopped();
      assert(afterKeystroke, 'the keystroke landed');
      assertEqual(afterKeystroke.changes.filter((t) => !t.includes('Z')), [], 'no model edit landed after the keystroke');
      assertEqual(a.editCalls(editor.document), afterKeystroke.calls, 'no edit sent after the keystroke');
    } finally {
      listening.dispose();
    }
  });
}

test('day of use: Escape after a live revision puts the original back (typed, backspaced, four times)', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 } });
  await withSetting('liveInstructionPauseMs', 300, () =>
    withScriptedBox(async (box) => {
      const text = functions(6);
      for (let round = 0; round < 4; round++) {
        const editor = await openFile(text, 'ts');
        editor.selection = new vscode.Selection(0, 0, 6, 0);
        const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
        await box.whenOpen();
        const instruction = 'uppercase';
        for (let i = 1; i <= instruction.length; i++) {
          void box.type(instruction.slice(0, i));
          await sleep(40);
        }
        await waitFor(() => editor.document.getText() === text.toUpperCase(), 'the preview', 10_000);
        for (let i = instruction.length - 1; i >= 0; i--) {
          void box.type(instruction.slice(0, i));
          await sleep(60);
        }
        await sleep(1_500);
        box.escape();
        await started;
        await waitFor(() => editor.document.getText() === text, `round ${round}: the original back`, 10_000);
        await waitFor(async () => (await api()).runs().length === 0, 'no run left');
      }
    }),
  );
}, 90_000);

test('day of use: a redirect without steering at 60 tok/s ends with exactly the new text, nothing of the original appended', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 60, tokenChars: 4 }, steering: false });
  const text = functions(10);
  const editor = await startRefactor(text, 'uppercase', [0, 10], 'ts');
  await waitFor(() => editor.document.getText().startsWith('EXPORT FUNCTION FN0') && editor.document.getText().includes('FN1('), 'mid-stream', 15_000);
  await vscode.commands.executeCommand('sparkEdit.redirect', { instruction: 'reverse the lines' });
  await inReview();
  const lines = editor.document.getText().split('\n').slice(0, -1);
  assertEqual(lines.length, 10, `ten lines, none appended: ${JSON.stringify(lines)}`);
  assert(lines[0]!.toLowerCase().includes('fn9(') && lines[9]!.toLowerCase().includes('fn0('), `the lines reversed: ${JSON.stringify(lines)}`);
});

const HUNKS = ['use(x);', 'keep 1', 'keep 2', 'also(x);', 'keep 3', 'keep 4', 'last(x);', ...Array.from({ length: 40 }, (_, i) => `tail ${i}`)].join('\n') + '\n';

test('day of use: a hunk rejected mid-stream (after moving the cursor) still leaves one Undo for the whole run', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 40, tokenChars: 4 } });
  const editor = await startRefactor(HUNKS, 'rename x to y', [0, 47], 'js');
  // All three hunks final (unchanged lines follow each), the tail still streaming.
  await waitFor(async () => (await api()).runs()[0]?.hunks.length === 3, 'the three hunks final, the tail streaming', 20_000);
  assertEqual((await api()).runs()[0]?.state.phase, 'streaming', 'still streaming');
  // Ctrl+Home, Alt+F5 (next hunk), Ctrl+Alt+N (reject it).
  editor.selection = new vscode.Selection(0, 0, 0, 0);
  await vscode.commands.executeCommand('sparkEdit.nextHunk');
  assertEqual(await vscode.commands.executeCommand('sparkEdit.rejectHunk'), true, 'a hunk was rejected');
  await inReview();
  await vscode.commands.executeCommand('sparkEdit.accept');
  await vscode.commands.executeCommand('undo');
  assertEqual(editor.document.getText(), HUNKS, 'one Undo restores the original');
});

test('day of use: a server that dies mid-line leaves whole lines: no half line before the original line', async () => {
  // Four-character tokens: 6 tokens end inside the second line.
  await control({ timing: { ttftMs: 5, tokensPerSecond: 2_000, tokenChars: 4 }, faults: ['error:6'] });
  const text = Array.from({ length: 8 }, (_, i) => `item ${i} of the list`).join('\n') + '\n';
  const editor = await startRefactor(text, 'uppercase', [0, 8]);
  const [run] = await runsStopped();
  assertEqual(endReasonOf(run), 'failed');
  const lines = editor.document.getText().split('\n').slice(0, -1);
  assert(lines.every((l) => /^item \d of the list$/.test(l) || /^ITEM \d OF THE LIST$/.test(l)), `whole lines only: ${JSON.stringify(lines)}`);
  assertEqual(lines.length, 8, 'every line once');
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(() => editor.document.getText() === text, 'Reject restores the original');
});

test('day of use: auto-save after a delay never cuts a run short; the finished text reaches the disk', async () => {
  const files = vscode.workspace.getConfiguration('files');
  await files.update('autoSave', 'afterDelay', vscode.ConfigurationTarget.Workspace);
  await files.update('autoSaveDelay', 100, vscode.ConfigurationTarget.Workspace);
  try {
    // A pause in the stream longer than the auto-save delay: the auto-save fires mid-stream, as it did for the reporter.
    await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 }, faults: ['stall:40:600'] });
    const text = Array.from({ length: 60 }, (_, i) => `item ${i} of the list`).join('\n') + '\n';
    const editor = await startRefactor(text, 'uppercase', [0, 60], 'txt', { saved: true });
    await waitFor(() => !editor.document.isDirty && editor.document.getText() !== text, 'an auto-save mid-stream', 10_000);
    const [run] = await runsStopped(30_000);
    assertEqual(endReasonOf(run), 'completed', 'the run finished');
    assertEqual(editor.document.getText(), text.toUpperCase());
    await waitFor(() => readFileSync(editor.document.uri.fsPath, 'utf8') === text.toUpperCase(), 'the auto-save to write the finished text', 10_000);
  } finally {
    await files.update('autoSave', undefined, vscode.ConfigurationTarget.Workspace);
    await files.update('autoSaveDelay', undefined, vscode.ConfigurationTarget.Workspace);
  }
});

test('day of use: views never go stale: a new error replaces the old, no "editing" lens after a save stopped the run, a resumed run’s TTFT is real', async () => {
  const a = await api();
  for (const port of [1, 2]) {
    await setSetting('endpoint', `ws://127.0.0.1:${port}/v1/responses`);
    await startRefactor('unreachable\n', 'uppercase', [0, 1]);
    await waitFor(() => a.statusTooltip().includes(`127.0.0.1:${port}`), `the status bar to show the error for port ${port}`, 20_000);
    assert(!a.statusTooltip().includes(`127.0.0.1:${3 - port}`) || port === 1, `the old error is gone: ${a.statusTooltip()}`);
    await runsStopped(20_000);
  }
  await setSetting('endpoint', config.serverUrl);

  await control({ timing: { ttftMs: 5, tokensPerSecond: 8, tokenChars: 4 } });
  const slow = await startRefactor(Array.from({ length: 30 }, (_, i) => `item ${i}`).join('\n') + '\n', 'uppercase', [0, 30], 'txt', { saved: true });
  await waitFor(() => slow.document.getText().includes('ITEM 1'), 'some output', 10_000);
  await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
  await runsStopped();
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', slow.document.uri);
  assert(!lenses.some((l) => l.command?.title.includes('editing')), `no "editing" lens: ${JSON.stringify(lenses.map((l) => l.command?.title))}`);
  await vscode.commands.executeCommand('sparkEdit.acceptAll');

  await control({ timing: { ttftMs: 5, tokensPerSecond: 400, tokenChars: 4 }, faults: ['drop:10'] });
  await startRefactor(Array.from({ length: 20 }, (_, i) => `item ${i}`).join('\n') + '\n', 'uppercase', [0, 20]);
  const [resumed] = await inReview();
  assertEqual(resumed?.state.resumes, 1, 'it resumed');
  assert((resumed?.timeToFirstTokenMs ?? -1) >= 0, `time to first token is not negative: ${resumed?.timeToFirstTokenMs}`);
});

test('day of use: two runs in one file: each counts its own new problem, and Accept All appears once', async () => {
  await control({ timing: FAST });
  const probe = await openFile('const probe: number = "not a number";\n', 'ts');
  await waitFor(() => vscode.languages.getDiagnostics(probe.document.uri).length > 0, 'the TypeScript server to start', 45_000);
  const spacer = Array.from({ length: 8 }, (_, i) => `// spacer ${i}`).join('\n');
  const text = `const a = 1;\nexport const useA = a + 1;\n${spacer}\nconst c = 1;\nexport const useC = c + 1;\n`;
  const editor = await openFile(text, 'ts');
  await waitFor(() => vscode.languages.getDiagnostics(editor.document.uri).length === 0, 'a clean file');
  editor.selection = new vscode.Selection(0, 0, 1, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'rename a to b' });
  await inReview(1);
  editor.selection = new vscode.Selection(10, 0, 11, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'rename c to d' });
  const a = await api();
  await inReview(2);
  const runs = a.runs();
  // Under load the language server can answer first for the text before the second rename: its later answer replaces the count.
  const counts = (): (number | undefined)[] => runs.map((r) => a.problems(r.id)).map((c) => (c?.status === 'checked' ? c.added.length : undefined));
  await waitFor(() => counts().every((n) => n === 1), 'each run its own new problem', 20_000).catch(() => {
    throw new AssertionError(`each its own: ${JSON.stringify(runs.map((r) => a.problems(r.id)))}`);
  });
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
  assertEqual(lenses.filter((l) => l.command?.command === 'sparkEdit.acceptAll').length, 1, 'Accept All once');
  await vscode.commands.executeCommand('sparkEdit.acceptAll');
}, 120_000);

test('day of use: after a run the selection is collapsed (Escape rejects at once), and a run that changes nothing says so', async () => {
  await control({ timing: FAST });
  const editor = await startRefactor('one\ntwo\n', 'uppercase', [0, 2]);
  await inReview();
  assert(editor.selection.isEmpty, 'the selection collapsed to its cursor');
  await vscode.commands.executeCommand('sparkEdit.acceptAll');

  const empty = await openFile('', 'ts');
  const version = empty.document.version;
  await vscode.commands.executeCommand('sparkEdit.editInline', { instruction: 'add jsdoc' });
  assertEqual(await runsStopped(), [], 'no review of nothing');
  assertEqual([empty.document.getText(), empty.document.version, empty.document.isDirty], ['', version, false], 'not one edit');
  assert((await api()).statusText().includes('no changes'), `the status bar says so: ${(await api()).statusText()}`);
});
