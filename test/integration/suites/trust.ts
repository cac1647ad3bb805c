import * as vscode from 'vscode';
import { startSparkServer, type SparkServer } from '../../../src/server/server';
import { assert, assertEqual, test, waitFor } from '../harness';
import { api, config, inReview, openFile, reportCount, runsStopped, setSetting, startRefactor } from '../helpers';

/*
 * Trust: the user's key goes only where they sent it. A second server, the
 * one a repository would like the key to reach, counts every connection
 * and handshake it sees.
 */

const FAST_TIMING = { ttftMs: 5, tokensPerSecond: 5_000 };

async function withServer<T>(options: Parameters<typeof startSparkServer>[0], fn: (server: SparkServer) => Promise<T>): Promise<T> {
  const server = await startSparkServer({ port: 0, timing: FAST_TIMING, ...options });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** Sets the endpoint in the workspace's own settings, as a cloned repository would. */
const setWorkspaceEndpoint = (url: string | undefined): Thenable<void> => vscode.workspace.getConfiguration('sparkEdit').update('endpoint', url, vscode.ConfigurationTarget.Workspace);

/** The next report of a run, after `before` reports. */
async function nextReport(before: number): Promise<{ level: string; message: string; reason?: string }> {
  const find = async (): Promise<{ level: string; message: string; reason?: string } | undefined> => (await api()).reports().find((r) => r.index === before);
  await waitFor(async () => (await find()) !== undefined, 'a run to report');
  return (await find())!;
}

test('trust: a workspace endpoint that differs is not contacted before approval, is used after it, and not after revoking', async () => {
  await withServer({}, async (other) => {
    const a = await api();
    const { restore } = a.scriptPrompts(() => 'Allow');
    try {
      await setWorkspaceEndpoint(other.url);
      let before = reportCount(a);
      const editor = await startRefactor('workspace endpoint\n', 'uppercase', [0, 1]);
      const report = await nextReport(before);
      assertEqual(report.reason, 'needsApproval', `the run says it waits for approval: ${report.message}`);
      assert(report.message.includes(`127.0.0.1:${other.port}`), `names the host: ${report.message}`);
      await runsStopped();
      assertEqual([other.stats.connectionsOpened, other.stats.handshakesRefused], [0, 0], 'the workspace’s server saw nothing, not even a handshake');
      assertEqual(editor.document.getText(), 'workspace endpoint\n');

      assertEqual(await vscode.commands.executeCommand('sparkEdit.reviewWorkspaceEndpoint'), true, 'the user approved it');
      editor.selection = new vscode.Selection(0, 0, 1, 0);
      await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'uppercase' });
      await inReview();
      assertEqual(editor.document.getText(), 'WORKSPACE ENDPOINT\n');
      assert(other.stats.responses >= 1, 'the approved endpoint served the run');
      await vscode.commands.executeCommand('sparkEdit.acceptAll');

      const served = other.stats.responses;
      await vscode.commands.executeCommand('sparkEdit.manageEndpointApprovals', { revoke: 'all' });
      before = reportCount(a);
      editor.selection = new vscode.Selection(0, 0, 1, 0);
      await vscode.commands.executeCommand('sparkEdit.refactorSelection', { instruction: 'lowercase' });
      assertEqual((await nextReport(before)).reason, 'needsApproval', 'asked again after revoking');
      await runsStopped();
      assertEqual(other.stats.responses, served, 'nothing more reached it');
    } finally {
      restore();
      await setWorkspaceEndpoint(undefined);
      await vscode.commands.executeCommand('sparkEdit.manageEndpointApprovals', { revoke: 'all' });
    }
  });
});

test('trust: declining keeps the user’s own endpoint for this workspace', async () => {
  await withServer({}, async (other) => {
    const a = await api();
    const { restore } = a.scriptPrompts(() => 'Use My Own Setting');
    try {
      await setWorkspaceEndpoint(other.url);
      assertEqual(await vscode.commands.executeCommand('sparkEdit.reviewWorkspaceEndpoint'), true);
      const editor = await startRefactor('own endpoint\n', 'uppercase', [0, 1]);
      await inReview();
      assertEqual(editor.document.getText(), 'OWN ENDPOINT\n', 'the user’s own endpoint (the test server) served it');
      assertEqual(other.stats.connectionsOpened, 0, 'the workspace’s server saw nothing');
    } finally {
      restore();
      await setWorkspaceEndpoint(undefined);
      await vscode.commands.executeCommand('sparkEdit.manageEndpointApprovals', { revoke: 'all' });
    }
  });
});

test('trust: an idle window opens no socket; the instruction box opens one while the user types', async () => {
  await withServer({}, async (own) => {
    await setSetting('endpoint', own.url);
    const { box, restore } = (await api()).scriptInstructionBox();
    try {
      const editor = await openFile('idle window\n');
      await waitFor(() => vscode.window.activeTextEditor === editor, 'the editor');
      assertEqual(own.stats.connectionsOpened, 0, 'a settings change and an open editor connect to nothing');
      editor.selection = new vscode.Selection(0, 0, 1, 0);
      const started = vscode.commands.executeCommand('sparkEdit.refactorSelection');
      await box.whenOpen();
      await waitFor(() => own.stats.connections > 0, 'the box to open a connection ahead of Enter');
      box.escape();
      await started;
      assertEqual(own.stats.responses, 0, 'no request was made');
    } finally {
      restore();
      await setSetting('endpoint', config.serverUrl);
    }
  });
});

test('trust: a 401 is reported once, with Set API Key, and never retried', async () => {
  await withServer({ apiKey: 'sk-trust-test-0123456789' }, async (guarded) => {
    await vscode.commands.executeCommand('sparkEdit.clearApiKey');
    await setSetting('endpoint', guarded.url);
    try {
      const a = await api();
      const before = reportCount(a);
      await startRefactor('unauthorized\n', 'uppercase', [0, 1]);
      const report = await nextReport(before);
      assertEqual(report.reason, 'unauthorized', report.message);
      assert(/HTTP 401/.test(report.message), report.message);
      await runsStopped();
      assertEqual(guarded.stats.handshakesRefused, 1, 'one handshake, not retried');
      assertEqual(reportCount(a), before + 1, 'reported once');
    } finally {
      await setSetting('endpoint', config.serverUrl);
    }
  });
});
