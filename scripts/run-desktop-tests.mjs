// The same integration suites through @vscode/test-electron, for machines that
// can download VS Code (a developer laptop). CI uses code-server instead.
import { join } from 'node:path';
import { makeWorkspace, root, startReferenceServer, stopAll } from './testHost.mjs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { runTests } = await import('@vscode/test-electron');
const server = await startReferenceServer(['--ttft-ms', '5', '--tokens-per-second', '5000']);
const workspace = makeWorkspace(join(root, 'test/integration/fixtures/workspace'), {});
// The endpoint belongs in the user's settings (a workspace's endpoint waits for approval): a user-data folder of the run's own.
const userDataDir = mkdtempSync(join(tmpdir(), 'spark-desktop-user-'));
mkdirSync(join(userDataDir, 'User'), { recursive: true });
writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ 'sparkEdit.endpoint': server.url }));
const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
const testsPath = join(root, 'dist/test/integration/index.js');
writeFileSync(join(root, 'dist/test/integration/config.json'), JSON.stringify({ serverUrl: server.url, controlUrl: server.controlUrl, workspace, resultsFile: join(artifacts, 'integration-results.txt'), artifacts }));
try {
  await runTests({ extensionDevelopmentPath: root, extensionTestsPath: testsPath, launchArgs: [workspace, '--disable-workspace-trust', '--disable-extensions', '--user-data-dir', userDataDir] });
  process.exitCode = 0;
} catch (error) {
  process.stderr.write(`desktop tests failed: ${error}\n`);
  process.exitCode = 1;
} finally {
  stopAll();
}
