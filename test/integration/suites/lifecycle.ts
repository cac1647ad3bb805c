import * as vscode from 'vscode';
import { assertEqual, test, waitFor } from '../harness';
import { api, setSetting, startRefactor, stats } from '../helpers';

/*
 * Runs last: it deactivates the extension the way VS Code does on shutdown
 * (the module's `deactivate`, awaited) and checks that nothing outlives it.
 */
test('deactivation mid-stream leaves no run, timer, socket or bundled server behind', async () => {
  const a = await api();
  await vscode.commands.executeCommand('sparkEdit.setLocalSpeed', 30);
  await setSetting('endpoint', 'local');
  let localUrl: string | undefined;
  // A settings change warms the pool, which starts the bundled server.
  await waitFor(async () => (localUrl = await a.localServerUrl()) !== undefined, 'the bundled server to start', 10_000);
  // One run on the bundled server is streaming when the extension goes away.
  await startRefactor(Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\n', 'uppercase', [0, 40]);
  await waitFor(() => a.runs().some((r) => r.state.phase === 'streaming'), 'a run streaming on the bundled server', 10_000);
  const ext = vscode.extensions.getExtension('spark-edit.spark-edit')!;
  // The same module instance VS Code loaded: its deactivate is what VS Code awaits on shutdown.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the loaded CommonJS module itself, not a bundled copy
  const main = require(`${ext.extensionPath}/dist/extension.js`) as { deactivate(): Promise<void> };
  await main.deactivate();
  assertEqual(a.resources(), { runs: 0, documents: 0, timers: 0, sockets: 0, localServer: false });
  const reachable = await fetch(localUrl!.replace('ws://', 'http://').replace('/v1/responses', '/health')).then(() => true, () => false);
  assertEqual(reachable, false, 'the bundled server is closed');
  // The test server sees none of the extension's sockets either.
  await waitFor(async () => (await stats()).connections === 0, 'no connection to the reference server');
  await main.deactivate(); // idempotent
}, 60_000);

