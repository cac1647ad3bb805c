import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { assert, assertEqual, test, waitFor } from '../harness';
import { withScriptedBox, control, endReasonOf, openFile, runsStopped, serverIdle, startRefactor, stats, withSetting } from '../helpers';

/*
 * The heart of a run: a decision (redirect, Enter, save) reaches the server
 * within about one editor round trip of the user's key, whatever the stream
 * is doing. Timed by the reference server's own stamps of what arrived.
 */

const LINES = Array.from({ length: 120 }, (_, i) => `item ${i} of the list`).join('\n') + '\n';

/** The server's stamp of the first arrival, at or after `since`, whose instruction is `instruction`. */
async function arrival(instruction: string, since: number): Promise<{ at: number; kind: string }> {
  let found: { at: number; kind: string } | undefined;
  await waitFor(async () => {
    found = (await stats()).arrivals.find((a) => a.at >= since && a.instruction === instruction);
    return found !== undefined;
  }, `"${instruction}" to reach the server`, 20_000);
  return found!;
}

test('decisions: palette Redirect at 25 tok/s reaches the server by response.steer within 150 ms of Enter', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 25, tokenChars: 4 }, steering: true });
  await withScriptedBox(async (box) => {
    const editor = await startRefactor(LINES, 'uppercase', [0, 100]);
    await waitFor(() => editor.document.getText().startsWith('ITEM 0 OF THE LIST\nITEM 1'), 'the run under way', 10_000);
    const started = vscode.commands.executeCommand('sparkEdit.redirect');
    await box.whenOpen();
    // Typed as a person types, 8 characters a second: live previews steer the run on the way.
    const instruction = 'reverse the lines';
    for (let i = 1; i <= instruction.length; i++) {
      void box.type(instruction.slice(0, i));
      await new Promise((r) => setTimeout(r, 125));
    }
    const enterAt = Date.now();
    box.enter();
    await started;
    const got = await arrival('reverse the lines', enterAt - 5);
    console.log(`redirect: ${got.kind} ${got.at - enterAt} ms after Enter`);
    assertEqual(got.kind, 'steer', 'redirected by response.steer');
    assert(got.at - enterAt <= 150, `the redirect reached the server ${got.at - enterAt} ms after Enter`);
    await vscode.commands.executeCommand('sparkEdit.cancel');
    await runsStopped();
  });
});

test('decisions: Enter right after typing sends the final instruction within 150 ms, never a preview of a shorter one', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 200, tokenChars: 4 }, steering: true });
  await withScriptedBox(async (box) => {
    await withSetting('liveInstructionPauseMs', 60, async () => {
      const editor = await openFile(LINES);
      editor.selection = new vscode.Selection(0, 0, 100, 0);
      const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
      await box.whenOpen();
      const since = Date.now();
      await box.type('uppercase');
      await arrival('uppercase', since - 5);
      void box.type('uppercase all of it');
      const enterAt = Date.now();
      box.enter();
      await started;
      const got = await arrival('uppercase all of it', enterAt - 5);
      console.log(`enter: ${got.kind} ${got.at - enterAt} ms after Enter`);
      assert(got.at - enterAt <= 150, `the final instruction reached the server ${got.at - enterAt} ms after Enter`);
      await vscode.commands.executeCommand('sparkEdit.cancel');
      await runsStopped();
    });
  });
});

test('decisions: Ctrl+S at 300 tok/s lets the run finish and saves the finished text; one Undo restores the original', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 300, tokenChars: 4 } });
  const text = Array.from({ length: 60 }, (_, i) => `item ${i} of the list`).join('\n') + '\n';
  const editor = await startRefactor(text, 'uppercase', [0, 60], 'txt', { saved: true });
  await waitFor(() => editor.document.getText().includes('ITEM 30'), 'half of the output', 10_000);
  await vscode.commands.executeCommand('sparkEdit.saveWhenLanded');
  assertEqual(readFileSync(editor.document.uri.fsPath, 'utf8'), text.toUpperCase(), 'the whole rewrite is on disk');
  const [run] = await runsStopped();
  assertEqual([run?.state.phase, endReasonOf(run)], ['review', 'completed']);
  await vscode.commands.executeCommand('sparkEdit.accept');
  await vscode.commands.executeCommand('undo');
  assertEqual(editor.document.getText(), text, 'one Undo restores the original');
  await serverIdle();
});
