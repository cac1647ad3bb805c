// Driving the VS Code workbench in a browser page as a person would: the
// browser test and the demo share these.

/** Opens `fileName` in the workbench page through Quick Open and waits for its text. */
export async function openInWorkbench(page, fileName, expectText) {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.statusbar-item', { hasText: 'Spark' }).first().waitFor({ timeout: 60_000 });
  // Quick Open fills its list asynchronously: wait for the file's row, retry once.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
    await page.keyboard.type(fileName);
    try {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await page.locator('.monaco-editor .view-lines', { hasText: expectText }).first().waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (attempt >= 1) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/** Presses the inline-edit key and waits for *our* input (an earlier Quick Open input may linger in the DOM). */
export async function askSparkEdit(page, instruction) {
  await page.keyboard.press('Control+I');
  await page.locator('.quick-input-widget', { hasText: 'Spark Edit' }).waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.type(instruction);
  await page.keyboard.press('Enter');
}

export async function goToLine(page, line) {
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  // The line number shows in the status bar once the cursor is there.
  await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first().waitFor({ timeout: 10_000 });
}

