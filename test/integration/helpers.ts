import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { SparkEditApi } from '../../src/extension';
import type { RunSnapshot } from '../../src/core/session/runController';
import { hostConfig, waitFor } from './harness';

export const config = hostConfig();

export async function api(): Promise<SparkEditApi> {
  const ext = vscode.extensions.getExtension<SparkEditApi>('spark-edit.spark-edit');
  if (!ext) throw new Error('the extension under test is not loaded');
  return ext.activate();
}

/** Sets the reference server's behaviour for the next responses. */
export async function control(body: { faults?: string[]; timing?: Record<string, number>; closeConnections?: boolean }): Promise<void> {
  const res = await fetch(config.controlUrl, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`control: HTTP ${res.status} ${await res.text()}`);
}

export const FAST = { ttftMs: 5, tokensPerSecond: 5_000, tokenChars: 4 };
export const SLOW = { ttftMs: 5, tokensPerSecond: 60, tokenChars: 4 };

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('sparkEdit').update(key, value, vscode.ConfigurationTarget.Workspace);
}

let fileCounter = 0;

/** Writes a fresh file into the workspace and shows it in an editor. */
export async function openFile(content: string, extension = 'txt'): Promise<vscode.TextEditor> {
  const path = join(config.workspace, 'scratch', `file${++fileCounter}.${extension}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  return vscode.window.showTextDocument(doc, { preview: false });
}

const LIVE = new Set(['connecting', 'streaming', 'redirecting', 'applying']);

/** Waits until no run is live, then returns the runs left (under review). */
export async function settled(timeoutMs = 15_000): Promise<RunSnapshot[]> {
  const a = await api();
  await waitFor(() => a.runs().every((r) => !LIVE.has(r.state.phase)), 'every run to stop streaming', timeoutMs);
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

/** Types like a user: through the editor's own `type` command, at the cursor. */
export async function typeText(editor: vscode.TextEditor, at: vscode.Position, text: string): Promise<void> {
  editor.selection = new vscode.Selection(at, at);
  await vscode.commands.executeCommand('type', { text });
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
  await control({ faults: [], timing: FAST });
  await closeAllEditors();
}
