import * as vscode from 'vscode';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, control, endReasonOf, FAST, inReview, runsStopped, startRefactor, stats } from '../helpers';

/*
 * Patch form in the real extension host against the reference server: a
 * 2,000-line region answered with a patch that names only what changes.
 */

const LINES = 2_000;
/** A 2,000-line file where three lines, far apart, use `total`. */
const FILE = Array.from({ length: LINES }, (_, i) => (i % 700 === 350 ? `const total${i} = total + ${i};` : `const value${i} = compute(${i});`)).join('\n') + '\n';
const RENAMED = FILE.replace(/\btotal\b/g, 'sum');
const SLOW_PATCH = { ttftMs: 5, tokensPerSecond: 40, tokenChars: 4 };

test('patch form: a rename in a 2,000-line file arrives as a patch (a few hundred tokens, not 15,000), exact, three hunks to review, one Undo', async () => {
  await control({ timing: FAST });
  const before = (await stats()).tokensSent;
  const editor = await startRefactor(FILE, 'rename total to sum', [0, LINES], 'ts');
  const [run] = await inReview();
  assertEqual(editor.document.getText(), RENAMED, 'exactly the rewrite');
  const tokens = (await stats()).tokensSent - before;
  assert(tokens < 400, `a patch of three hunks, not the region again: ${tokens} tokens`);
  assertEqual(run?.hunks.length, 3, 'one hunk per changed line');
  await vscode.commands.executeCommand('sparkEdit.accept');
  await vscode.commands.executeCommand('undo');
  await waitFor(() => editor.document.getText() === FILE, 'one Undo restores the original');
});

test('patch form: a keystroke mid-patch stops it: the hunk that applied and the keystroke stay, no model edit after it', async () => {
  await control({ timing: SLOW_PATCH });
  const editor = await startRefactor(FILE, 'rename total to sum', [0, LINES], 'ts');
  await waitFor(() => editor.document.getText().includes('const total350 = sum + 350;'), 'the first hunk applied', 20_000);
  await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// mine\n'));
  const typed = editor.document.getText();
  const version = editor.document.version;
  const [run] = await runsStopped();
  assertEqual(endReasonOf(run), 'interrupted');
  assertEqual([editor.document.getText(), editor.document.version], [typed, version], 'nothing of the model after the keystroke');
  assert(typed.startsWith('// mine\n') && typed.includes('const total350 = sum + 350;'), 'the keystroke and the first hunk');
  assert(typed.includes('const total1050 = total + 1050;'), 'the later hunks never applied');
});

test('patch form: a redirect mid-patch asks for a patch against the region as it now reads', async () => {
  await control({ timing: SLOW_PATCH, steering: true });
  const editor = await startRefactor(FILE, 'rename total to sum', [0, LINES], 'ts');
  await waitFor(() => editor.document.getText().includes('const total350 = sum + 350;'), 'the first hunk applied', 20_000);
  await control({ timing: FAST });
  await vscode.commands.executeCommand('sparkEdit.redirect', { instruction: 'instead rename total to amount' });
  await inReview();
  const text = editor.document.getText();
  assert(text.includes('const total350 = sum + 350;'), 'what the first instruction changed stays');
  assert(text.includes('const total1750 = amount + 1750;'), 'the rest follows the new instruction');
  assert(!/\btotal\b/.test(text), 'no `total` left');
  assertEqual(text.split('\n').length, FILE.split('\n').length, 'no line doubled or lost');
  const redirected = (await stats()).arrivals.filter((a) => a.instruction === 'instead rename total to amount');
  assert(redirected.length >= 1, 'the redirect reached the server');
  await vscode.commands.executeCommand('sparkEdit.accept');
  await vscode.commands.executeCommand('undo');
  await waitFor(() => editor.document.getText() === FILE, 'one Undo restores the original');
});

test('patch form: a patch whose context does not match ends the run with the reason, and the file as it was', async () => {
  await control({ timing: FAST, faults: ['bad_patch'] });
  const editor = await startRefactor(FILE, 'rename total to sum', [0, LINES], 'ts');
  const version = editor.document.version;
  const runs = await runsStopped();
  assertEqual(runs.filter((r) => r.state.phase === 'review').length, 0, 'nothing to review');
  assertEqual([editor.document.getText(), editor.document.version], [FILE, version], 'not one edit');
  const said = (await api()).reports().map((r) => r.message);
  assert(said.some((m) => /the patch could not be applied: hunk 1: its context does not match the region/.test(m)), `the reason is said: ${said.join(' | ')}`);
});
