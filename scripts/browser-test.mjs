// A test a person could have done: open the workbench, press the real
// keybinding, type the instruction into the real input box, watch the file
// being rewritten, accept, save, and read the file from disk.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { control as postControl } from './control.mjs';
import { launchBrowser, log, makeWorkspace, root, startCodeServer, workbenchUrl } from './testHost.mjs';
import { askSparkEdit, goToLine, openInWorkbench } from './workbenchPage.mjs';

const control = (server, body) => postControl(server.controlUrl, body);

export const DEMO_SOURCE = `// Shopping cart helpers
export function total(items) {
  let total = 0;
  for (const item of items) {
    total += item.price * item.quantity;
  }
  return total;
}
`;

/** With `extensionsDir`, the extension comes from an installed .vsix instead of the source tree. */
export async function runBrowserTest(server, { extensionsDir } = {}) {
  const workspace = makeWorkspace(undefined, { 'sparkEdit.endpoint': server.url });
  const file = join(workspace, 'cart.js');
  writeFileSync(file, DEMO_SOURCE);
  const host = await startCodeServer({ workspace, extensionsDir });
  const browser = await launchBrowser();
  const artifacts = join(root, 'test-artifacts');
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(workbenchUrl(host, { workspace, extensionDir: extensionsDir ? undefined : root }));
    await openInWorkbench(page, 'cart.js', 'function total');
    await goToLine(page, 3);
    await control(server, { faults: [], timing: { ttftMs: 40, tokensPerSecond: 40, tokenChars: 4 } });
    await askSparkEdit(page, 'rename total to sum');
    await page.locator('.monaco-editor .view-lines', { hasText: 'function sum' }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(artifacts, 'browser-mid-stream.png') });
    await page.locator('.monaco-editor .codelens-decoration', { hasText: 'Accept' }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'browser-review.png') });
    await page.keyboard.press('Control+Enter');
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+S');
    const expected = DEMO_SOURCE.replace(/\btotal\b/g, 'sum');
    const deadline = Date.now() + 10_000;
    let onDisk = '';
    while (Date.now() < deadline) {
      onDisk = readFileSync(file, 'utf8');
      if (onDisk === expected) break;
      await page.waitForTimeout(200);
    }
    await page.screenshot({ path: join(artifacts, 'browser-final.png') });
    if (onDisk !== expected) throw new Error(`file on disk:\n${onDisk}\nexpected:\n${expected}`);
    log('browser test: screenshots in test-artifacts/');
  } catch (error) {
    for (const page of browser.contexts().flatMap((c) => c.pages())) await page.screenshot({ path: join(artifacts, 'browser-failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await control(server, { timing: { ttftMs: 5, tokensPerSecond: 5000, tokenChars: 4 } }).catch(() => undefined);
    await browser.close().catch(() => undefined);
    host.process.kill('SIGKILL');
  }
}
