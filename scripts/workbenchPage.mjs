/* global document -- page-side functions run in the workbench page (Playwright evaluate) */
// Driving the VS Code workbench in a browser page as a person would: the
// browser test and the demo share these.

/**
 * Opens `fileName` in the workbench page through Quick Open and waits for its
 * text. A file written a moment ago reaches Quick Open's list only once the
 * file watcher has seen it, and an open list never refreshes: look briefly,
 * then close and ask again, until a deadline.
 */
export async function openInWorkbench(page, fileName, expectText) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.statusbar-item', { hasText: 'Spark' }).first().waitFor({ timeout: 60_000 });
  const deadline = Date.now() + 45_000;
  for (;;) {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
    await page.keyboard.type(fileName);
    try {
      await acceptRow(page, fileName, 3_000);
      await page.locator('.monaco-editor .view-lines:visible', { hasText: expectText }).first().waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Enter in a quick input runs its *focused* row, and the list re-ranks while
 * it filters (a stale first row would run instead): wait for the row, move
 * the focus onto it, then press Enter.
 */
export async function acceptRow(page, text, timeout = 10_000) {
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout });
  const focused = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text });
  for (let i = 0; i < 8 && (await focused.count()) === 0; i++) await page.keyboard.press('ArrowDown');
  await focused.first().waitFor({ timeout: 5_000 });
  await page.keyboard.press('Enter');
}

/** Runs a command by its title from the command palette. */
export async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
  await page.keyboard.type(title);
  await acceptRow(page, title);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Presses the inline-edit key and waits for *our* input (an earlier Quick Open input may linger in the DOM). */
export async function askSparkEdit(page, instruction) {
  await page.keyboard.press('Control+I');
  await page.locator('.quick-input-widget', { hasText: 'Spark Edit' }).waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.type(instruction);
  await page.keyboard.press('Enter');
}

/** Ctrl+G, the line, Enter; tried once more if the cursor did not get there (a busy workbench can drop the first try). */
export async function goToLine(page, line) {
  const there = page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+G');
    // Go to Line's own input, which opens holding ':' (an earlier quick input may linger in the DOM).
    await page.waitForFunction(() => document.querySelector('.quick-input-widget input')?.value.startsWith(':'), undefined, { timeout: 10_000 });
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    // The line number shows in the status bar once the cursor is there.
    try {
      await there.waitFor({ timeout: attempt === 1 ? 5_000 : 10_000 });
      return;
    } catch (error) {
      if (attempt === 2) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

