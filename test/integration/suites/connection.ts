import * as vscode from 'vscode';
import { startSparkServer } from '../../../src/server/server';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, config, inReview, openFile, reportCount, runsStopped, setSetting, startRefactor } from '../helpers';

const SECRET = 'sk-spark-test-0123456789abcdef';

test('missing API key: a clear refusal, nothing edited; after Set API Key the run works', async () => {
  const guarded = await startSparkServer({ port: 0, apiKey: SECRET, timing: { ttftMs: 5, tokensPerSecond: 5_000 } });
  try {
    await vscode.commands.executeCommand('sparkEdit.clearApiKey');
    await setSetting('endpoint', guarded.url);
    const editor = await startRefactor('guarded\n', 'uppercase', [0, 1]);
    await waitFor(async () => (await api()).runs().length === 0, 'the run to fail and end', 10_000);
    assertEqual(editor.document.getText(), 'guarded\n', 'nothing edited');
    assert(/HTTP 401.*API key/.test((await api()).statusTooltip()), `status explains: ${(await api()).statusTooltip()}`);
    const stored = await vscode.commands.executeCommand<boolean>('sparkEdit.setApiKey', SECRET);
    assertEqual(stored, true);
    await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
    await inReview();
    assertEqual(editor.document.getText(), 'GUARDED\n');
    const settingsText = JSON.stringify(vscode.workspace.getConfiguration('sparkEdit'));
    assert(!settingsText.includes(SECRET), 'the key is not in settings');
  } finally {
    await vscode.commands.executeCommand('sparkEdit.acceptAll');
    await vscode.commands.executeCommand('sparkEdit.clearApiKey');
    await setSetting('endpoint', config.serverUrl);
    await guarded.close();
  }
});

test('default endpoint without a key offers Set API Key / Use Local Server and sends nothing', async () => {
  await vscode.commands.executeCommand('sparkEdit.clearApiKey');
  await setSetting('endpoint', 'wss://api.openai.com/v1/responses');
  try {
    const editor = await openFile('untouched\n');
    editor.selection = new vscode.Selection(0, 0, 1, 0);
    const before = reportCount(await api());
    await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
    await waitFor(async () => reportCount(await api()) > before, 'the run to say why it could not connect');
    const report = (await api()).reports().find((r) => r.index === before);
    assertEqual([report?.level, report?.reason], ['error', 'needsKey'], 'an error that offers Set API Key / Use Local Server');
    await runsStopped();
    assertEqual(editor.document.getText(), 'untouched\n');
  } finally {
    await setSetting('endpoint', config.serverUrl);
  }
});

test('plaintext ws:// to a non-loopback host is refused unless allowed', async () => {
  await setSetting('endpoint', 'ws://192.0.2.1:9/v1/responses');
  try {
    const editor = await openFile('x\n');
    editor.selection = new vscode.Selection(0, 0, 1, 0);
    const before = reportCount(await api());
    await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
    await waitFor(async () => reportCount(await api()) > before, 'the run to say why it could not connect');
    const report = (await api()).reports().find((r) => r.index === before);
    assertEqual(report?.reason, 'badEndpoint');
    assert(/allowInsecure/.test(report?.message ?? ''), 'says how to opt in');
    await runsStopped();
    assertEqual(editor.document.getText(), 'x\n');
  } finally {
    await setSetting('endpoint', config.serverUrl);
  }
});

test('endpoint "local" starts the bundled server inside the extension', async () => {
  await setSetting('endpoint', 'local');
  try {
    const editor = await startRefactor('local run\n', 'uppercase', [0, 1]);
    await inReview();
    assertEqual(editor.document.getText(), 'LOCAL RUN\n');
    const url = await (await api()).localServerUrl();
    assert(url !== undefined && /^ws:\/\/127\.0\.0\.1:\d+\/v1\/responses$/.test(url), `local server at ${url}`);
  } finally {
    await vscode.commands.executeCommand('sparkEdit.acceptAll');
    await setSetting('endpoint', config.serverUrl);
  }
});
