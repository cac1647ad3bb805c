import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { assert, assertEqual, waitFor } from './harness';
import { api, config, control, endReasonOf, FAST, messageOf, openFile, setSetting, startRefactor } from './helpers';

/*
 * Window reload, in two phases of one workbench: phase 1 leaves one run
 * under review and one streaming, then reloads the window; the same module
 * runs again in the new extension host (phase 2) and checks what came back.
 */
const marker = join(config.artifacts, 'reload-phase-1.json');
const ORIGINAL_A = 'alpha one\nalpha two\n';
/** The reported case: a 2,101-line file, lines 101-200 rewritten at 100 tok/s, the window reloaded after about four lines. */
const ORIGINAL_B = Array.from({ length: 2_101 }, (_, i) => `export function fn${i}(x: number): number { return x + ${i}; }`).join('\n') + '\n';

async function phaseOne(): Promise<void> {
  await setSetting('endpoint', config.serverUrl);
  await control({ faults: [], timing: FAST, shape: 'plain', steering: true });
  const a = await startRefactor(ORIGINAL_A, 'uppercase', [0, 2]);
  await waitFor(async () => (await api()).runs().some((r) => r.state.phase === 'review'), 'a run under review');
  // The stream stalls after its first 5 tokens, half of the first line: long enough for the editor's own backup (a
  // second after the document stops changing) to keep that moment, and no later one, since the stream then never
  // stops. The reload restores the buffer from it, older than the run's stored moment (this flaked until the store
  // put back the newer one: the stall was a slow first edit in a .ts file then).
  await control({ timing: { ttftMs: 5, tokensPerSecond: 100, tokenChars: 4 }, faults: ['stall:5:2500'] });
  const b = await startRefactor(ORIGINAL_B, 'uppercase', [100, 200], 'ts');
  await waitFor(() => b.document.lineAt(103).text.startsWith('EXPORT'), 'about four lines of the second run', 15_000);
  // Long enough for the run store (written once a second) to hold a later moment than these four lines.
  await new Promise((r) => setTimeout(r, 2_000));
  // No explicit save of the reviews first: the reload takes the window as it is, mid-line.
  writeFileSync(marker, JSON.stringify({ a: a.document.uri.toString(), b: b.document.uri.toString() }));
  await vscode.commands.executeCommand('workbench.action.reloadWindow');
  // The window goes away; phase 2 settles the run.
  await new Promise<never>(() => undefined);
}

async function phaseTwo(): Promise<void> {
  const a = await api();
  const { a: uriA, b: uriB } = JSON.parse((await import('node:fs')).readFileSync(marker, 'utf8')) as { a: string; b: string };
  // A tab in the background is restored when its document opens.
  const docA = await vscode.workspace.openTextDocument(vscode.Uri.parse(uriA));
  const docB = await vscode.workspace.openTextDocument(vscode.Uri.parse(uriB));
  await waitFor(() => a.runs().length === 2, 'both runs back under review', 20_000).catch(async (error: unknown) => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const folder = a.logFolder().fsPath;
    const logs = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8')).join('\n');
    throw new Error(`${String(error)}; runs: ${JSON.stringify(a.runs().map((r) => [r.state.phase, r.region]))}; log:\n${logs.slice(-3000)}`);
  });
  assertEqual(docA.getText(), ORIGINAL_A.toUpperCase(), 'the completed rewrite is still there');
  const runs = a.runs();
  assertEqual(runs.map((r) => r.state.phase), ['review', 'review']);
  const partial = runs.find((r) => endReasonOf(r) === 'interrupted');
  assert(messageOf(partial)?.includes('window reload'), `the interrupted run is marked partial: ${JSON.stringify(runs.map((r) => r.state))}`);
  // At least the four lines the first window showed (the restored backup held half of one).
  const shown = [100, 101, 102, 103].map((l) => docB.lineAt(l).text);
  assert(shown.every((line, i) => line.startsWith(`EXPORT FUNCTION FN${100 + i}(`)), `the partial output is visible: ${JSON.stringify(shown)}`);
  // Lines 1-100 and everything from the original line 201 on are as they were.
  const outside = (text: string): string => [...text.split('\n').slice(0, 100), ...text.split('\n').slice(-1_902)].join('\n');
  assertEqual(outside(docB.getText()), outside(ORIGINAL_B), 'nothing outside the region changed');
  // Reject works on both: the originals come back exactly.
  await vscode.window.showTextDocument(docA);
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(() => docA.getText() === ORIGINAL_A, 'Reject restores the first original');
  await vscode.window.showTextDocument(docB);
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(() => docB.getText() === ORIGINAL_B, 'Reject restores the second original');
  await waitFor(() => a.runs().length === 0, 'no review left');
  await openFile('done\n');
}

/** Entry point the VS Code test host calls, once per window. */
export async function run(): Promise<void> {
  const summaryFile = config.summaryFile;
  if (!existsSync(marker)) return phaseOne();
  try {
    await phaseTwo();
    writeFileSync(summaryFile, JSON.stringify({ passed: 1, failed: 0, tests: [{ name: 'reload', ok: true, ms: 0 }] }));
  } catch (error) {
    writeFileSync(summaryFile, JSON.stringify({ passed: 0, failed: 1, tests: [{ name: 'reload', ok: false, ms: 0, error: String(error instanceof Error ? error.stack : error) }] }));
    throw error;
  }
}
