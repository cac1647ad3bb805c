import type { WebSocket } from 'ws';
import { decodeClientFrame, describeDecodeError, type DecodeError } from '../core/protocol/codec';
import { inputTexts, type ResponseCreate, type ResponseSteer } from '../core/protocol/clientEvents';
import { messageBytes } from '../core/transport/wsTransport';
import type { Engine, EngineRequest } from './engines/engine';
import { errorFrame, newId, ResponseEventWriter, steerFailedFrame, type OpenItem } from './eventWriter';
import { OutputShapeSchema, parseFault, type Fault, type OutputShape, type ServerOptions, type Timing } from './options';
import { Pacer, tokenize } from './pacer';
import { engineRequestFor, understandPrompt } from './request';
import type { PromptCache } from './promptCache';

export interface ServerStats {
  connections: number;
  responses: number;
  /** Generations currently producing tokens. */
  activeGenerations: number;
  /** Generations stopped because their socket closed. */
  abortedGenerations: number;
  tokensSent: number;
  /** Wall-clock time (epoch ms) the latest token was written, and the latest generation stopped by its client: latency benchmarks compare these with the browser's paint times. */
  lastTokenAt: number;
  lastAbortAt: number;
  /** Wall-clock time the latest response.create arrived, and the latest generation's first token was written. */
  lastRequestAt: number;
  lastFirstTokenAt: number;
  /** `response.steer` events accepted, and responses that ended `steered`. */
  steersAccepted: number;
  steered: number;
  /** Connections ever opened, and handshakes refused (a wrong or missing key): a client that retries a 401 shows here. */
  connectionsOpened: number;
  handshakesRefused: number;
  /** Input tokens of every request, and how many of them a repeated prefix under the same prompt_cache_key served. */
  inputTokens: number;
  cachedInputTokens: number;
  /** The latest requests and steers as they arrived (wall clock, epoch ms), newest last: tests time a decision by these. */
  arrivals: ArrivalStamp[];
}

/** One `response.create` or `response.steer` as the server received it. */
export interface ArrivalStamp {
  readonly at: number;
  readonly kind: 'create' | 'steer';
  readonly instruction: string;
}

const MAX_ARRIVALS = 50;

/** Notes an arrival in the stats, keeping the latest few. */
function noteArrival(stats: ServerStats, stamp: ArrivalStamp): void {
  stats.arrivals.push(stamp);
  if (stats.arrivals.length > MAX_ARRIVALS) stats.arrivals.splice(0, stats.arrivals.length - MAX_ARRIVALS);
}

export interface ConnectionContext {
  readonly options: ServerOptions;
  /** Timing in force now (the control endpoint may change it between responses). */
  timing(): Timing;
  /** Output shape in force now (flag or control endpoint; metadata `spark_shape` overrides per request). */
  shape(): OutputShape;
  /** Whether `response.steer` is accepted now. */
  steering(): boolean;
  readonly engine: Engine;
  readonly stats: ServerStats;
  readonly promptCache: PromptCache;
  /** The fault for the next response: a queued one from /__spark/control, else the default. */
  nextFault(): Fault;
  log(message: string): void;
}

/** Resolves after `ms`, or at once when `signal` aborts or `wake` is called. */
function sleep(ms: number, signal: AbortSignal, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    onWake(done);
  });
}

function timingFor(request: ResponseCreate, base: Timing): Timing {
  const meta = request.metadata ?? {};
  const num = (key: string, fallback: number): number => {
    const v = meta[key];
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    ttftMs: num('spark_ttft_ms', base.ttftMs),
    tokensPerSecond: Math.max(1, num('spark_tps', base.tokensPerSecond)),
    jitterMs: num('spark_jitter_ms', base.jitterMs),
    tokenChars: Math.max(1, Math.floor(num('spark_token_chars', base.tokenChars))),
    cutCodeUnits: base.cutCodeUnits,
  };
}

/** Official `invalid_request_error` codes for a frame the server cannot take. */
function errorCodeFor(e: DecodeError & { missing?: boolean }): string {
  if (e.kind === 'malformed_json') return 'invalid_json';
  if (e.kind === 'oversized') return 'payload_too_large';
  return e.missing ? 'missing_required_parameter' : 'invalid_value';
}

/** A response generating on this connection; a steer lands in `steers` and wakes it. */
interface ActiveResponse {
  readonly writer: ResponseEventWriter;
  readonly steers: { readonly id: string; readonly input: ResponseSteer['input'] }[];
  wake: () => void;
}

/** One segment of the output: an item and the text it streams. */
interface Segment {
  readonly open: (writer: ResponseEventWriter) => OpenItem;
  readonly text: string;
}

/**
 * One client connection. Requests with the same `stream_id` (or none) run in
 * order on their lane; lanes run side by side. With store:false only the
 * latest response can be continued. `response.steer` ends the active
 * response at a token boundary as `incomplete` (`steered`) and starts its
 * successor with the queued input. Closing the socket aborts everything.
 */
export class ClientConnection {
  private readonly lanes = new Map<string, { queue: ResponseCreate[]; running: boolean }>();
  private readonly active = new Map<string, ActiveResponse>();
  /** Ids of responses that ended on this connection (a steer to one of them is refused as completed). */
  private readonly ended: string[] = [];
  private lastResponseId: string | undefined;
  private readonly abort = new AbortController();
  private readonly id: number;
  private static counter = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ConnectionContext,
  ) {
    this.id = ++ClientConnection.counter;
    ctx.stats.connections++;
    ctx.stats.connectionsOpened++;
    socket.on('message', (data, isBinary) => {
      const bytes = messageBytes(data);
      this.onMessage(isBinary ? bytes : bytes.toString('utf8'));
    });
    socket.on('close', () => {
      ctx.stats.connections--;
      this.abort.abort();
      this.lanes.clear();
      ctx.log(`#${this.id} closed`);
    });
    socket.on('error', (error) => ctx.log(`#${this.id} socket error: ${error.message}`));
    ctx.log(`#${this.id} connected`);
  }

  private send(frame: string): void {
    if (!this.abort.signal.aborted) this.socket.send(frame);
  }

  private onMessage(data: string | Buffer): void {
    const decoded = decodeClientFrame(typeof data === 'string' ? data : new Uint8Array(data), this.ctx.options.maxPayloadBytes);
    if (!decoded.ok) {
      const e = decoded.error;
      if (e.kind === 'schema' && e.eventType === 'response.steer') {
        this.send(steerFailedFrame('invalid_input', describeDecodeError(e), { previous_response_id: '', input: '' }, 0));
        return;
      }
      const param = 'param' in e && typeof e.param === 'string' && e.param ? e.param : null;
      this.send(errorFrame(400, 'invalid_request_error', errorCodeFor(e), describeDecodeError(e), param));
      this.ctx.log(`#${this.id} rejected a request: ${describeDecodeError(e)}`);
      return;
    }
    const message = decoded.value;
    if (message.type === 'response.steer') {
      this.steer(message);
      return;
    }
    const key = message.stream_id ?? '';
    const lane = this.lanes.get(key) ?? { queue: [], running: false };
    this.lanes.set(key, lane);
    lane.queue.push(message);
    void this.drain(lane);
  }

  private steer(message: ResponseSteer): void {
    const target = this.active.get(message.previous_response_id);
    const fail = (code: 'steering_not_supported' | 'response_already_completed' | 'response_not_found', text: string): void => {
      this.send(steerFailedFrame(code, text, { previous_response_id: message.previous_response_id, input: inputTexts(message.input).map((m) => m.text).join('\n') }, 0));
      this.ctx.log(`#${this.id} refused a steer: ${code}`);
    };
    if (!target) {
      if (this.ended.includes(message.previous_response_id)) fail('response_already_completed', `Response '${message.previous_response_id}' has already completed.`);
      else fail('response_not_found', `Response '${message.previous_response_id}' is not active on this connection.`);
      return;
    }
    if (!this.ctx.steering()) {
      fail('steering_not_supported', 'This server does not accept steering input.');
      return;
    }
    const steerId = newId('steer');
    target.steers.push({ id: steerId, input: message.input });
    this.ctx.stats.steersAccepted++;
    noteArrival(this.ctx.stats, { at: Date.now(), kind: 'steer', instruction: understandPrompt(inputTexts(message.input).map((m) => m.text).join('\n')).instruction });
    target.writer.steerAccepted(steerId);
    this.ctx.log(`#${this.id} ${target.writer.responseId}: steer accepted`);
    target.wake();
  }

  private async drain(lane: { queue: ResponseCreate[]; running: boolean }): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      for (let request = lane.queue.shift(); request && !this.abort.signal.aborted; request = lane.queue.shift()) {
        await this.respond(request).catch((error: unknown) => this.ctx.log(`#${this.id} response crashed: ${String(error)}`));
      }
    } finally {
      lane.running = false;
    }
  }

  private faultFor(request: ResponseCreate): Fault {
    const spec = request.metadata?.spark_fault;
    if (spec) {
      const parsed = parseFault(spec);
      if (parsed.ok) return parsed.value;
      this.ctx.log(`#${this.id} ignoring metadata.spark_fault: ${parsed.error}`);
    }
    return this.ctx.nextFault();
  }

  private shapeFor(request: ResponseCreate): OutputShape {
    const parsed = OutputShapeSchema.safeParse(request.metadata?.spark_shape);
    return parsed.success ? parsed.data : this.ctx.shape();
  }

  private writerFor(request: ResponseCreate, previousResponseId: string | null): ResponseEventWriter {
    return new ResponseEventWriter((frame) => this.send(frame), {
      model: request.model,
      instructions: request.instructions ?? null,
      metadata: request.metadata ?? null,
      previousResponseId,
      streamId: request.stream_id ?? undefined,
    });
  }

  private async respond(request: ResponseCreate): Promise<void> {
    const fault = this.faultFor(request);
    if (fault.kind === 'connection_limit') {
      this.send(errorFrame(429, 'invalid_request_error', 'websocket_connection_limit_reached', 'This connection reached its limit; open a new one.'));
      this.socket.close(1008, 'connection limit reached');
      return;
    }
    const previous = request.previous_response_id ?? undefined;
    if (previous !== undefined && (fault.kind === 'previous_not_found' || previous !== this.lastResponseId)) {
      this.send(errorFrame(400, 'invalid_request_error', 'previous_response_not_found', `Previous response with id '${previous}' not found.`, 'previous_response_id'));
      return;
    }
    const input = this.ctx.promptCache.usage(`${request.instructions ?? ''}\n${inputTexts(request.input).map((m) => m.text).join('\n')}`, request.prompt_cache_key);
    this.ctx.stats.inputTokens += input.inputTokens;
    this.ctx.stats.cachedInputTokens += input.cachedTokens;
    let engineRequest = engineRequestFor(request);
    noteArrival(this.ctx.stats, { at: Date.now(), kind: 'create', instruction: engineRequest.instruction });
    let writer = this.writerFor(request, previous ?? null);
    this.ctx.stats.responses++;
    this.ctx.stats.lastRequestAt = Date.now();
    writer.created();
    this.lastResponseId = writer.responseId;
    if (request.generate === false) {
      writer.complete(input);
      this.retire(writer.responseId);
      return;
    }
    this.ctx.stats.activeGenerations++;
    try {
      for (;;) {
        const active: ActiveResponse = { writer, steers: [], wake: () => undefined };
        this.active.set(writer.responseId, active);
        const started = performance.now();
        const outcome = await this.stream(engineRequest, active, fault, timingFor(request, this.ctx.timing()), this.shapeFor(request));
        this.active.delete(writer.responseId);
        this.retire(writer.responseId);
        if (outcome === 'aborted') {
          this.ctx.stats.abortedGenerations++;
          this.ctx.stats.lastAbortAt = Date.now();
          this.ctx.log(`#${this.id} ${writer.responseId}: stopped after ${writer.outputTokens} tokens, the client closed the socket`);
          return;
        }
        if (outcome === 'done') {
          writer.complete(input);
          if (this.ctx.options.verbose) {
            const seconds = (performance.now() - started) / 1000;
            this.ctx.log(`#${this.id} ${writer.responseId}: ${writer.outputTokens} tokens in ${seconds.toFixed(2)} s`);
          }
        }
        if (outcome !== 'steered') return;
        // Steered: end at this token boundary, then the successor continues with the queued input.
        writer.incomplete('steered', input);
        this.ctx.stats.steered++;
        const steer = active.steers[active.steers.length - 1]!;
        const steerRequest: ResponseCreate = { ...request, input: steer.input, previous_response_id: writer.responseId };
        engineRequest = engineRequestFor(steerRequest, engineRequest);
        writer = this.writerFor(request, writer.responseId);
        this.ctx.stats.responses++;
        writer.created();
        this.lastResponseId = writer.responseId;
        this.ctx.log(`#${this.id} ${writer.responseId}: successor of a steer, "${engineRequest.instruction}"`);
      }
    } catch (error) {
      if (this.abort.signal.aborted) {
        this.ctx.stats.abortedGenerations++;
        this.ctx.stats.lastAbortAt = Date.now();
      }
      else writer.failed('server_error', error instanceof Error ? error.message : String(error));
    } finally {
      this.ctx.stats.activeGenerations--;
    }
  }

  private retire(responseId: string): void {
    this.ended.push(responseId);
    if (this.ended.length > 32) this.ended.shift();
  }

  /** The items of one answer, in the order a model of that shape streams them. */
  private async segments(request: EngineRequest, shape: OutputShape, signal: AbortSignal): Promise<Segment[]> {
    if (shape === 'refusal') return [{ open: (w) => w.openMessage(undefined, 'refusal'), text: "I'm sorry, but I can't help with that request." }];
    let text = '';
    for await (const piece of this.ctx.engine.generate(request, signal)) text += piece;
    if (shape === 'plain') return [{ open: (w) => w.openMessage(undefined), text }];
    const lines = request.region.split('\n').length;
    return [
      { open: (w) => w.openReasoning(), text: `Reading the ${lines}-line region and the instruction.` },
      { open: (w) => w.openMessage('commentary'), text: `I'll apply "${request.instruction}" to the region and answer with the rewritten code only.` },
      { open: (w) => w.openMessage('final_answer'), text },
    ];
  }

  /**
   * Streams one answer; 'ended' when a fault already ended the response,
   * 'steered' when a steer arrived (the caller ends it and starts the successor).
   */
  private async stream(request: EngineRequest, active: ActiveResponse, fault: Fault, timing: Timing, shape: OutputShape): Promise<'done' | 'aborted' | 'ended' | 'steered'> {
    const signal = this.abort.signal;
    const writer = active.writer;
    const onWake = (wake: () => void): void => {
      active.wake = wake;
    };
    let sent = 0;
    /** Applies a fault due before token `sent`; true when the response is over. */
    const injectFault = async (): Promise<boolean> => {
      if (fault.kind === 'none' || !('after' in fault) || fault.after !== sent) return false;
      switch (fault.kind) {
        case 'drop':
          this.socket.terminate();
          return true;
        case 'error':
          writer.error(500, 'server_error', 'server_error', 'The server had an error while processing your request.');
          return true;
        case 'error_flat':
          writer.flatError('server_error', 'The server had an error while processing your request (flat error event).');
          return true;
        case 'failed':
          writer.failed('server_error', 'injected failure');
          return true;
        case 'incomplete':
          writer.incomplete('max_output_tokens', { inputTokens: 0, cachedTokens: 0 });
          return true;
        case 'malformed':
          this.send('{"type":"response.output_text.delta","delta":');
          return false;
        case 'oversized':
          this.send(JSON.stringify({ type: 'response.output_text.delta', item_id: 'msg_oversized', output_index: 0, content_index: 0, sequence_number: 0, delta: 'x'.repeat(fault.bytes), logprobs: [] }));
          return false;
        case 'unknown_event':
          this.send(JSON.stringify({ type: 'response.spark_test.unknown', sequence_number: 0, note: 'clients must ignore this' }));
          return false;
        case 'stall':
          await sleep(fault.ms, signal, onWake);
          return false;
      }
    };

    if (!this.ctx.engine.paced) {
      const item = writer.openMessage(undefined);
      for await (const piece of this.ctx.engine.generate(request, signal)) {
        if (signal.aborted) return 'aborted';
        if (await injectFault()) return 'ended';
        writer.delta(item, piece);
        if (sent++ === 0) this.ctx.stats.lastFirstTokenAt = Date.now();
        this.ctx.stats.tokensSent++;
        this.ctx.stats.lastTokenAt = Date.now();
      }
      return signal.aborted ? 'aborted' : 'done';
    }

    const segments = await this.segments(request, shape, signal);
    const plan = segments.map((s) => ({ open: s.open, tokens: tokenize(s.text, timing.tokenChars, timing.cutCodeUnits) }));
    const total = plan.reduce((n, s) => n + s.tokens.length, 0);
    const pacer = new Pacer(performance.now(), timing.ttftMs, timing.tokensPerSecond);
    let segment = 0;
    let inSegment = 0;
    let item: OpenItem | undefined;
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (active.steers.length > 0) return 'steered';
      if (sent >= total) {
        if (item) writer.closeItem(item, 'completed');
        return (await injectFault()) ? 'ended' : 'done';
      }
      const due = pacer.dueCount(sent, total - sent, performance.now());
      for (let k = 0; k < due; k++) {
        if (await injectFault()) return 'ended';
        if (signal.aborted) return 'aborted';
        if (active.steers.length > 0) return 'steered';
        while (inSegment >= plan[segment]!.tokens.length) {
          if (item) writer.closeItem(item, 'completed');
          item = undefined;
          segment++;
          inSegment = 0;
        }
        item ??= plan[segment]!.open(writer);
        writer.delta(item, plan[segment]!.tokens[inSegment++]!);
        if (sent++ === 0) this.ctx.stats.lastFirstTokenAt = Date.now();
        this.ctx.stats.tokensSent++;
        this.ctx.stats.lastTokenAt = Date.now();
      }
      if (sent < total) {
        const wait = Math.max(0, pacer.dueAt(sent) - performance.now()) + (timing.jitterMs > 0 ? Math.random() * timing.jitterMs : 0);
        await sleep(wait, signal, onWake);
      }
    }
  }
}
