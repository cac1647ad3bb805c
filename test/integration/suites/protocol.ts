import { isQueued } from '../../../src/core/session/runState';
import * as vscode from 'vscode';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, control, endReasonOf, FAST, inReview, messageOf, openFile, recordChanges, runsStopped, SLOW, startRefactor, stats, withSetting } from '../helpers';

/*
 * The protocol as a real Codex endpoint speaks it, driven through the real
 * extension against the reference server: whole characters, only the final
 * answer written, refusals and both error shapes shown, native steering, and
 * runs that stream side by side.
 */

const ASTRAL = ['smile 😀 and 😃', 'flags 🇯🇵 🇫🇷', 'family 👩‍👩‍👧 coder 👩‍💻', 'math 𝒳 𝔸 𝟘', 'accents café naïve'].join('\n') + '\n';

for (const cutCodeUnits of [false, true]) {
  test(`emoji, flags and astral characters land exactly at token sizes 1–4${cutCodeUnits ? ', even from a server that cuts surrogate pairs' : ''}`, async () => {
    for (const tokenChars of [1, 2, 3, 4]) {
      await control({ timing: { ttftMs: 5, tokensPerSecond: 150, tokenChars, cutCodeUnits } });
      const editor = await openFile(ASTRAL);
      editor.selection = new vscode.Selection(0, 0, 5, 0);
      await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
      const [run] = await inReview();
      assertEqual(editor.document.getText(), ASTRAL.toUpperCase(), `token size ${tokenChars}`);
      assert(!editor.document.getText().includes('\ufffd'), 'no replacement character');
      assertEqual(endReasonOf(run), 'completed', `not stopped as if the user typed (token size ${tokenChars})`);
      await vscode.commands.executeCommand('sparkEdit.acceptAll');
    }
  }, 60_000);
}

test('a codex-shaped stream (reasoning, commentary, final answer) writes only the final answer, and no commentary is ever visible', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 300, tokenChars: 4 }, shape: 'codex' });
  const editor = await openFile('alpha\nbeta\n');
  const changes = recordChanges(editor.document);
  editor.selection = new vscode.Selection(0, 0, 2, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  await inReview();
  changes.dispose();
  assertEqual(editor.document.getText(), 'ALPHA\nBETA\n');
  assertEqual(changes.events.filter((e) => /apply|Reading|region/.test(e.text)), [], 'no commentary or reasoning text in any edit');
  assert(((await api()).runs()[0]?.state.stream.progress ?? '').includes('I\'ll apply "uppercase"'), 'the commentary is kept as progress');
});

test('a refusal leaves the file unchanged and shows the refusal', async () => {
  await control({ timing: FAST, shape: 'refusal' });
  const editor = await openFile('keep me\n');
  const version = editor.document.version;
  editor.selection = new vscode.Selection(0, 0, 1, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  const [run] = await inReview();
  assertEqual([editor.document.getText(), editor.document.version], ['keep me\n', version], 'not one edit');
  assertEqual([endReasonOf(run), messageOf(run)], ['refused', "the model refused: I'm sorry, but I can't help with that request."]);
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
  assert(lenses.some((l) => l.command?.title.includes("can't help")), 'the CodeLens shows the refusal');
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(async () => (await api()).runs().length === 0, 'the refusal dismissed');
  assertEqual(editor.document.version, version, 'dismissing changes nothing either');
});

test('a flat error event shows the server message verbatim, and the next run works', async () => {
  await control({ timing: FAST, faults: ['error_flat:3'] });
  const editor = await startRefactor('one\ntwo\nthree\nfour\n', 'uppercase', [0, 4]);
  const [run] = await runsStopped();
  assert(messageOf(run)?.startsWith('the server reported an error [server_error]: The server had an error while processing your request (flat error event).'), `message: ${messageOf(run)}`);
  await vscode.commands.executeCommand('sparkEdit.rejectAll');
  await waitFor(() => editor.document.getText() === 'one\ntwo\nthree\nfour\n', 'the original back');
  await control({ faults: [] });
  // The review collapsed the selection to its cursor; select the lines again.
  editor.selection = new vscode.Selection(0, 0, 4, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  await inReview();
  assertEqual(editor.document.getText(), 'ONE\nTWO\nTHREE\nFOUR\n');
});

const ITEMS = Array.from({ length: 30 }, (_, i) => `item ${i}`).join('\n') + '\n';
const REVERSED_UPPER = Array.from({ length: 30 }, (_, i) => `ITEM ${29 - i}`).join('\n') + '\n';

test('Redirect mid-line steers the response on the same socket: no socket closed, no duplicated line', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 20, tokenChars: 3 } });
  const before = await stats();
  const editor = await startRefactor(`top\n${ITEMS}bottom\n`, 'uppercase', [1, 31]);
  // Mid-line: the model's unfinished line ("I", "IT", "ITE", "ITEM") stands on a line of its own.
  await waitFor(() => editor.document.getText().split('\n').some((l) => /^(I|IT|ITE|ITEM ?)$/.test(l)), 'a line in progress', 10_000);
  await control({ timing: FAST });
  await vscode.commands.executeCommand('sparkEdit.redirect', { instruction: 'reverse lines' });
  await inReview();
  assertEqual(editor.document.getText(), `top\n${REVERSED_UPPER}bottom\n`, 'every line once');
  const after = await stats();
  assertEqual([after.steersAccepted - before.steersAccepted, after.steered - before.steered, after.abortedGenerations - before.abortedGenerations], [1, 1, 0], 'one steer, one steered response, no generation cut by a closed socket');
  await vscode.commands.executeCommand('undo');
  await waitFor(() => editor.document.getText() === `top\n${ITEMS}bottom\n`, 'one Undo reverts the whole run, steer included');
});

test('Redirect falls back cleanly to cancel + a new request when the server refuses steering', async () => {
  await control({ timing: SLOW, steering: false });
  try {
    const before = await stats();
    const editor = await startRefactor(`top\n${ITEMS}bottom\n`, 'uppercase', [1, 31]);
    await waitFor(() => editor.document.getText().includes('ITEM 2'), 'some output', 10_000);
    await control({ timing: FAST });
    await vscode.commands.executeCommand('sparkEdit.redirect', { instruction: 'reverse lines' });
    await inReview();
    assertEqual(editor.document.getText(), `top\n${REVERSED_UPPER}bottom\n`, 'every line once');
    const after = await stats();
    assertEqual([after.steersAccepted - before.steersAccepted, after.abortedGenerations - before.abortedGenerations], [0, 1], 'no steer taken; the old response was cancelled by closing its socket');
  } finally {
    await control({ steering: true });
    // The pool remembers the refusal; a settings change gives the next test a fresh pool.
    await withSetting('stallTimeoutMs', 8_001, () => Promise.resolve());
  }
});

test('three selections and a run in a second file stream at the same time', async () => {
  await control({ timing: { ttftMs: 5, tokensPerSecond: 20, tokenChars: 4 } });
  const block = (word: string): string => Array.from({ length: 6 }, (_, i) => `${word} line ${i}`).join('\n') + '\n';
  const text = `${block('first')}\n${block('second')}\n${block('third')}`;
  const b = await openFile(block('other'), 'txt', vscode.ViewColumn.Two);
  const a = await openFile(text, 'txt', vscode.ViewColumn.One);
  a.selections = [new vscode.Selection(0, 0, 6, 0), new vscode.Selection(7, 0, 13, 0), new vscode.Selection(14, 0, 20, 0)];
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  await vscode.window.showTextDocument(b.document, vscode.ViewColumn.Two);
  b.selection = new vscode.Selection(0, 0, 6, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  await waitFor(async () => (await stats()).activeGenerations === 4, 'four generations on the wire at once', 10_000);
  assert((await api()).runs().every((r) => !isQueued(r.state)), 'no run waits in line');
  await inReview(4);
  assertEqual([a.document.getText(), b.document.getText()], [text.toUpperCase(), block('other').toUpperCase()]);
});
