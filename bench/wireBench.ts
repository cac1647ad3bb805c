import { decodeServerFrame } from '../src/core/protocol/codec';
import { isLive } from '../src/core/session/runState';
import { diffLines } from 'diff';
import WebSocket from 'ws';
import { buildEditRequest } from '../src/core/prompt/buildRequest';
import { codeText, makeChannel, startRun, type SocketLog } from './client';
import type { ServerProcess } from './serverProcess';
import { round, summary } from './stats';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Client cost per token and whether it keeps up, through a real socket at `rate` tok/s. */
export async function pipelineBench(server: ServerProcess, rate = 20_000, tokens = 40_000): Promise<Record<string, unknown>> {
  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: rate, tokenChars: 4 } });
  const channel = makeChannel(server.url, { spare: true });
  await channel.warm();
  const region = codeText(tokens * 4);
  // Measure only the stream: CPU time of this process from first to last delta.
  const handle = startRun(channel, region, 'uppercase');
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await handle.done;
  const cpu = process.cpuUsage(cpuStart);
  const wall = performance.now() - wallStart;
  const s = handle.run.snapshot.state.stream;
  const streamMs = s.lastDeltaAt! - s.firstDeltaAt!;
  const expectedMs = ((s.deltas - 1) / rate) * 1000;
  const lastEdit = handle.editTimes.at(-1) ?? NaN;
  const correct = handle.doc.text === region.toUpperCase();

  // The latency suite's 1,500-line region at 5,000 tok/s, each edit answered 150 ms after it is sent (an
  // editor's round trip on a busy machine): output piles up in the batch while an edit is in flight, and
  // the views read a snapshot every progress tick, as the status bar does.
  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: 5_000, tokenChars: 4 } });
  const slowRegion = codeText(72_000);
  const slow = startRun(channel, slowRegion, 'uppercase', 16, 150);
  const slowCpuStart = process.cpuUsage();
  const ticking = setInterval(() => void slow.run.snapshot.hunks.length, 50);
  await slow.done;
  clearInterval(ticking);
  const slowCpu = process.cpuUsage(slowCpuStart);
  const slowDeltas = slow.run.snapshot.state.stream.deltas;
  const slowCorrect = slow.doc.text === slowRegion.toUpperCase();
  channel.dispose();

  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: rate, tokenChars: 4 } });
  const floor = await receiveFloor(server, region);
  const naive = process.env.SPARK_BENCH_NO_BASELINE ? { skipped: true } : await naivePipeline(server, rate, 4_000);
  return {
    configuredTokensPerSecond: rate,
    tokens: s.deltas,
    correct,
    ours: {
      // Client overhead: all CPU of this process minus the in-memory document's
      // own apply work (string splicing standing in for VS Code's buffer).
      cpuUsPerToken: round((cpu.user + cpu.system - handle.documentMs() * 1000) / s.deltas, 2),
      cpuUsPerTokenIncludingDocument: round((cpu.user + cpu.system) / s.deltas, 2),
      deliveredTokensPerSecond: Math.round((s.deltas - 1) / (streamMs / 1000)),
      deliveredVsConfigured: round((s.deltas - 1) / (streamMs / 1000) / rate, 3),
      lagAtEndMs: round(streamMs - expectedMs, 1),
      lastTokenToBufferMs: round(lastEdit - s.lastDeltaAt!, 1),
      edits: handle.doc.modelEditVersions.length,
      wallMs: round(wall, 0),
    },
    region72kAt5000WithEditorRoundTrip150Ms: {
      correct: slowCorrect,
      cpuUsPerToken: round((slowCpu.user + slowCpu.system - slow.documentMs() * 1000) / slowDeltas, 2),
      edits: slow.doc.modelEditVersions.length,
    },
    receiveFloor: floor,
    baseline: naive,
  };
}

/**
 * The floor no client can go under in Node: a bare `ws` client that only
 * receives the same stream and JSON.parses each frame. Our overhead above it
 * is decode validation, the reducer, the diff and the batching.
 */
async function receiveFloor(server: ServerProcess, region: string): Promise<Record<string, number>> {
  const { request } = buildEditRequest({ fileName: 'b.ts', languageId: 'typescript', before: '', region, after: '' }, 'uppercase', [], { model: 'bench', contextTokens: 128_000 });
  const ws = new WebSocket(server.url, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  let deltas = 0;
  const cpuStart = process.cpuUsage();
  await new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString()) as { type: string };
      if (event.type === 'response.output_text.delta') deltas++;
      if (event.type === 'response.completed') resolve();
    });
    ws.send(JSON.stringify(request));
  });
  const cpu = process.cpuUsage(cpuStart);
  ws.terminate();
  return { tokens: deltas, cpuUsPerToken: round((cpu.user + cpu.system) / deltas, 2) };
}

/**
 * Naive client: JSON.parse each frame, and re-diff the region from the top
 * with jsdiff on every token (what a client without a streaming diff does).
 * Measured on a shorter stream, since it cannot keep up.
 */
async function naivePipeline(server: ServerProcess, rate: number, tokens: number): Promise<Record<string, unknown>> {
  const region = codeText(tokens * 4, 3);
  const { request } = buildEditRequest({ fileName: 'b.ts', languageId: 'typescript', before: '', region, after: '' }, 'uppercase', [], { model: 'bench', contextTokens: 128_000 });
  const ws = new WebSocket(server.url, { perMessageDeflate: false });
  await new Promise((r) => ws.once('open', r));
  let output = '';
  let deltas = 0;
  let firstAt = 0;
  let busyUs = 0;
  const done = new Promise<number>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const started = performance.now();
      const event = JSON.parse(data.toString()) as { type: string; delta?: string };
      if (event.type === 'response.output_text.delta') {
        if (!firstAt) firstAt = started;
        output += event.delta!;
        deltas++;
        diffLines(region, output);
      }
      busyUs += (performance.now() - started) * 1000;
      if (event.type === 'response.completed') resolve(performance.now());
    });
  });
  ws.send(JSON.stringify(request));
  const end = await done;
  ws.terminate();
  const expectedMs = ((deltas - 1) / rate) * 1000;
  return { tokens: deltas, usPerToken: round(busyUs / deltas, 1), lagAtEndMs: round(end - firstAt - expectedMs, 1) };
}

/** Command -> request on the wire, and -> first delta applied: warm socket vs a cold connect per request. */
export async function ttftBench(server: ServerProcess, requests = 50): Promise<Record<string, unknown>> {
  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: 100_000, tokenChars: 4 } });
  const text = 'alpha\nbeta\ngamma\n';
  const measure = async (channelFor: () => ReturnType<typeof makeChannel>, release: (c: ReturnType<typeof makeChannel>) => void, typingMs = 0) => {
    const toWire: number[] = [];
    const toFirstEdit: number[] = [];
    for (let i = 0; i < requests; i++) {
      const channel = channelFor();
      if (typingMs) await sleep(typingMs);
      const handle = startRun(channel, text, 'uppercase');
      await handle.done;
      const s = handle.run.snapshot.state.stream;
      toWire.push(s.sentAt! - handle.startedAt);
      toFirstEdit.push(handle.editTimes[0]! - handle.startedAt);
      release(channel);
      await sleep(2);
    }
    return { commandToWireMs: summary(toWire), commandToFirstDeltaAppliedMs: summary(toFirstEdit) };
  };
  const warmChannel = makeChannel(server.url, { spare: true });
  await warmChannel.warm();
  const warm = await measure(() => warmChannel, () => undefined);
  warmChannel.dispose();
  const cold = await measure(() => makeChannel(server.url, { spare: false }), (c) => c.dispose());
  // What a window does now: nothing at startup; the instruction box opens the socket, Enter comes 300 ms later.
  const connectOnOpen = await measure(
    () => {
      const channel = makeChannel(server.url, { spare: true });
      void channel.warm();
      return channel;
    },
    (c) => c.dispose(),
    300,
  );
  return {
    requests,
    warm,
    cold,
    connectOnOpen,
    connectOnOpenVsWarm: round(connectOnOpen.commandToWireMs.p95 / Math.max(0.001, warm.commandToWireMs.p95), 3),
    warmVsColdToWire: round(warm.commandToWireMs.p50 / cold.commandToWireMs.p50, 3),
    warmVsColdFirstDelta: round(warm.commandToFirstDeltaAppliedMs.p50 / cold.commandToFirstDeltaAppliedMs.p50, 3),
  };
}

/** Keystroke mid-stream -> edits after it (must be none), -> socket closed, -> next request on the wire. */
export async function cancelBench(server: ServerProcess, trials = 30): Promise<Record<string, unknown>> {
  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: 2_000, tokenChars: 4 } });
  const socketLog: SocketLog = { closedAt: [] };
  const channel = makeChannel(server.url, { spare: true, socketLog });
  await channel.warm();
  const toClose: number[] = [];
  const toNextOnWire: number[] = [];
  let editsAfterKeystroke = 0;
  const coldBefore = channel.stats.coldRequests;
  for (let i = 0; i < trials; i++) {
    while (channel.warmIdle < 1) await sleep(1); // the spare is open again
    const handle = startRun(channel, codeText(8_000, i), 'uppercase');
    while (handle.doc.modelEditVersions.length < 2) await sleep(1);
    const closesBefore = socketLog.closedAt.length;
    const keystrokeAt = performance.now();
    handle.doc.userEdit(0, 0, 'x');
    const versionAtKeystroke = handle.doc.version;
    const next = startRun(channel, 'one\ntwo\n', 'uppercase');
    await next.done;
    await sleep(20);
    editsAfterKeystroke += handle.doc.modelEditVersions.filter((v) => v > versionAtKeystroke).length;
    toClose.push((socketLog.closedAt[closesBefore] ?? NaN) - keystrokeAt);
    toNextOnWire.push(next.run.snapshot.state.stream.sentAt! - keystrokeAt);
  }
  const handshakes = channel.stats.coldRequests - coldBefore;
  channel.dispose();
  return {
    trials,
    modelEditsAfterKeystroke: editsAfterKeystroke,
    keystrokeToSocketClosedMs: summary(toClose),
    keystrokeToNextRequestOnWireMs: summary(toNextOnWire),
    nextRequestHandshakes: handshakes,
    baseline: 'a client without a spare socket pays a full handshake here: see ttft.cold.commandToWireMs',
  };
}

/** Heap after 1,000 consecutive runs on one socket vs after 10. */
export async function memoryBench(server: ServerProcess, runs = 1_000): Promise<Record<string, unknown>> {
  await server.control({ faults: [], timing: { ttftMs: 0, tokensPerSecond: 100_000, tokenChars: 8 } });
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { skipped: 'run with node --expose-gc (npm run bench does)' };
  const channel = makeChannel(server.url, { spare: true });
  await channel.warm();
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const text = codeText(2_000);
  let afterTen = 0;
  for (let i = 1; i <= runs; i++) {
    const handle = startRun(channel, text, 'uppercase');
    await handle.done;
    handle.run.dispatch({ type: 'accept' });
    if (i === 10) {
      await sleep(50);
      afterTen = heap();
    }
  }
  await sleep(50);
  const afterAll = heap();
  channel.dispose();
  return { runs, heapAfter10MB: round(afterTen / 1e6, 2), heapAfterAllMB: round(afterAll / 1e6, 2), growth: round(afterAll / afterTen - 1, 4) };
}

/** For the decode-only part of the pipeline: cost of decoding one delta frame with zod. */
export function decodeCostUs(): number {
  const frame = JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'abcd' });
  for (let i = 0; i < 10_000; i++) decodeServerFrame(frame);
  const n = 100_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) decodeServerFrame(frame);
  return round(((performance.now() - started) * 1000) / n, 3);
}

/**
 * Redirect latency: Redirect mid-stream -> the first line of the new answer
 * applied, by native steering (same socket, `response.steer`) and by the
 * fallback every client without steering uses (close the socket, send a new
 * request on the warm spare). Same server timing for both.
 */
export async function redirectBench(server: ServerProcess, trials = 20): Promise<Record<string, unknown>> {
  await server.control({ faults: [], steering: true, timing: { ttftMs: 20, tokensPerSecond: 2_000, tokenChars: 4 } });
  const measure = async (steer: boolean): Promise<{ ms: number[]; correct: number }> => {
    const channel = makeChannel(server.url, { spare: true });
    const sender = { request: channel.request.bind(channel), canSteer: steer };
    await channel.warm();
    const ms: number[] = [];
    let correct = 0;
    for (let i = 0; i < trials; i++) {
      while (channel.warmIdle < 1) await sleep(1); // the spare is open again after a cancel
      const text = codeText(2_000, i);
      const handle = startRun(sender, text, 'uppercase');
      while (handle.doc.modelEditVersions.length < 3) await sleep(1);
      const redirectAt = performance.now();
      handle.run.redirect('reverse lines');
      // The successor's first delta resets the run's stream clock; its first edit after that is what the user sees.
      while (handle.run.snapshot.state.stream.firstDeltaAt === undefined || !handle.editTimes.some((t) => t >= handle.run.snapshot.state.stream.firstDeltaAt!)) await sleep(0.5);
      const firstDeltaAt = handle.run.snapshot.state.stream.firstDeltaAt;
      ms.push(handle.editTimes.find((t) => t >= firstDeltaAt)! - redirectAt);
      await handle.done;
      if (handle.run.snapshot.state.history.length === 1 && !handle.doc.text.includes('\ufffd')) correct++;
      handle.run.dispatch({ type: 'accept' });
    }
    channel.dispose();
    return { ms, correct };
  };
  const steer = await measure(true);
  const cancel = await measure(false);
  return {
    trials,
    serverTtftMs: 20,
    steer: { redirectToFirstSuccessorEditMs: summary(steer.ms), completed: steer.correct },
    cancelAndNewRequest: { redirectToFirstSuccessorEditMs: summary(cancel.ms), completed: cancel.correct },
    steerVsCancel: round(summary(steer.ms).p50 / summary(cancel.ms).p50, 3),
  };
}

/**
 * A decision never waits for the stream to pause: Redirect while a stream
 * that never pauses arrives and every editor round trip takes
 * `roundTripMs`, time from the decision to the redirect's frame on the wire
 * (a steer). Beside it, the naive way (and this project's until the reducer
 * owned decisions): stop the stream, wait for the edit in flight, land what
 * is pending and the removal of the model's unfinished line, and only then
 * send; timed, in trials of its own, as the time that settling takes.
 */
export async function decisionBench(server: ServerProcess, rates = [25, 1_000, 5_000], roundTripMs = 25, trials = 12): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { roundTripMs, trials };
  for (const rate of rates) {
    await server.control({ faults: [], steering: true, timing: { ttftMs: 5, tokensPerSecond: rate, tokenChars: 4 } });
    const log: SocketLog = { closedAt: [], sent: [] };
    const channel = makeChannel(server.url, { spare: true, socketLog: log });
    await channel.warm();
    const trial = async (i: number, naive: boolean): Promise<number> => {
      while (channel.warmIdle < 1) await sleep(1);
      // Long enough that no stream ends before its decision.
      const handle = startRun(channel, codeText(Math.max(2_000, rate * 8), i), 'uppercase', 16, roundTripMs);
      while (handle.run.snapshot.state.stream.deltas < 3) await sleep(1);
      await sleep(Math.min(300, 30_000 / rate)); // mid-stream: edits in flight and pending
      const sentBefore = log.sent!.length;
      const decidedAt = performance.now();
      let ms: number;
      if (naive) {
        handle.run.dispatch({ type: 'stopForSave' });
        // Settled: in review, or done when no whole line had changed yet.
        while (isLive(handle.run.snapshot.state.phase)) await sleep(0.2);
        ms = performance.now() - decidedAt;
      } else {
        handle.run.redirect('reverse lines');
        const frame = (): { at: number } | undefined => log.sent!.slice(sentBefore).find((f) => f.type === 'response.steer' || f.type === 'response.create');
        while (!frame()) await sleep(0.2);
        ms = frame()!.at - decidedAt;
      }
      handle.run.dispatch({ type: 'cancel' });
      handle.run.dispatch({ type: 'accept' });
      return ms;
    };
    const ours: number[] = [];
    const naive: number[] = [];
    for (let i = 0; i < trials; i++) {
      ours.push(await trial(i, false));
      naive.push(await trial(i, true));
    }
    channel.dispose();
    const summaryOurs = summary(ours);
    const summaryNaive = summary(naive);
    result[`at${rate}`] = { decisionToWireMs: summaryOurs, naiveSettleBeforeSendMs: summaryNaive, vsNaive: round(summaryOurs.p50 / Math.max(0.001, summaryNaive.p50), 3) };
  }
  return result;
}

/**
 * What live instruction costs: one box on a 3,000-line file, its instruction
 * typed and previewed eight times (each revision once the previous preview
 * finished), every request carrying the run's prompt_cache_key. The
 * reference server counts the input tokens and those a repeated prefix
 * served from its cache, as the service reports them.
 */
export async function promptCacheBench(server: ServerProcess): Promise<Record<string, unknown>> {
  await server.control({ faults: [], steering: true, timing: { ttftMs: 5, tokensPerSecond: 20_000, tokenChars: 4 } });
  const channel = makeChannel(server.url, { spare: true });
  await channel.warm();
  const file = codeText(120_000);
  const lines = file.split('\n');
  const start = lines.slice(0, 1_500).join('\n').length + 1;
  const end = start + lines.slice(1_500, 1_540).join('\n').length + 1;
  const instructions = ['upp', 'uppe', 'upper', 'upperc', 'upperca', 'uppercas', 'uppercase', 'uppercase it'];
  const before = await server.stats();
  const handle = startRun(channel, file, instructions[0]!, 16, undefined, { region: { start, end }, preview: true, promptCacheKey: 'bench-box' });
  const untilSettled = async (): Promise<void> => {
    while (!['review', 'done', 'error'].includes(handle.run.snapshot.state.phase)) await sleep(2);
  };
  await untilSettled();
  for (const instruction of instructions.slice(1)) {
    handle.run.redirect(instruction);
    await sleep(5);
    await untilSettled();
  }
  const after = await server.stats();
  channel.dispose();
  const input = after.inputTokens - before.inputTokens;
  const cached = after.cachedInputTokens - before.cachedInputTokens;
  return { previews: instructions.length, inputTokens: input, cachedTokens: cached, cachedShare: round(cached / Math.max(1, input), 3), inputTokensPerPreview: Math.round(input / instructions.length) };
}
