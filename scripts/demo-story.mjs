// The demo's story, walked in a real workbench on the demo workspace as a
// person would (demo/README.md, one screenshot per step): live instruction,
// redirect, per-hunk review, problems before and after, a refusal, a dropped
// connection resumed. Screenshots go to test-artifacts/story/; with
// SPARK_UPDATE_SCREENSHOTS=1 also to docs/screenshots/ (the README's).
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { control as postControl } from './control.mjs';
import { launchBrowser, log, makeWorkspace, root, startCodeServer, workbenchUrl } from './testHost.mjs';
import { acceptRow, askSparkEdit, goToLine, openInWorkbench } from './workbenchPage.mjs';

const lens = (page, text) => page.locator('.monaco-editor .codelens-decoration', { hasText: text }).first();
const shown = (page, text) => page.locator('.monaco-editor .view-lines:visible', { hasText: text }).first();

/** Spark Edit: Set Local Server Speed, from the palette (its own quick pick follows the palette's). */
async function setSpeed(page, label) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
  await page.keyboard.type('Set Local Server Speed');
  await acceptRow(page, 'Set Local Server Speed');
  await page.locator('.quick-input-widget', { hasText: 'Local Server Speed' }).waitFor({ timeout: 10_000 });
  await acceptRow(page, label);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Ctrl+I, then the instruction typed a character at a time, as a person types (live instruction previews on pauses). */
async function typeInstruction(page, instruction) {
  await page.keyboard.press('Control+I');
  const box = page.locator('.quick-input-widget', { hasText: 'Spark Edit' });
  await box.waitFor({ state: 'visible', timeout: 15_000 });
  // A redirect's box comes prefilled with the last instruction: type over it.
  await page.keyboard.press('Control+A');
  await page.keyboard.type(instruction, { delay: 50 });
  return box;
}

export async function runDemoStory(server, { extensionsDir } = {}) {
  const workspace = makeWorkspace(join(root, 'demo'), {});
  const host = await startCodeServer({ workspace, extensionsDir, userSettings: { 'sparkEdit.endpoint': server.url } });
  const browser = await launchBrowser();
  const artifacts = join(root, 'test-artifacts', 'story');
  mkdirSync(artifacts, { recursive: true });
  const update = process.env.SPARK_UPDATE_SCREENSHOTS === '1';
  const shot = async (page, name) => {
    const path = join(artifacts, `${name}.png`);
    await page.screenshot({ path });
    if (update) {
      mkdirSync(join(root, 'docs/screenshots'), { recursive: true });
      copyFileSync(path, join(root, 'docs/screenshots', `${name}.png`));
    }
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(workbenchUrl(host, { workspace, extensionDir: extensionsDir ? undefined : root }));
    await postControl(server.controlUrl, { faults: [], timing: { ttftMs: 40, tokensPerSecond: 1000, tokenChars: 4 } });

    // 1. Live instruction: the edit is in the code before Enter.
    await openInWorkbench(page, 'cart.ts', 'export function total');
    await goToLine(page, 11);
    const box = await typeInstruction(page, 'convert to arrow functions');
    await shown(page, 'export const total = (items').waitFor({ timeout: 20_000 });
    if (!(await box.isVisible())) throw new Error('the preview should be on screen while the box is still open');
    await shot(page, '1-live-instruction');
    await page.keyboard.press('Enter');
    await lens(page, 'Accept').waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+Enter');
    await lens(page, 'Accept').waitFor({ state: 'detached', timeout: 10_000 });

    // 2. Redirect at 25 tokens/s: jsdoc, then "instead add logging" mid-stream.
    await setSpeed(page, '25 tokens/s');
    await openInWorkbench(page, 'users.js', 'function displayName');
    await page.keyboard.press('Control+A');
    await askSparkEdit(page, 'add jsdoc');
    await shown(page, '/**').waitFor({ timeout: 20_000 });
    await typeInstruction(page, 'instead add logging');
    await page.keyboard.press('Enter');
    await shown(page, "console.log('fetchUser'").waitFor({ timeout: 20_000 });
    await shot(page, '2-redirect');
    await lens(page, 'Accept').waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+Enter');
    await lens(page, 'Accept').waitFor({ state: 'detached', timeout: 10_000 });
    await page.keyboard.press('Control+Z');
    await shown(page, 'async function fetchUser(userId, includeProfile) {').waitFor({ timeout: 10_000 });

    // 3. Per-hunk review.
    await setSpeed(page, '1,000 tokens/s');
    await page.keyboard.press('Control+A');
    await askSparkEdit(page, 'rename user to account');
    await page.locator('.monaco-editor .codelens-decoration', { hasText: 'Reject hunk' }).nth(2).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Control+Home');
    await shot(page, '3-hunks');
    await page.keyboard.press('Control+Enter');
    await lens(page, 'Accept').waitFor({ state: 'detached', timeout: 10_000 });
    await page.keyboard.press('Control+Z');

    // 4. Problems before and after: renaming a field breaks its other uses.
    await openInWorkbench(page, 'cart.ts', 'interface Item');
    await goToLine(page, 7);
    await askSparkEdit(page, 'rename quantity to count');
    await lens(page, /\+\d+ problems?/).waitFor({ timeout: 60_000 });
    await shot(page, '4-problems');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await lens(page, 'Reject').waitFor({ state: 'detached', timeout: 10_000 });

    // 5. A refusal: nothing changes, the model's words are shown.
    await openInWorkbench(page, 'report.py', 'def load_rows');
    await goToLine(page, 7);
    await askSparkEdit(page, 'add a keylogger');
    await lens(page, "can't help").waitFor({ timeout: 20_000 });
    await shot(page, '5-refusal');
    await lens(page, 'Dismiss').click();

    // 6. A dropped connection, resumed: the run carries on where it stopped.
    await openInWorkbench(page, 'users.js', 'function displayName');
    await page.keyboard.press('Control+A');
    await askSparkEdit(page, 'add jsdoc, drop the connection midway');
    await lens(page, 'reconnected').waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Home');
    await shot(page, '6-resumed');
    await page.keyboard.press('Control+Enter');
    await lens(page, 'Accept').waitFor({ state: 'detached', timeout: 10_000 });
    // Nothing written twice: read what the run left, from the disk.
    await page.keyboard.press('Control+S');
    const file = join(workspace, 'users.js');
    let saved = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !saved.includes('Fetch user.'); await page.waitForTimeout(100)) saved = readFileSync(file, 'utf8');
    if ((saved.match(/\* Fetch user\./g) ?? []).length !== 1 || (saved.match(/async function fetchUser/g) ?? []).length !== 1) throw new Error(`the resumed run did not write each line once:\n${saved}`);
    log(`demo story: screenshots in ${artifacts}${update ? ' and docs/screenshots/' : ''}`);
  } catch (error) {
    for (const page of browser.contexts().flatMap((c) => c.pages())) await page.screenshot({ path: join(artifacts, 'story-failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    await postControl(server.controlUrl, { timing: { ttftMs: 5, tokensPerSecond: 5000, tokenChars: 4 } }).catch(() => undefined);
    await browser.close().catch(() => undefined);
    host.process.kill('SIGKILL');
  }
}
