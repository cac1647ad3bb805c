// `npm run demo`: the reference server (built-in engine, 1,000 tok/s) and a
// VS Code with Spark Edit loaded on a copy of demo/. Uses the desktop `code`
// when there is one, else code-server in the browser. Ctrl-C stops everything.
// `--check` drives it once in headless Chromium and saves a screenshot.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureTestHost, launchBrowser, log, makeWorkspace, root, startCodeServer, startReferenceServer, stopAll, workbenchUrl } from './testHost.mjs';
import { control } from './control.mjs';
import { askSparkEdit, goToLine, openInWorkbench } from './workbenchPage.mjs';

const check = process.argv.includes('--check');

function hasDesktopCode() {
  try {
    execFileSync('code', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function screenshotCheck(host, workspace, server) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(workbenchUrl(host, { workspace, extensionDir: root }));
    await openInWorkbench(page, 'cart.ts', 'export function total');
    await goToLine(page, 11);
    // Slow the stream down so the screenshot catches it mid-flight.
    await control(server.controlUrl, { timing: { ttftMs: 60, tokensPerSecond: 8, tokenChars: 4 } });
    await askSparkEdit(page, 'rename total to sum');
    await page.locator('.monaco-editor .view-lines', { hasText: 'let sum = 0' }).first().waitFor({ timeout: 60_000 });
    const shot = join(root, 'media/demo-mid-stream.png');
    await page.screenshot({ path: shot });
    await page.locator('.monaco-editor .codelens-decoration', { hasText: 'Accept' }).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(root, 'media/demo-review.png') });
    log(`demo check passed; screenshot: ${shot}`);
  } finally {
    await browser.close();
  }
}

async function main() {
  const server = await startReferenceServer(['--tokens-per-second', '1000', '--ttft-ms', '60', '--verbose']);
  const desktop = !check && hasDesktopCode();
  // In code-server the endpoint goes into the throwaway user settings; in your own VS Code the workspace
  // asks for the bundled server (a workspace's choice of any other endpoint waits for your approval).
  const workspace = makeWorkspace(join(root, 'demo'), { 'sparkEdit.flushIntervalMs': 16, ...(desktop ? { 'sparkEdit.endpoint': 'local' } : {}) });
  log(`reference server: ${server.url} (built-in engine, 1,000 tok/s)`);
  log(`demo workspace: ${workspace}`);
  if (desktop) {
    log('opening the desktop VS Code with the extension loaded');
    spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
  } else {
    ensureTestHost();
    const host = await startCodeServer({ workspace, userSettings: { 'sparkEdit.endpoint': server.url } });
    const url = workbenchUrl(host, { workspace, extensionDir: root });
    if (check) {
      await screenshotCheck(host, workspace, server);
      stopAll();
      process.exit(0);
    }
    process.stdout.write(`\nSpark Edit demo is ready. Open this in a browser:\n\n  ${url}\n\n`);
  }
  process.stdout.write('Open cart.ts, put the cursor in total(), press Ctrl+I and type "convert to arrow functions": the edit appears before Enter.\n');
  process.stdout.write('demo/README.md (open it in the editor) walks through six steps in five minutes. Ctrl-C stops the server and the editor.\n');
  const stop = () => {
    stopAll();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`demo failed: ${error?.stack ?? error}\n`);
  stopAll();
  process.exit(1);
});
