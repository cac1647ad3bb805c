// Runs bench/host (the `apply` benchmark) inside a real VS Code host and
// prints its JSON on the last line of stdout.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestHost, makeWorkspace, root, runInExtensionHost, startReferenceServer, stopAll } from './testHost.mjs';

async function main() {
  ensureTestHost();
  const server = await startReferenceServer();
  const workspace = makeWorkspace(undefined, { 'sparkEdit.flushIntervalMs': 16 });
  const resultsFile = join(root, 'test-artifacts/bench-apply.json');
  rmSync(resultsFile, { force: true });
  const { code, hostErrors, hostOutput } = await runInExtensionHost({
    userSettings: { 'sparkEdit.endpoint': server.url },
    testsPath: join(root, 'dist/bench/host/index.js'),
    config: { serverUrl: server.url, controlUrl: server.controlUrl, workspace, resultsFile },
  });
  stopAll();
  if (code !== 0 || !existsSync(resultsFile)) {
    // Say why: the host's own errors, not just an exit code.
    const why = hostErrors.length ? hostErrors.slice(0, 5).join(' | ') : `the page reported no error; code-server's log ends: ${hostOutput.replace(/\s+/g, ' ').slice(-800) || '(empty)'}`;
    process.stderr.write(`[bench] the apply benchmark failed in the extension host (exit ${code}): ${why}\n`);
    process.stdout.write(JSON.stringify({ error: `the apply benchmark failed in the extension host (exit ${code}): ${why}` }) + '\n');
    process.exit(1);
  }
  process.stdout.write(readFileSync(resultsFile, 'utf8') + '\n');
  process.exit(0);
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + '\n');
  stopAll();
  process.exit(1);
});
