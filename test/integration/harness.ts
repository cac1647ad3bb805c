import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written by scripts/run-integration.mjs next to the compiled runner. */
export interface HostConfig {
  readonly serverUrl: string;
  readonly controlUrl: string;
  readonly workspace: string;
  /** Progress, a line per test, printed by the driver as it goes. */
  readonly resultsFile: string;
  /** The outcome as JSON ({ passed, failed, tests }), read by the driver once the run ends. */
  readonly summaryFile: string;
  readonly artifacts: string;
  /** Run only tests whose name contains this, or one of `a|b|…` (SPARK_TEST_GREP). */
  readonly grep?: string;
}

export function hostConfig(): HostConfig {
  return JSON.parse(readFileSync(join(__dirname, 'config.json'), 'utf8')) as HostConfig;
}

interface TestCase {
  readonly name: string;
  readonly fn: () => Promise<void>;
  readonly timeoutMs: number;
}

const tests: TestCase[] = [];

/** What a test that timed out leaves behind, for whoever reads CI's output (set by the suite's entry point). */
let describeStuckState: (() => Promise<string>) | undefined;

export function onTimeoutDescribe(describe: () => Promise<string>): void {
  describeStuckState = describe;
}

class TimeoutError extends Error {}

/** The describer's lines, or why there are none; never waits more than two seconds. */
async function stuckState(): Promise<string> {
  if (!describeStuckState) return '';
  const gaveUp = new Promise<string>((resolve) => setTimeout(() => resolve('(the state could not be read within 2 s)'), 2_000));
  try {
    return await Promise.race([describeStuckState(), gaveUp]);
  } catch (error) {
    return `(the state could not be read: ${String(error)})`;
  }
}

/** Registers a test; suites call this at load time. */
export function test(name: string, fn: () => Promise<void>, timeoutMs = 30_000): void {
  tests.push({ name, fn, timeoutMs });
}

/**
 * Runs every registered test in order, one at a time, each with a timeout.
 * Results go to the console and, line by line, to the results file that the
 * outer driver prints, so nothing depends on console forwarding.
 */
export async function runAll(config: HostConfig, beforeEach: () => Promise<void>): Promise<{ passed: number; failed: number }> {
  const out = (line: string): void => {
    console.log(line);
    appendFileSync(config.resultsFile, line + '\n');
  };
  let passed = 0;
  let failed = 0;
  const outcomes: { name: string; ok: boolean; ms: number }[] = [];
  // `a|b`: the tests whose name contains a or b, in suite order (to replay what ran before a failure).
  const wanted = config.grep?.split('|') ?? [];
  const selected = wanted.length > 0 ? tests.filter((t) => wanted.some((w) => t.name.includes(w))) : tests;
  out(`running ${selected.length} integration tests in VS Code`);
  for (const t of selected) {
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await beforeEach();
      await Promise.race([
        t.fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      passed++;
      outcomes.push({ name: t.name, ok: true, ms: Date.now() - started });
      out(`  ✓ ${t.name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      outcomes.push({ name: t.name, ok: false, ms: Date.now() - started });
      // A timeout's stack says nothing of where the test stood: the extension's own state and log do.
      const stuck = error instanceof TimeoutError || (error instanceof AssertionError && error.message.startsWith('timed out')) ? `\n${await stuckState()}` : '';
      const detail = (error instanceof Error ? (error.stack ?? error.message) : String(error)) + stuck;
      out(`  ✗ ${t.name} (${Date.now() - started} ms)\n${detail.split('\n').map((l) => `      ${l}`).join('\n')}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
  out(`extension host: ${passed} passed, ${failed} failed`);
  writeFileSync(config.summaryFile, JSON.stringify({ passed, failed, tests: outcomes }));
  return { passed, failed };
}

export class AssertionError extends Error {}

export function assertEqual<T>(actual: T, expected: T, message = 'values differ'): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message}\n      expected: ${e}\n      actual:   ${a}`);
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new AssertionError(`timed out waiting for: ${message}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
