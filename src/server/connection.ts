import type { WebSocket } from 'ws';
import { decodeClientFrame, describeDecodeError } from '../core/protocol/codec';
import { messageBytes } from '../core/transport/wsTransport';
import type { ResponseCreate } from '../core/protocol/clientEvents';
import { parseEditRequest } from '../core/prompt/buildRequest';
import { estimateTokens } from '../core/prompt/tokens';
import type { Engine, EngineRequest } from './engines/engine';
import { errorFrame, ResponseEventWriter } from './eventWriter';
import { parseFault, type Fault, type ServerOptions, type Timing } from './options';
import { Pacer, tokenize } from './pacer';

export interface ServerStats {
  connections: number;
  responses: number;
  /** Generations currently producing tokens. */
  activeGenerations: number;
  /** Generations stopped because their socket closed. */
  abortedGenerations: number;
  tokensSent: number;
}

export interface ConnectionContext {
  readonly options: ServerOptions;
  /** Timing in force now (the control endpoint may change it between responses). */
  timing(): Timing;
  readonly engine: Engine;
  readonly stats: ServerStats;
  /** The fault for the next response: a queued one from /__spark/control, else the default. */
  nextFault(): Fault;
  log(message: string): void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

function messagesOf(request: ResponseCreate): { role: string; text: string }[] {
  return request.input.map((m) => ({ role: m.role, text: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('\n') }));
}

function languageOf(messages: readonly { text: string }[]): string {
  const m = /^File: .*\(([\w.+-]+)\)$/m.exec(messages[messages.length - 1]?.text ?? '');
  return m?.[1] ?? 'plaintext';
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
  };
}

/**
 * One client connection: responses run one at a time, in order; with
 * store:false only the latest response can be continued; closing the socket
 * aborts whatever is generating at once.
 */
export class ClientConnection {
  private readonly queue: ResponseCreate[] = [];
  private running = false;
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
    socket.on('message', (data, isBinary) => {
      const bytes = messageBytes(data);
      this.onMessage(isBinary ? bytes : bytes.toString('utf8'));
    });
    socket.on('close', () => {
      ctx.stats.connections--;
      this.abort.abort();
      this.queue.length = 0;
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
      const code = e.kind === 'malformed_json' ? 'invalid_json' : e.kind === 'oversized' ? 'payload_too_large' : 'invalid_request';
      const param = 'param' in e && typeof e.param === 'string' && e.param ? e.param : null;
      this.send(errorFrame(400, 'invalid_request_error', code, describeDecodeError(e), param));
      this.ctx.log(`#${this.id} rejected a request: ${describeDecodeError(e)}`);
      return;
    }
    this.queue.push(decoded.value);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let request = this.queue.shift(); request && !this.abort.signal.aborted; request = this.queue.shift()) {
        await this.respond(request).catch((error: unknown) => this.ctx.log(`#${this.id} response crashed: ${String(error)}`));
      }
    } finally {
      this.running = false;
    }
  }

  private faultFor(request: ResponseCreate): Fault {
    const spec = request.metadata?.spark_fault;
    if (spec) {
      const parsed = parseFault(spec);
      if (parsed.ok) return parsed.fault;
      this.ctx.log(`#${this.id} ignoring metadata.spark_fault: ${parsed.message}`);
    }
    return this.ctx.nextFault();
  }

  private async respond(request: ResponseCreate): Promise<void> {
    const fault = this.faultFor(request);
    const { stats, options, engine } = this.ctx;
    if (fault.kind === 'connection_limit') {
      this.send(errorFrame(429, 'invalid_request_error', 'websocket_connection_limit_reached', 'This connection reached its limit; open a new one.'));
      this.socket.close(1008, 'connection limit reached');
      return;
    }
    if (request.previous_response_id !== undefined && (fault.kind === 'previous_not_found' || request.previous_response_id !== this.lastResponseId)) {
      this.send(errorFrame(400, 'invalid_request_error', 'previous_response_not_found', `Previous response with id '${request.previous_response_id}' not found.`, 'previous_response_id'));
      return;
    }
    const messages = messagesOf(request);
    const inputTokens = estimateTokens((request.instructions ?? '') + messages.map((m) => m.text).join('\n'));
    const writer = new ResponseEventWriter((frame) => this.send(frame), request.model);
    stats.responses++;
    writer.created();
    this.lastResponseId = writer.responseId;
    if (request.generate === false) {
      writer.completeEmpty(inputTokens);
      return;
    }
    const parsed = parseEditRequest(request);
    const engineRequest: EngineRequest = {
      region: parsed.region ?? messages[messages.length - 1]?.text ?? '',
      instruction: parsed.instruction ?? '',
      history: parsed.history,
      languageId: languageOf(messages),
      instructions: request.instructions,
      messages,
      model: request.model,
    };
    if (engine.paced && (parsed.region === undefined || parsed.instruction === undefined)) {
      writer.failed('invalid_prompt', 'the built-in engine needs a region framed by <rewrite>…</rewrite> and an "Instruction:" line');
      return;
    }
    if (options.verbose) this.ctx.log(`#${this.id} ${writer.responseId}: "${engineRequest.instruction}" on ${engineRequest.region.length} chars`);
    writer.openItem();
    stats.activeGenerations++;
    const started = performance.now();
    try {
      const outcome = await this.stream(engineRequest, writer, fault, timingFor(request, this.ctx.timing()));
      if (outcome === 'aborted') {
        stats.abortedGenerations++;
        this.ctx.log(`#${this.id} ${writer.responseId}: stopped after ${writer.outputTokens} tokens, the client closed the socket`);
      } else if (outcome === 'done') {
        writer.complete(inputTokens);
        if (options.verbose) {
          const seconds = (performance.now() - started) / 1000;
          this.ctx.log(`#${this.id} ${writer.responseId}: ${writer.outputTokens} tokens in ${seconds.toFixed(2)} s (${Math.round(writer.outputTokens / seconds)} tok/s)`);
        }
      }
    } catch (error) {
      if (this.abort.signal.aborted) stats.abortedGenerations++;
      else writer.failed('server_error', error instanceof Error ? error.message : String(error));
    } finally {
      stats.activeGenerations--;
    }
  }

  /** Streams the engine's output as deltas; 'ended' when a fault already ended the response. */
  private async stream(request: EngineRequest, writer: ResponseEventWriter, fault: Fault, timing: Timing): Promise<'done' | 'aborted' | 'ended'> {
    const signal = this.abort.signal;
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
        case 'failed':
          writer.failed('server_error', 'injected failure');
          return true;
        case 'incomplete':
          writer.incomplete('max_output_tokens');
          return true;
        case 'malformed':
          this.send('{"type":"response.output_text.delta","delta":');
          return false;
        case 'oversized':
          this.send(JSON.stringify({ type: 'response.output_text.delta', item_id: writer.itemId, output_index: 0, content_index: 0, sequence_number: 0, delta: 'x'.repeat(fault.bytes) }));
          return false;
        case 'unknown_event':
          this.send(JSON.stringify({ type: 'response.spark_test.unknown', sequence_number: 0, note: 'clients must ignore this' }));
          return false;
        case 'stall':
          await sleep(fault.ms, signal);
          return false;
      }
    };

    if (!this.ctx.engine.paced) {
      for await (const piece of this.ctx.engine.generate(request, signal)) {
        if (signal.aborted) return 'aborted';
        if (await injectFault()) return 'ended';
        writer.delta(piece);
        sent++;
        this.ctx.stats.tokensSent++;
      }
      return signal.aborted ? 'aborted' : 'done';
    }

    let text = '';
    for await (const piece of this.ctx.engine.generate(request, signal)) text += piece;
    const tokens = tokenize(text, timing.tokenChars);
    const pacer = new Pacer(performance.now(), timing.ttftMs, timing.tokensPerSecond);
    for (;;) {
      if (signal.aborted) return 'aborted';
      if (sent >= tokens.length) return (await injectFault()) ? 'ended' : 'done';
      const due = pacer.dueCount(sent, tokens.length - sent, performance.now());
      for (let k = 0; k < due; k++) {
        if (await injectFault()) return 'ended';
        if (signal.aborted) return 'aborted';
        writer.delta(tokens[sent]!);
        sent++;
        this.ctx.stats.tokensSent++;
      }
      if (sent < tokens.length) {
        const wait = Math.max(0, pacer.dueAt(sent) - performance.now()) + (timing.jitterMs > 0 ? Math.random() * timing.jitterMs : 0);
        await sleep(wait, signal);
      }
    }
  }
}
