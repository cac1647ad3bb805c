import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { assert, test, waitFor } from '../harness';
import { api, config, control, FAST, inReview, stats, withScriptedBox, withSetting } from '../helpers';

/*
 * What the model is shown besides the file: the rules on the way from the
 * workspace root to the file, and what the region uses from other files,
 * found by the language server. The reference server keeps the latest
 * request's input, so the test reads what really went out.
 */

const RULES = '# Shop rules\nMoney is integer cents. RULE-MARKER-7731\n';
const HELPER = 'export function doubled(cents: number): number {\n  // HELPER-MARKER\n  return cents * 2;\n}\n';
const USE = "import { doubled } from '../lib/money';\n\nexport function price(cents: number): number {\n  const twice = doubled(cents);\n  return twice + 1;\n}\n";

/** A small project in the test workspace: ctx/AGENTS.md, ctx/lib/money.ts, ctx/src/use.ts. */
function writeProject(): { root: string; use: vscode.Uri } {
  const root = join(config.workspace, 'ctx');
  mkdirSync(join(root, 'lib'), { recursive: true });
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'AGENTS.md'), RULES);
  writeFileSync(join(root, 'lib', 'money.ts'), HELPER);
  writeFileSync(join(root, 'src', 'use.ts'), USE);
  return { root, use: vscode.Uri.file(join(root, 'src', 'use.ts')) };
}

/** Opens use.ts once the language server can find `doubled` in lib/money.ts (it starts on the first TypeScript file). */
async function openUse(use: vscode.Uri): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(use), { preview: false });
  const call = editor.document.positionAt(USE.indexOf('doubled(cents)'));
  await waitFor(async () => {
    const found = (await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', editor.document.uri, call)) ?? [];
    return found.some((l) => ('targetUri' in l ? l.targetUri : l.uri).path.endsWith('/lib/money.ts'));
  }, 'the TypeScript language server to find doubled()', 60_000);
  editor.selection = new vscode.Selection(3, 4, 3, 4);
  return editor;
}

/** Edit Inline through the box, Enter once the context lookup (started when the box opened) is ready; the request's input as the server got it. */
async function askAndRead(): Promise<string> {
  let input = '';
  await withScriptedBox(async (box) => {
    const before = (await stats()).responses;
    const started = vscode.commands.executeCommand('sparkEdit.editInline');
    await box.whenOpen();
    await (await api()).contextReady();
    await box.type('uppercase');
    box.enter();
    await started;
    await inReview();
    await waitFor(async () => (await stats()).responses > before, 'the request at the server');
    input = (await stats()).lastInput;
    await vscode.commands.executeCommand('sparkEdit.reject');
  });
  return input;
}

/** Edit Inline with `instruction` given (no box): the request's input as the server got it; then the run is rejected and gone. */
async function editAndRead(instruction: string): Promise<string> {
  const before = (await stats()).responses;
  await vscode.commands.executeCommand('sparkEdit.editInline', { instruction });
  await waitFor(async () => (await stats()).responses > before, 'the request at the server');
  const input = (await stats()).lastInput;
  await inReview();
  await vscode.commands.executeCommand('sparkEdit.reject');
  await waitFor(async () => (await api()).runs().length === 0, 'the run rejected');
  return input;
}

test('context: the AGENTS.md on the way to the file and a helper defined in another file reach the request, before the file; each can be turned off', async () => {
  await control({ timing: FAST });
  const { root, use } = writeProject();
  try {
    await openUse(use);
    const input = await askAndRead();
    assert(input.includes('RULE-MARKER-7731') && input.includes('ctx/AGENTS.md'), `the rules reached the request:\n${input.slice(0, 600)}`);
    assert(input.includes('HELPER-MARKER') && input.includes('ctx/lib/money.ts'), `the helper's definition reached the request:\n${input.slice(0, 1200)}`);
    assert(input.indexOf('RULE-MARKER') < input.indexOf('HELPER-MARKER') && input.indexOf('HELPER-MARKER') < input.indexOf('<rewrite>'), 'rules, then related code, then the file');
    const without = await withSetting('includeRules', false, () => withSetting('includeRelatedCode', false, () => askAndRead()));
    assert(!without.includes('RULE-MARKER') && !without.includes('HELPER-MARKER'), 'turned off, neither is sent');
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);

test('context: #problems attaches the errors in and around the region', async () => {
  await control({ timing: FAST });
  const root = join(config.workspace, 'ctxproblems');
  mkdirSync(root, { recursive: true });
  const file = join(root, 'broken.ts');
  writeFileSync(file, 'export function total(items: number[]): number {\n  return itemz.length;\n}\n');
  try {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)), { preview: false });
    await waitFor(() => vscode.languages.getDiagnostics(editor.document.uri).some((d) => d.message.includes('itemz')), 'the language server to report itemz', 60_000);
    editor.selection = new vscode.Selection(1, 2, 1, 2);
    const input = await editAndRead('uppercase #problems');
    assert(/Problems in and around the region:\nline 2: error \d+: Cannot find name 'itemz'/.test(input), `the problem reached the request:\n${input.slice(0, 800)}`);
    assert(input.includes('Instruction: uppercase the problems listed above'), 'the instruction reads them as listed above');
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(root, { recursive: true, force: true });
  }
}, 90_000);

test('context: #file, #symbol and #selection attach what they name, before the file, and the instruction reads them as attached', async () => {
  await control({ timing: FAST });
  const { root, use } = writeProject();
  const other = join(root, 'src', 'other.ts');
  writeFileSync(other, 'export const picked = 1; // SELECTION-MARKER\nexport const left = 2; // NOT-SELECTED\n');
  try {
    const editor = await openUse(use);
    // Another editor beside, with a selection in it; the edit happens in use.ts.
    const beside = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(other)), { viewColumn: vscode.ViewColumn.Beside, preview: false });
    beside.selection = new vscode.Selection(0, 0, 1, 0);
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preview: false });
    // The TypeScript server names a function `doubled()` in its workspace symbols.
    await waitFor(async () => ((await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'doubled')) ?? []).some((s) => s.name.startsWith('doubled')), 'the language server to know doubled', 60_000);
    // Related code off: the helper reaches the request only by being attached.
    const asked = (instruction: string): Promise<string> => withSetting('includeRelatedCode', false, () => editAndRead(instruction));
    const file = await asked('uppercase, as in #file:ctx/lib/money.ts');
    assert(file.includes('Attached by the user') && file.includes('--- file ctx/lib/money.ts') && file.indexOf('HELPER-MARKER') < file.indexOf('<rewrite>'), `the file reached the request, before the file edited:\n${file.slice(0, 900)}`);
    assert(file.includes('Instruction: uppercase, as in ctx/lib/money.ts (attached above)'), 'the instruction names it as attached');
    const symbol = await asked('uppercase, like #symbol:doubled');
    assert(/--- symbol doubled \(ctx\/lib\/money\.ts:1\)\nexport function doubled[\s\S]*HELPER-MARKER[\s\S]*return cents \* 2;\n}/.test(symbol), `the whole declaration of doubled reached the request:\n${symbol.slice(0, 900)}`);
    const selection = await asked('uppercase #selection');
    assert(selection.includes('--- selection ctx/src/other.ts:1-2') && selection.includes('SELECTION-MARKER') && !selection.includes('NOT-SELECTED'), `the other editor's selection reached the request:\n${selection.slice(0, 900)}`);
    const none = await asked('uppercase');
    assert(!none.includes('Attached by the user'), 'nothing is attached unless the instruction names it');
  } finally {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);
