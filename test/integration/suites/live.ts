import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ScriptedInstructionBox } from '../../../src/vscode/commands/instructionInput';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, withScriptedBox, control, endReasonOf, FAST, inReview, openFile, runsStopped, serverIdle, startRefactor, stats, withSetting } from '../helpers';

/*
 * Live instruction in the real extension host: the instruction box is
 * scripted (nothing in the extension host can type into a QuickPick; the
 * browser test types into the real one), everything behind it is real: the
 * session, the runs, the socket, the reference server, the document, undo.
 */

const FILE = ['alpha', 'beta', 'gamma', 'tail', ''].join('\n');
const REGION = 'alpha\nbeta\ngamma\n';
const UPPER = FILE.replace(REGION, REGION.toUpperCase());
const REVERSED = FILE.replace(REGION, 'gamma\nbeta\nalpha\n');

/** Runs `fn` with the scripted box in place of the QuickPick, and a short typing pause. */
const withLiveBox = (fn: (box: ScriptedInstructionBox) => Promise<void>): Promise<void> =>
  withScriptedBox((box) => withSetting('liveInstructionPauseMs', 60, () => fn(box)));

/** Opens FILE with its first three lines selected and the Refactor Selection box open. */
async function openBox(box: ScriptedInstructionBox, content = FILE): Promise<{ editor: vscode.TextEditor; started: Thenable<unknown> }> {
  const editor = await openFile(content);
  editor.selection = new vscode.Selection(0, 0, 3, 0);
  const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
  await box.whenOpen();
  return { editor, started };
}

const previewing = async (): Promise<boolean> => (await api()).runs().some((r) => r.state.preview);

test('live instruction: the preview is in the buffer before Enter; a new instruction replaces it (never stacks); Enter keeps it and one Undo restores the original', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const { editor, started } = await openBox(box);
    void box.type('uppercase');
    await waitFor(() => editor.document.getText() === UPPER, 'the preview of "uppercase" before Enter');
    assert(await previewing(), 'it is marked as a preview');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    assert(lenses.some((l) => l.command?.title.includes('preview — Enter keeps, Esc restores')), 'the preview lens');
    // Reversing the preview would give GAMMA/BETA/ALPHA: the new preview rewrites the original.
    void box.type('reverse the lines');
    await waitFor(() => editor.document.getText() === REVERSED, 'the preview of "reverse the lines", from the original');
    box.enter();
    await started;
    const [run] = await inReview();
    assertEqual(run?.state.preview, undefined, 'Enter made it an ordinary run');
    assertEqual(editor.document.getText(), REVERSED);
    await vscode.commands.executeCommand('sparkEdit.accept');
    await vscode.commands.executeCommand('undo');
    assertEqual(editor.document.getText(), FILE, 'one Undo restores the original');
  });
});

test('live instruction: Escape restores the original byte-exact and leaves the undo stack as it was', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const editor = await openFile(FILE);
    // The user's own edit first: after Escape, Undo must undo exactly this.
    editor.selection = new vscode.Selection(4, 0, 4, 0);
    await vscode.commands.executeCommand('type', { text: 'mine' });
    const mine = editor.document.getText();
    editor.selection = new vscode.Selection(0, 0, 3, 0);
    const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
    await box.whenOpen();
    void box.type('uppercase');
    await waitFor(() => editor.document.getText() === mine.replace(REGION, REGION.toUpperCase()), 'the preview');
    void box.type('reverse the lines');
    await waitFor(() => editor.document.getText() === mine.replace(REGION, 'gamma\nbeta\nalpha\n'), 'the second preview');
    box.escape();
    assertEqual(await started, undefined, 'nothing started');
    await waitFor(() => editor.document.getText() === mine, 'the original back');
    await waitFor(async () => (await api()).runs().length === 0, 'no run left');
    await vscode.commands.executeCommand('undo');
    assertEqual(editor.document.getText(), FILE, 'the next Undo undoes what the user typed before the box, nothing of the previews');
  });
});

test('live instruction: dismissed from another editor, the preview is undone and the focus stays where the user put it', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const { editor, started } = await openBox(box);
    void box.type('uppercase');
    await waitFor(() => editor.document.getText() === UPPER, 'the preview');
    // The user clicks into another editor (in the workbench that also dismisses the box).
    const other = await openFile('elsewhere\n', 'txt', vscode.ViewColumn.Two);
    box.escape();
    await started;
    await waitFor(() => editor.document.getText() === FILE, 'the original back');
    await waitFor(async () => (await api()).runs().length === 0, 'no run left');
    // The Undo needs the previewed editor focused for a moment; then the focus goes back.
    await waitFor(() => vscode.window.activeTextEditor?.document === other.document, 'the focus back in the editor the user chose');
  });
});

test('live instruction: typing in the document during a preview interrupts it; the keystroke and what arrived stay, and Escape then changes nothing', async () => {
  // One character per token at 20 tokens/s: the region takes almost a second, so the keystroke lands mid-stream.
  await control({ timing: { ttftMs: 5, tokensPerSecond: 20, tokenChars: 1 } });
  await withLiveBox(async (box) => {
    const { editor, started } = await openBox(box);
    void box.type('uppercase');
    await waitFor(() => editor.document.getText().startsWith('ALPHA'), 'the preview under way');
    // The cursor to the end as the editor has it: a position computed here could be stale by an edit in flight.
    await vscode.commands.executeCommand('cursorBottom');
    await vscode.commands.executeCommand('type', { text: 'Z' });
    await serverIdle();
    const [run] = await inReview();
    assertEqual(run?.state.preview, undefined, 'the run is the user’s now');
    assertEqual(endReasonOf(run), 'interrupted');
    const after = editor.document.getText();
    assert(after.endsWith('tail\nZ') && after.startsWith('ALPHA'), `the keystroke and the output so far both kept: ${JSON.stringify(after)}`);
    box.escape();
    await started;
    assertEqual(editor.document.getText(), after, 'Escape after the takeover restores nothing over the user’s edit');
  });
});

test('live instruction: the file rewritten on disk while the box is open: the preview edits the selection where it now is', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const editor = await openFile(FILE);
    await editor.document.save();
    editor.selection = new vscode.Selection(1, 0, 2, 0); // "beta"
    const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
    await box.whenOpen();
    const onDisk = `new 1\nnew 2\n${FILE}`;
    writeFileSync(editor.document.uri.fsPath, onDisk);
    await waitFor(() => editor.document.getText() === onDisk, 'VS Code to reload the file');
    // The pause is over: the preview, if any, started from the selection as the editor shows it now.
    await box.type('uppercase');
    box.enter();
    await started;
    if ((await api()).runs().length > 0) await inReview();
    const text = editor.document.getText();
    // Either the selection followed "beta" or it is gone and nothing changed; never a shifted range.
    assert(text === onDisk.replace('beta', 'BETA') || text === onDisk, `no shifted range rewritten: ${JSON.stringify(text)}`);
  });
});

test('live instruction: at most liveInstructionMaxRequests previews per box; Enter still sends the final instruction', async () => {
  await control({ timing: FAST });
  await withSetting('liveInstructionMaxRequests', 2, () =>
    withLiveBox(async (box) => {
      const before = (await stats()).responses;
      const { editor, started } = await openBox(box);
      void box.type('uppercase');
      await waitFor(() => editor.document.getText() === UPPER, 'the first preview');
      void box.type('reverse the lines');
      await waitFor(() => editor.document.getText() === REVERSED, 'the second preview');
      // The cap: this change arms no pause (type resolves at once); a preview would go out before Enter's request.
      await box.type('sort the lines');
      assertEqual(editor.document.getText(), REVERSED);
      await box.type('uppercase it');
      box.enter();
      await started;
      await inReview();
      assertEqual(editor.document.getText(), UPPER, 'Enter sent the final instruction, rewriting the original');
      await serverIdle();
      assertEqual((await stats()).responses - before, 3, 'two previews and the final instruction, nothing between');
    }),
  );
});

test('live redirect: typing in the redirect box previews over what the run wrote, never over an earlier preview; Escape puts that back and the run is reviewed as before', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const editor = await startRefactor(FILE, 'uppercase', [0, 3]);
    await inReview();
    assertEqual(editor.document.getText(), UPPER);
    const started = vscode.commands.executeCommand('sparkEdit.redirect');
    await box.whenOpen();
    void box.type('reverse the lines');
    await waitFor(() => editor.document.getText() === FILE.replace(REGION, 'GAMMA\nBETA\nALPHA\n'), 'the redirect previewed over the run’s output');
    assert(await previewing(), 'marked as a preview');
    // Lowercasing the first preview would give gamma/beta/alpha: the revision rewrites the run's output again.
    void box.type('lowercase');
    await waitFor(() => editor.document.getText() === FILE, 'the second preview, over the run’s output');
    box.escape();
    await started;
    await waitFor(() => editor.document.getText() === UPPER, 'the run’s own output back');
    const [run] = await inReview();
    assertEqual(run?.state.instruction, 'uppercase', 'the run’s own instruction');
    await vscode.commands.executeCommand('sparkEdit.reject');
    await waitFor(() => editor.document.getText() === FILE, 'Reject restores the original');
  });
});

test('live redirect: Enter keeps the preview, and the run is reviewed with the new instruction', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const editor = await startRefactor(FILE, 'uppercase', [0, 3]);
    await inReview();
    const started = vscode.commands.executeCommand('sparkEdit.redirect');
    await box.whenOpen();
    void box.type('reverse the lines');
    await waitFor(() => editor.document.getText() === FILE.replace(REGION, 'GAMMA\nBETA\nALPHA\n'), 'the preview');
    box.enter();
    await started;
    const [run] = await inReview();
    assertEqual(run?.state.preview, undefined);
    assertEqual(run?.state.instruction, 'reverse the lines');
    await vscode.commands.executeCommand('sparkEdit.reject');
    await waitFor(() => editor.document.getText() === FILE, 'Reject restores the original, from before the run');
  });
});

test('live redirect begun mid-stream (Ctrl+I while it streams): the preview steers the run; Escape puts back what the run had written, and the stream stays stopped, partial', async () => {
  // One character per token at 20 tokens/s: the box opens while the run is writing.
  await control({ timing: { ttftMs: 5, tokensPerSecond: 20, tokenChars: 1 } });
  await withLiveBox(async (box) => {
    const editor = await startRefactor(FILE, 'uppercase', [0, 3]);
    await waitFor(() => editor.document.getText().startsWith('ALPHA'), 'the run under way');
    await control({ timing: FAST }); // the redirect's answer comes fast
    const started = vscode.commands.executeCommand('sparkEdit.editInline'); // Ctrl+I while it streams: Redirect
    await box.whenOpen();
    void box.type('reverse the lines');
    const region = (): string => editor.document.getText(new vscode.Range(0, 0, 3, 0));
    const reversed = (text: string): string => `${text.trimEnd().split('\n').reverse().join('\n')}\n`;
    await waitFor(async () => (await api()).runs().some((r) => r.state.preview && r.state.phase === 'review'), 'the redirect previewed in full');
    const previewed = region();
    box.escape();
    await started;
    const [run] = await inReview();
    // Whatever the run had written when the redirect began is back. The preview was that text with the
    // run's instruction and then the new one applied (the reference model carries a redirect's history).
    assertEqual(reversed(previewed), region().toUpperCase(), 'the text from when the redirect began');
    assert(region().startsWith('ALPHA\n'), `what the run had written: ${JSON.stringify(region())}`);
    assertEqual(run?.state.instruction, 'uppercase', 'the run’s own instruction');
    assertEqual(endReasonOf(run), 'cancelled', 'the interrupted stream is partial');
    assertEqual(editor.document.lineAt(3).text, 'tail', 'nothing outside the region touched');
  });
});

test('live instruction: an instruction whose preview changed the text on the way but ends with no change leaves no review, not dirty, the undo stack as it was', async () => {
  await control({ timing: FAST });
  await withLiveBox(async (box) => {
    const editor = await openFile('keep this line\nand this one\ntail\n');
    await editor.edit((b) => b.insert(new vscode.Position(2, 4), '!'));
    await editor.document.save();
    editor.selection = new vscode.Selection(0, 0, 2, 0);
    const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
    await box.whenOpen();
    // A half-typed instruction the engine does not know: its preview writes a note above the lines.
    void box.type('renam');
    await waitFor(() => editor.document.getText().includes('not an instruction it knows'), 'the preview of the half-typed instruction');
    // The whole instruction changes nothing in these lines (no "total" in them).
    void box.type('rename total to sum');
    await waitFor(() => editor.document.getText() === 'keep this line\nand this one\ntail!\n', 'the preview of the whole instruction');
    box.enter();
    await started;
    assertEqual(await runsStopped(), [], 'no review of an unchanged region');
    assertEqual(editor.document.getText(), 'keep this line\nand this one\ntail!\n', 'the text as it was');
    await waitFor(() => !editor.document.isDirty, 'the document not dirty');
    assert((await api()).statusText().includes('no changes'), `the status bar says so: ${(await api()).statusText()}`);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => editor.document.getText() === 'keep this line\nand this one\ntail\n', 'Undo takes back the user’s own last step');
  });
});
