import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import WebSocket from 'ws';
import type { SparkEditApi } from '../../src/extension';
import { buildEditRequest } from '../../src/core/prompt/buildRequest';
import { control as postControl, type ControlBody } from '../../scripts/control.mjs';

/**
 * The `apply` benchmark, inside a real VS Code extension host: a 2,000-token
 * rewrite streamed at 1,000 and 5,000 tok/s through the extension, against a
 * naive client that awaits one `editor.edit` per token.
 */
interface BenchConfig {
  readonly serverUrl: string;
  readonly controlUrl: string;
  readonly workspace: string;
  readonly resultsFile: string;
}

const config = JSON.parse(readFileSync(join(__dirname, 'config.json'), 'utf8')) as BenchConfig;
const TOKENS = 2_000;
const TOKEN_CHARS = 4;
const BASELINE_BUDGET_MS = 25_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const control = (body: ControlBody): Promise<unknown> => postControl(config.controlUrl, body);

let fileNo = 0;
async function open(text: string): Promise<vscode.TextEditor> {
  const path = join(config.workspace, 'bench', `apply${++fileNo}.txt`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(path)), { preview: false });
}

function region(): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TOKENS * TOKEN_CHARS; i++) {
    const line = `value ${i} = compute(items[${i}]);`;
    lines.push(line);
    size += line.length + 1;
  }
  return (lines.join('\n') + '\n').slice(0, TOKENS * TOKEN_CHARS - 1) + '\n';
}

async function ours(rate: number, api: SparkEditApi): Promise<Record<string, number | boolean>> {
  await control({ faults: [], timing: { ttftMs: 5, tokensPerSecond: rate, tokenChars: TOKEN_CHARS } });
  const text = region();
  const expected = text.toUpperCase();
  const editor = await open(text);
  const doc = editor.document;
  let versions = 0;
  let finalAt = 0;
  const sub = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.document !== doc || e.contentChanges.length === 0) return;
    versions++;
    if (!finalAt && doc.getText() === expected) finalAt = performance.now();
  });
  const callsBefore = api.editCalls(doc);
  editor.selection = new vscode.Selection(0, 0, doc.lineCount, 0);
  const started = performance.now();
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
  while (!finalAt && performance.now() - started < 60_000) await sleep(5);
  sub.dispose();
  const run = api.runs()[0];
  const lastDeltaAt = run?.state.stream.lastDeltaAt ?? NaN;
  const firstDeltaAt = run?.state.stream.firstDeltaAt ?? NaN;
  const result = {
    correct: doc.getText() === expected,
    streamMs: Math.round(lastDeltaAt - firstDeltaAt),
    lastTokenToFinalTextMs: Math.round(finalAt - lastDeltaAt),
    documentVersions: versions,
    editCalls: api.editCalls(doc) - callsBefore,
  };
  await vscode.commands.executeCommand('sparkEdit.acceptAll');
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  return result;
}

/** The naive client: every delta awaited as its own editor.edit, in order. */
async function baseline(rate: number): Promise<Record<string, number | boolean>> {
  await control({ faults: [], timing: { ttftMs: 5, tokensPerSecond: rate, tokenChars: TOKEN_CHARS } });
  const text = region();
  const editor = await open('');
  const doc = editor.document;
  const { request } = buildEditRequest({ fileName: 'b.txt', languageId: 'plaintext', before: '', region: text, after: '' }, 'uppercase', [], { model: 'bench', contextTokens: 128_000 });
  const ws = new WebSocket(config.serverUrl, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  const queue: string[] = [];
  let received = 0;
  let lastDeltaAt = 0;
  let firstDeltaAt = 0;
  let completed = false;
  ws.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString()) as { type: string; delta?: string };
    if (event.type === 'response.output_text.delta') {
      queue.push(event.delta!);
      received++;
      lastDeltaAt = performance.now();
      if (!firstDeltaAt) firstDeltaAt = lastDeltaAt;
    } else if (event.type === 'response.completed') completed = true;
  });
  ws.send(JSON.stringify(request));
  let applied = 0;
  const started = performance.now();
  while ((!completed || queue.length > 0) && performance.now() - started < BASELINE_BUDGET_MS) {
    const token = queue.shift();
    if (token === undefined) {
      await sleep(1);
      continue;
    }
    await editor.edit((b) => b.insert(doc.positionAt(doc.getText().length), token), { undoStopBefore: false, undoStopAfter: false });
    applied++;
  }
  const elapsed = performance.now() - started;
  ws.terminate();
  const perEditMs = elapsed / Math.max(1, applied);
  const finishedAll = applied === received && completed;
  const result = {
    tokensApplied: applied,
    tokensReceived: received,
    finished: finishedAll,
    meanEditRoundTripMs: Math.round(perEditMs * 10) / 10,
    streamMs: Math.round(lastDeltaAt - firstDeltaAt),
    // When the budget ran out, extrapolate from the measured round trip.
    lastTokenToFinalTextMs: Math.round(finishedAll ? performance.now() - lastDeltaAt : TOKENS * perEditMs - (lastDeltaAt - firstDeltaAt)),
    extrapolated: !finishedAll,
    editCalls: applied,
  };
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  return result;
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<SparkEditApi>('spark-edit.spark-edit');
  if (!ext) throw new Error('extension not loaded');
  const api = await ext.activate();
  await vscode.workspace.getConfiguration('sparkEdit').update('endpoint', config.serverUrl, vscode.ConfigurationTarget.Workspace);
  const results: Record<string, unknown> = { tokens: TOKENS, flushIntervalMs: 16, document: 'plaintext (no language server)' };
  // One edit round trip when nothing else happens, for the target "one flush + one round trip".
  const probe = await open('x\n');
  const rt: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await probe.edit((b) => b.insert(new vscode.Position(0, 0), 'y'));
    rt.push(performance.now() - t);
  }
  rt.sort((a, b) => a - b);
  results.editRoundTripMedianMs = Math.round(rt[10]! * 10) / 10;
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  for (const rate of [1_000, 5_000]) {
    results[`at${rate}`] = { ours: await ours(rate, api), baseline: await baseline(rate) };
  }
  writeFileSync(config.resultsFile, JSON.stringify(results));
}
