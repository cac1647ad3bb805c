import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { SparkEditApi } from '../../src/extension';
import type { ScriptedInstructionBox } from '../../src/vscode/commands/instructionInput';
import { isLive, outcomeOf } from '../../src/core/session/runState';
import type { RunSnapshot } from '../../src/core/session/runController';
import { control as postControl, serverStats, type ControlBody, type ServerStats } from '../../scripts/control.mjs';
import { hostConfig, waitFor } from './harness';

export const config = hostConfig();

/** How many reports the runs have made so far (the index the next one will have). */
export const reportCount = (a: SparkEditApi): number => (a.reports().at(-1)?.index ?? -1) + 1;

/** How a run stopped, and what it said (undefined while it has not). */
export const endReasonOf = (run: RunSnapshot | undefined): string | undefined => (run ? outcomeOf(run.state)?.endReason : undefined);
export const messageOf = (run: RunSnapshot | undefined): string | undefined => (run ? outcomeOf(run.state)?.message : undefined);

export async function api(): Promise<SparkEditApi> {
  const ext = vscode.extensions.getExtension<SparkEditApi>('spark-edit.spark-edit');
  if (!ext) throw new Error('the extension under test is not loaded');
  return ext.activate();
}

/** Sets the reference server's behaviour for the next responses. */
export async function control(body: ControlBody): Promise<void> {
  await postControl(config.controlUrl, body);
}

export const stats = (): Promise<ServerStats> => serverStats(config.controlUrl);

/** Runs `fn` with the scripted box in place of the QuickPick, and puts the QuickPick back after. */
export async function withScriptedBox(fn: (box: ScriptedInstructionBox) => Promise<void>): Promise<void> {
  const { box, restore } = (await api()).scriptInstructionBox();
  try {
    await fn(box);
  } finally {
    restore();
  }
}

/**
 * Waits until the reference server generates nothing: from then on no model
 * output can reach the editor, so "nothing changed since" is proof, not a guess.
 */
export async function serverIdle(): Promise<void> {
  await waitFor(async () => (await stats()).activeGenerations === 0, 'the reference server to finish every generation', 15_000);
}

export const FAST = { ttftMs: 5, tokensPerSecond: 5_000, tokenChars: 4 };
export const SLOW = { ttftMs: 5, tokensPerSecond: 60, tokenChars: 4 };

/** Where requests go is the user's to choose: these settings go to User settings (a workspace's value waits for approval). */
const USER_LEVEL = new Set(['endpoint', 'headers', 'allowInsecure', 'codexAccountId']);

export async function setSetting(key: string, value: unknown): Promise<void> {
  const target = USER_LEVEL.has(key) ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
  await vscode.workspace.getConfiguration('sparkEdit').update(key, value, target);
}

/** Runs `fn` with a workspace setting changed, and restores it whatever happens. */
export async function withSetting<T>(key: string, value: unknown, fn: () => Promise<T>): Promise<T> {
  const config = vscode.workspace.getConfiguration('sparkEdit');
  const inspected = config.inspect(key);
  const previous = USER_LEVEL.has(key) ? inspected?.globalValue : inspected?.workspaceValue;
  await setSetting(key, value);
  try {
    return await fn();
  } finally {
    await setSetting(key, previous);
  }
}

let fileCounter = 0;

/** Writes a fresh file into the workspace and shows it in an editor. */
export async function openFile(content: string, extension = 'txt', viewColumn?: vscode.ViewColumn): Promise<vscode.TextEditor> {
  const path = join(config.workspace, 'scratch', `file${++fileCounter}.${extension}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  return vscode.window.showTextDocument(doc, { preview: false, ...(viewColumn !== undefined ? { viewColumn } : {}) });
}

/**
 * Opens `text` in a new file, selects lines [from, to) and starts Refactor
 * Selection with `instruction`: how most tests begin.
 */
export async function startRefactor(text: string, instruction: string, [from, to]: readonly [number, number], extension = 'txt', { saved = false } = {}): Promise<vscode.TextEditor> {
  const editor = await openFile(text, extension);
  // A saved file, for tests of what saving does.
  if (saved) await editor.document.save();
  editor.selection = new vscode.Selection(from, 0, to, 0);
  await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction });
  return editor;
}

/** Waits until no run may change the buffer any more, then returns the runs left (under review). */
export async function runsStopped(timeoutMs = 15_000): Promise<RunSnapshot[]> {
  const a = await api();
  await waitFor(() => a.runs().every((r) => !isLive(r.state.phase)), 'every run to stop', timeoutMs);
  return a.runs();
}

export async function inReview(count = 1): Promise<RunSnapshot[]> {
  const a = await api();
  await waitFor(() => a.runs().filter((r) => r.state.phase === 'review').length >= count, `${count} run(s) in review`, 15_000);
  return a.runs();
}

/** Records every change of a document with its version, to prove what landed when. */
export function recordChanges(doc: vscode.TextDocument): { events: { version: number; text: string; at: number }[]; dispose(): void } {
  const events: { version: number; text: string; at: number }[] = [];
  const sub = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.document === doc && e.contentChanges.length) events.push({ version: e.document.version, text: e.contentChanges.map((c) => c.text).join('|'), at: Date.now() });
  });
  return {
    events,
    dispose: () => {
      sub.dispose();
    },
  };
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export async function resetState(): Promise<void> {
  const a = await api();
  if (a.runs().length) {
    await vscode.commands.executeCommand('sparkEdit.acceptAll');
    await vscode.commands.executeCommand('sparkEdit.cancel');
  }
  await control({ faults: [], timing: FAST, shape: 'plain', steering: true });
  await closeAllEditors();
}
