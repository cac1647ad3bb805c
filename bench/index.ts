import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { diffBench } from './diffBench';
import { startServerProcess } from './serverProcess';
import { cancelBench, decisionBench, decodeCostUs, memoryBench, pipelineBench, promptCacheBench, redirectBench, ttftBench } from './wireBench';

/**
 * `npm run bench`: one JSON object on stdout (a readable table on stderr).
 * Every figure sits beside a naive baseline measured in the same run, and
 * every target of the performance contract is checked against what was
 * measured; a missed target is reported, never tuned away.
 */
type Json = Record<string, unknown>;

const get = (o: unknown, path: string): number => {
  let v: unknown = o;
  for (const key of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'number' ? v : NaN;
};

/** SPARK_BENCH_ONLY=pipeline (comma-separated) runs just those figures, for profiling. */
const only = process.env.SPARK_BENCH_ONLY?.split(',');
const wanted = (name: string): boolean => !only || only.includes(name);

/** Runs a script that prints its figures as JSON on its last line; a failure comes back as `{ error }`, said why. */
/** Runs a benchmark script; a run that fails (a busy machine, a host that did not start) says why and is tried once more. */
function runScript(script: string, name: string, budgetMinutes: number): Json {
  const first = runScriptOnce(script, name, budgetMinutes);
  if (typeof first.error !== 'string') return first;
  process.stderr.write(`[bench] trying the ${name} benchmark once more\n`);
  const second = runScriptOnce(script, name, budgetMinutes);
  return { ...second, firstAttemptFailed: first.error };
}

function runScriptOnce(script: string, name: string, budgetMinutes: number): Json {
  const run = spawnSync(process.execPath, [join(__dirname, '../../scripts', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: budgetMinutes * 60_000 });
  const last = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let figures: Json;
  try {
    figures = JSON.parse(last) as Json;
  } catch {
    const timedOut = run.error !== undefined && 'code' in run.error && run.error.code === 'ETIMEDOUT';
    const why = timedOut
      ? `it ran past its ${budgetMinutes}-minute budget`
      : run.error
        ? `${run.error.message}${run.signal ? ` (${run.signal})` : ''}`
        : `exit ${run.status}, last output: ${last.slice(0, 300) || '(none)'}`;
    figures = { error: `no result from the ${name} run: ${why}` };
  }
  if (typeof figures.error === 'string') process.stderr.write(`[bench] the ${name} benchmark failed: ${figures.error}\n`);
  return figures;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
  const result: Json = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };

  if (wanted('diff')) {
    log('diff: streaming diff vs re-diff from the top (1k, 10k, 100k characters)');
    result.diff = diffBench();
  }

  const server = await startServerProcess();
  try {
    if (wanted('pipeline')) {
      log('pipeline: 20,000 tok/s through a real socket');
      result.pipeline = { ...(await pipelineBench(server)), decodeUsPerFrame: decodeCostUs() };
    }
    if (wanted('ttft')) {
      log('ttft: warm persistent socket vs a cold connect per request');
      result.ttft = await ttftBench(server);
    }
    if (wanted('cancel')) {
      log('cancel: keystroke mid-stream');
      result.cancel = await cancelBench(server);
    }
    if (wanted('redirect')) {
      log('redirect: native steer vs cancel + a new request');
      result.redirect = await redirectBench(server);
    }
    if (wanted('decision')) {
      log('decision: Redirect → its frame on the wire, against a stream that never pauses, at 25, 1,000 and 5,000 tok/s (25 ms editor round trip)');
      result.decision = await decisionBench(server);
    }
    if (wanted('promptCache')) {
      log('promptCache: a live-instruction box on a 3,000-line file, eight previews, one prompt_cache_key');
      result.promptCache = await promptCacheBench(server);
    }
    if (wanted('memory')) {
      log('memory: 1,000 consecutive runs');
      result.memory = await memoryBench(server);
    }
  } finally {
    server.stop();
  }

  if (process.env.SPARK_BENCH_SKIP_APPLY || !wanted('apply')) {
    result.apply = { skipped: 'not requested' };
  } else {
    log('apply: 2,000-token rewrite in a real VS Code extension host (code-server)');
    // The first run on a fresh machine installs the test host first (minutes): the budget covers it.
    result.apply = runScript('run-bench-host.mjs', 'apply', 20);
  }
  if (process.env.SPARK_BENCH_SKIP_LATENCY || !wanted('latency')) {
    result.latency = { skipped: 'not requested' };
  } else {
    log('latency: the real workbench in Chromium, Spark Edit beside a naive extension (several minutes)');
    result.latency = runScript('bench-latency.mjs', 'latency', 45);
  }

  const diffs = (result.diff ?? []) as { regionChars: number; ours: { perDeltaUs: number }; speedup: number }[];
  const at1k = diffs.find((d) => d.regionChars === 1_000) ?? { ours: { perDeltaUs: NaN }, speedup: NaN };
  const at100k = diffs.find((d) => d.regionChars === 100_000) ?? { ours: { perDeltaUs: NaN }, speedup: NaN };
  const apply = result.apply as Json;
  const flushPlusRoundTrip = 16 + get(apply, 'editRoundTripMedianMs');
  const targets: Record<string, { target: string; measured: number | string; met: boolean }> = {
    'diff.speedupAt100k': { target: '>= 20x', measured: at100k.speedup, met: at100k.speedup >= 20 },
    'diff.perDeltaFlatness': { target: 'per-delta µs at 100k <= 2x at 1k', measured: Number((at100k.ours.perDeltaUs / at1k.ours.perDeltaUs).toFixed(2)), met: at100k.ours.perDeltaUs <= 2 * at1k.ours.perDeltaUs },
    'pipeline.cpuUsPerToken': { target: '<= 20 µs', measured: get(result.pipeline, 'ours.cpuUsPerToken'), met: get(result.pipeline, 'ours.cpuUsPerToken') <= 20 },
    'pipeline.lagAtEndMs': { target: '<= 20 ms at 20,000 tok/s', measured: get(result.pipeline, 'ours.lagAtEndMs'), met: get(result.pipeline, 'ours.lagAtEndMs') <= 20 },
    'server.deliveredVsConfigured': { target: 'within 5% of 20,000 tok/s', measured: get(result.pipeline, 'ours.deliveredVsConfigured'), met: Math.abs(get(result.pipeline, 'ours.deliveredVsConfigured') - 1) <= 0.05 },
    'ttft.warmToWireP95Ms': { target: '<= 5 ms', measured: get(result.ttft, 'warm.commandToWireMs.p95'), met: get(result.ttft, 'warm.commandToWireMs.p95') <= 5 },
    'ttft.warmVsCold': { target: 'warm >= 50% below cold (first delta applied)', measured: get(result.ttft, 'warmVsColdFirstDelta'), met: get(result.ttft, 'warmVsColdFirstDelta') <= 0.5 },
    'cancel.editsAfterKeystroke': { target: '0', measured: get(result.cancel, 'modelEditsAfterKeystroke'), met: get(result.cancel, 'modelEditsAfterKeystroke') === 0 },
    'cancel.socketClosedP95Ms': { target: '<= 5 ms', measured: get(result.cancel, 'keystrokeToSocketClosedMs.p95'), met: get(result.cancel, 'keystrokeToSocketClosedMs.p95') <= 5 },
    'cancel.nextRequestHandshakes': { target: '0', measured: get(result.cancel, 'nextRequestHandshakes'), met: get(result.cancel, 'nextRequestHandshakes') === 0 },
    'redirect.steerVsCancel': { target: 'steer no slower than cancel + new request (<= 1.0)', measured: get(result.redirect, 'steerVsCancel'), met: get(result.redirect, 'steerVsCancel') <= 1 },
    'memory.growth': { target: '<= 5%', measured: get(result.memory, 'growth'), met: get(result.memory, 'growth') <= 0.05 },
  };
  targets['promptCache.cachedShare'] = { target: '>= 80% of live-instruction preview input tokens', measured: get(result.promptCache, 'cachedShare'), met: get(result.promptCache, 'cachedShare') >= 0.8 };
  targets['ttft.connectOnOpenVsWarm'] = {
    target: 'Enter 300 ms after the box opened the socket: no slower than a socket warmed at startup (p95 within 1 ms)',
    measured: `${get(result.ttft, 'connectOnOpen.commandToWireMs.p95')} vs ${get(result.ttft, 'warm.commandToWireMs.p95')} ms`,
    met: get(result.ttft, 'connectOnOpen.commandToWireMs.p95') <= get(result.ttft, 'warm.commandToWireMs.p95') + 1,
  };
  const roundTrip = get(result.decision, 'roundTripMs');
  for (const rate of [25, 1_000, 5_000]) {
    const p95 = get(result.decision, `at${rate}.decisionToWireMs.p95`);
    targets[`decision.at${rate}.toWireP95Ms`] = { target: `<= one edit round trip + 5 ms (${roundTrip + 5} ms)`, measured: p95, met: p95 <= roundTrip + 5 };
  }
  for (const rate of [1_000, 5_000]) {
    const ours = get(apply, `at${rate}.ours.lastTokenToFinalTextMs`);
    const base = get(apply, `at${rate}.baseline.lastTokenToFinalTextMs`);
    targets[`apply.at${rate}.lastTokenToFinalTextMs`] = { target: `<= flush + one edit round trip (${flushPlusRoundTrip.toFixed(0)} ms)`, measured: ours, met: ours <= flushPlusRoundTrip };
    targets[`apply.at${rate}.vsPerTokenBaseline`] = { target: '>= 10x faster', measured: Number((base / Math.max(1, ours)).toFixed(1)), met: base / Math.max(1, ours) >= 10 };
  }
  targets['apply.context.enterToWireAddedP95Ms'] = {
    target: '<= 5 ms added at p95 by related code (lookup while typing)',
    measured: `${get(apply, 'context.addedAtP95Ms')} (lookup ${get(apply, 'context.lookupMs.p50')} ms p50 on ${get(apply, 'context.fileLines')} lines)`,
    met: get(apply, 'context.addedAtP95Ms') <= 5,
  };
  const latency = result.latency as Json;
  const ms = (path: string): number => get(latency, path);
  // The workbench's own floor (a key → an extension's edit painted, no network) says what is possible on this machine.
  const floor = ms('floor.keyToFirstLinePaintedMs.p50');
  targets['latency.enterToFirstPaintedMs'] = { target: `<= 100 ms (p50, live instruction off; floor here ${floor} ms)`, measured: ms('enter.ours.enterToFirstPaintedMs.p50'), met: ms('enter.ours.enterToFirstPaintedMs.p50') <= 100 };
  targets['latency.lastTokenToPaintedMs'] = { target: `<= 60 ms (p50, ~500-token rewrite; floor here ${floor} ms)`, measured: ms('enter.ours.lastTokenToPaintedMs.p50'), met: ms('enter.ours.lastTokenToPaintedMs.p50') <= 60 };
  // Two instructions typed at 5 chars/s. When the last key decides the meaning, nothing can show the final
  // result in the 200 ms before Enter (the floor alone is most of it): the target is judged on the other.
  targets['latency.liveFinalBeforeEnter'] = {
    target: 'final result painted before Enter in most runs (5 chars/s, an instruction decided before its last key)',
    measured: `decided early ${ms('liveInstruction.decidedEarly.oursLive.finalPaintedBeforeEnter')}, last key decides ${ms('liveInstruction.lastKeyDecides.oursLive.finalPaintedBeforeEnter')}`,
    met: ms('liveInstruction.decidedEarly.oursLive.finalPaintedBeforeEnter') > 0.5,
  };
  targets['latency.typingElsewhereAt5000'] = {
    target: 'p50 within 10 ms of idle',
    measured: Number((ms('large.at5000.ours.typingElsewhereMs.p50') - ms('typingIdleMs.p50')).toFixed(1)),
    met: ms('large.at5000.ours.typingElsewhereMs.p50') - ms('typingIdleMs.p50') <= 10,
  };
  targets['latency.redirectEnterToServerMs'] = {
    target: '<= 150 ms (p95), by response.steer',
    measured: `${ms('redirect.enterToRedirectAtServerMs.p95')} (steered ${ms('redirect.bySteer')})`,
    met: ms('redirect.enterToRedirectAtServerMs.p95') <= 150 && ms('redirect.bySteer') === 1,
  };
  targets['latency.large300LinesLastTokenToPaintedMs'] = { target: '<= 60 ms at 5,000 tok/s', measured: ms('large.at5000.ours.lastTokenToPaintedMs.p50'), met: ms('large.at5000.ours.lastTokenToPaintedMs.p50') <= 60 };
  targets['latency.region1500VsNaive'] = {
    target: 'last token → painted below the naive baseline',
    measured: `${ms('region1500.ours.lastTokenToPaintedMs.p50')} vs ${ms('region1500.naive.lastTokenToPaintedMs.p50')}`,
    met: ms('region1500.ours.lastTokenToPaintedMs.p50') < ms('region1500.naive.lastTokenToPaintedMs.p50'),
  };
  targets['latency.patch2000TokenRatio'] = {
    target: '>= 20x fewer tokens than the full rewrite (2,000-line region, 3 changed lines)',
    measured: Number(ms('patch2000.tokenRatio').toFixed(1)),
    met: ms('patch2000.tokenRatio') >= 20,
  };
  targets['latency.patch2000EnterToFinalPaintedMs'] = {
    target: '< 500 ms at 1,000 tok/s (p50)',
    measured: `${ms('patch2000.patch.enterToFinalPaintedMs.p50')} vs ${ms('patch2000.rewrite.enterToFinalPaintedMs.p50')} rewriting`,
    met: ms('patch2000.patch.enterToFinalPaintedMs.p50') < 500,
  };
  // Issue 22's bar: ours / naive per interleaved pair, at p50.
  for (const [name, path] of [
    ['firstTokenToPainted', 'enter.oursOverNaive.firstTokenToPaintedMs'],
    ['lastTokenToPainted', 'enter.oursOverNaive.lastTokenToPaintedMs'],
    ['large300LinesAt5000', 'large.at5000.oursOverNaive.lastTokenToPaintedMs'],
    ['region1500', 'region1500.oursOverNaive.lastTokenToPaintedMs'],
  ] as const) {
    targets[`latency.ratio.${name}`] = { target: 'ours / naive <= 0.8 (p50 of interleaved pairs)', measured: ms(`${path}.p50`), met: ms(`${path}.p50`) <= 0.8 };
  }
  targets['latency.ratio.rendererTime'] = { target: "renderer main-thread time per run no more than the naive extension's (p50 of pairs)", measured: ms('enter.oursOverNaive.rendererTaskMs.p50'), met: ms('enter.oursOverNaive.rendererTaskMs.p50') <= 1 };
  result.targets = targets;
  result.durationSeconds = Math.round((Date.now() - started) / 1000);

  const json = JSON.stringify(result, null, 2);
  process.stdout.write(json + '\n');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(__dirname, '../../test-artifacts'), { recursive: true });
  writeFileSync(join(__dirname, '../../test-artifacts/bench.json'), json);
  const rows = Object.entries(targets).map(([name, t]) => `${t.met ? 'met   ' : 'MISSED'}  ${name.padEnd(40)} ${String(t.measured).padStart(10)}   target ${t.target}`);
  process.stderr.write(`\n${rows.join('\n')}\n\n${Object.values(targets).filter((t) => t.met).length}/${rows.length} targets met in ${result.durationSeconds as number} s\n`);
}

main().catch((error: unknown) => {
  // fetch says only "fetch failed"; the reason (refused, reset, timed out) is its cause.
  const cause = error instanceof Error && error.cause !== undefined ? `\ncaused by: ${String(error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : JSON.stringify(error.cause))}` : '';
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${cause}\n`);
  process.exit(1);
});
