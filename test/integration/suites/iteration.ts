import * as vscode from 'vscode';
import { assert, assertEqual, test, waitFor } from '../harness';
import type { RunSnapshot } from '../../../src/core/session/runController';
import { api, control, FAST, inReview, serverIdle, startRefactor, stats, withScriptedBox, withSetting } from '../helpers';

/*
 * Iterating in one box (issue 23): Ctrl+I inside an edit under review refines
 * that edit. The model is told what came before, each step is one Undo, and
 * Reject goes back to the text from before the first instruction.
 */

const ORIGINAL = 'alpha\nbeta\ngamma\n';
const UPPER = 'ALPHA\nBETA\nGAMMA\n';
const REVERSED = 'GAMMA\nBETA\nALPHA\n';

async function reviewedUppercase(): Promise<vscode.TextEditor> {
  await control({ timing: FAST });
  const editor = await startRefactor(ORIGINAL, 'uppercase', [0, 3]);
  await inReview();
  assertEqual(editor.document.getText(), UPPER, 'the first edit landed');
  // The cursor inside the edit, nothing selected: where Ctrl+I refines rather than starts anew.
  editor.selection = new vscode.Selection(1, 2, 1, 2);
  return editor;
}

test('follow-up: Ctrl+I inside an edit under review refines it with the earlier instruction; one Undo per step; Reject restores the very first original', async () => {
  const editor = await reviewedUppercase();
  const doc = editor.document;
  const a = await api();
  const [first] = a.runs();
  await vscode.commands.executeCommand('sparkEdit.editInline', { instruction: 'reverse the lines' });
  await waitFor(() => doc.getText() === REVERSED && a.runs()[0]?.state.phase === 'review', 'the follow-up under review');
  const runs = a.runs();
  assertEqual(runs.map((r) => r.id), [first!.id], 'the same run, refined: no second run over the first one’s output');
  assertEqual([runs[0]!.state.history, runs[0]!.state.instruction], [['uppercase'], 'reverse the lines']);
  const input = (await stats()).lastInput;
  assert(input.includes('Earlier instruction: uppercase') && input.includes('Instruction: reverse the lines'), `the model is told the earlier instruction: ${input.slice(0, 400)}`);

  // One Undo takes back the follow-up alone; Redo brings it back.
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('undo');
  assertEqual(doc.getText(), UPPER, 'one Undo: the follow-up is gone, the first edit stays');
  await vscode.commands.executeCommand('redo');
  assertEqual(doc.getText(), REVERSED, 'Redo brings the follow-up back');

  // Undo and Redo put back text at the edit's edges: the run still knows its region, so Reject restores all of it.
  assertEqual(a.runs()[0]!.region, { start: 0, end: REVERSED.length }, 'the region after Undo and Redo');
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(() => doc.getText() === ORIGINAL, 'Reject restores the text from before the first instruction');
  await waitFor(() => a.runs().length === 0, 'the run is over');
  await serverIdle();
});

test('follow-up, live: the box names the earlier instruction and previews the refinement; Escape puts the reviewed edit back under review', async () => {
  const editor = await reviewedUppercase();
  const doc = editor.document;
  const a = await api();
  await withScriptedBox(async (box) => {
    const asked = vscode.commands.executeCommand('sparkEdit.editInline');
    await box.whenOpen();
    const title = await box.title();
    assert(title?.includes('follow up on “uppercase”'), `the box says what it refines: ${title}`);
    await box.type('reverse the lines');
    await waitFor(() => doc.getText() === REVERSED, 'the refinement previewed in place');
    box.escape();
    await asked;
  });
  await waitFor(() => doc.getText() === UPPER && a.runs()[0]?.state.phase === 'review', 'Escape: the first edit back, under review');
  assertEqual(a.runs()[0]!.state.instruction, 'uppercase', 'its instruction as it was');
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(() => doc.getText() === ORIGINAL, 'Reject still restores the original');
  await serverIdle();
});

test('alternatives: three takes stream in parallel; Alt+] / Alt+[ swap them in, one Undo step each; Accept keeps the one shown', async () => {
  await control({ timing: FAST });
  await withSetting('alternatives', 3, async () => {
    const editor = await startRefactor(ORIGINAL, 'uppercase', [0, 3]);
    const doc = editor.document;
    const a = await api();
    const run = (): RunSnapshot => a.runs()[0]!;
    await waitFor(() => run()?.state.phase === 'review' && run()?.takes?.ready === 3, 'the run under review and its three takes ready');
    assertEqual([doc.getText(), run().takes], [UPPER, { count: 3, shown: 1, ready: 3 }], 'take 1, the run’s own answer, is shown');
    // The reference server marks its later takes, so each is told apart.
    const take = (n: number): string => `// take ${n} of 3\n${UPPER}`;
    const swap = async (command: 'sparkEdit.nextTake' | 'sparkEdit.previousTake', shown: number, text: string): Promise<void> => {
      await vscode.commands.executeCommand(command);
      await waitFor(() => doc.getText() === text && run().state.phase === 'review' && run().takes?.shown === shown, `take ${shown} shown`);
    };
    await swap('sparkEdit.nextTake', 2, take(2));
    await swap('sparkEdit.nextTake', 3, take(3));
    await swap('sparkEdit.previousTake', 2, take(2));
    await swap('sparkEdit.nextTake', 3, take(3));
    await swap('sparkEdit.nextTake', 1, UPPER); // it wraps around
    // Each swap is one Undo step, and the review follows the take the Undo brings back.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assertEqual(doc.getText(), take(3), 'one Undo: the take before');
    await waitFor(() => run().takes?.shown === 3, 'the review knows take 3 is shown');
    await vscode.commands.executeCommand('sparkEdit.accept');
    await waitFor(() => a.runs().length === 0, 'Accept ends the run');
    assertEqual(doc.getText(), take(3), 'Accept keeps the take shown');
  });
  await serverIdle();
});

test('alternatives: the take lens says how many new problems each take shown so far brought', async () => {
  await control({ timing: FAST });
  await withSetting('alternatives', 2, async () => {
    const editor = await startRefactor('export const total = 1;\nexport const count = 2;\n', 'uppercase', [0, 2], 'ts');
    const a = await api();
    await waitFor(() => a.runs()[0]?.state.phase === 'review' && a.runs()[0]?.takes?.ready === 2, 'the run under review, both takes ready');
    const takeLens = async (): Promise<string> => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri)) ?? [];
      return lenses.map((l) => l.command?.title ?? '').find((t) => t.includes('take ')) ?? '';
    };
    await waitFor(async () => /take 1 of 2 · new problems: 1: [1-9]/.test(await takeLens()), 'take 1 checked: the uppercased code does not compile', 60_000);
    await vscode.commands.executeCommand('sparkEdit.nextTake');
    await waitFor(async () => /take 2 of 2 · new problems: 1: [1-9]\d*, 2: [1-9]/.test(await takeLens()), 'take 2 checked too, take 1’s count kept', 60_000);
    await vscode.commands.executeCommand('sparkEdit.reject');
    await waitFor(() => a.runs().length === 0, 'rejected');
  });
  await serverIdle();
}, 150_000);
