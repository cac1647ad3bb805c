import type { ResponseCreate, ResponseSteer } from '../core/protocol/clientEvents';
import { conversationText, inputItems, outputItems, type ConversationItem, type ResponseStore } from './conversation';
import type { Engine, EnginePiece, EngineRequest } from './engines/engine';
import { errorFrame, newId, ResponseEventWriter, settingsEcho, type OpenItem } from './eventWriter';
import { OutputShapeSchema, parseFault, type Fault, type OutputShape, type ServerOptions, type Timing } from './options';
import { Pacer, tokenize } from './pacer';
import { corruptPatchContext } from './patchWriter';
import type { InputUsage, PromptCache } from './promptCache';
import { engineRequestFor } from './request';
import type { ServerStats } from './stats';
import { noteArrival } from './stats';

/** What every transport of one server shares. */
export interface ServerContext {
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
  /** Responses kept with `store: true`, for `previous_response_id` across connections and requests. */
  readonly stored: ResponseStore;
  /** The fault for the next response: a queued one from /__spark/control, else the default. */
  nextFault(): Fault;
  log(message: string): void;
}

/** Where one response's events go, and what its transport does when a fault asks for it. */
export interface ResponseTransport {
  send(frame: string): void;
  /** Aborts when the client goes away: generation stops. */
  readonly signal: AbortSignal;
  /** `drop:N`: cut the transport mid-response. */
  drop(): void;
  /** `connection_limit`: this transport takes no more responses. */
  refuseForLimit(): void;
  /** A WebSocket connection keeps its latest response for continuation even with `store: false`; HTTP keeps nothing of its own. */
  readonly keepsLatest: boolean;
}

/** A response generating now; a steer lands in `steers` and wakes it. */
export interface ActiveResponse {
  readonly writer: ResponseEventWriter;
  readonly steers: { readonly id: string; readonly input: ResponseSteer['input'] }[];
  wake: () => void;
}

/** One segment of the output: an item and the text it streams. */
interface Segment {
  readonly open: (writer: ResponseEventWriter) => OpenItem;
  readonly text: string;
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

const textOf = (pieces: readonly EnginePiece[]): string => pieces.filter((p): p is string => typeof p === 'string').join('');

/**
 * Generates responses for one transport (a WebSocket connection, or one HTTP
 * request): the faults, the conversation a continuation carries, the
 * paced stream, and a steer's successor. It writes events and nothing else,
 * so both transports serve exactly the same events.
 */
export class Responder {
  /** Responses generating now, by id (a WebSocket steer finds its target here). */
  readonly active = new Map<string, ActiveResponse>();
  /** Ids of responses that ended here (a steer to one of them is refused as completed). */
  private readonly ended: string[] = [];
  /** The latest response and its whole conversation: what a WebSocket connection can continue with `store: false`. */
  private latest: { readonly id: string; readonly items: readonly ConversationItem[] } | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly transport: ResponseTransport,
    private readonly label: string,
  ) {}

  hasEnded(responseId: string): boolean {
    return this.ended.includes(responseId);
  }

  private send(frame: string): void {
    if (!this.transport.signal.aborted) this.transport.send(frame);
  }

  private faultFor(request: ResponseCreate): Fault {
    const spec = request.metadata?.spark_fault;
    if (spec) {
      const parsed = parseFault(spec);
      if (parsed.ok) return parsed.value;
      this.ctx.log(`${this.label} ignoring metadata.spark_fault: ${parsed.error}`);
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
      settings: settingsEcho(request),
    });
  }

  /** The conversation before a continued response, or undefined when it cannot be continued here. */
  private conversationBefore(previousResponseId: string): readonly ConversationItem[] | undefined {
    if (this.transport.keepsLatest && this.latest?.id === previousResponseId) return this.latest.items;
    return this.ctx.stored.get(previousResponseId);
  }

  /** Keeps an ended response's conversation for whoever continues it. */
  private remember(request: ResponseCreate, writer: ResponseEventWriter, before: readonly ConversationItem[]): void {
    const items = [...before, ...outputItems(writer.outputItems())];
    if (this.transport.keepsLatest) this.latest = { id: writer.responseId, items };
    if (request.store !== false) this.ctx.stored.put(writer.responseId, items);
    this.ended.push(writer.responseId);
    if (this.ended.length > 32) this.ended.shift();
  }

  /** Input usage of a conversation: the whole context counts, as the service counts it. */
  private usageOf(request: ResponseCreate, conversation: readonly ConversationItem[]): InputUsage {
    const usage = this.ctx.promptCache.usage(conversationText(request.instructions, conversation), request.prompt_cache_key);
    this.ctx.stats.inputTokens += usage.inputTokens;
    this.ctx.stats.cachedInputTokens += usage.cachedTokens;
    return usage;
  }

  async respond(request: ResponseCreate): Promise<void> {
    const fault = this.faultFor(request);
    if (fault.kind === 'connection_limit') {
      this.transport.refuseForLimit();
      return;
    }
    const previous = request.previous_response_id ?? undefined;
    const before = previous === undefined ? [] : fault.kind === 'previous_not_found' ? undefined : this.conversationBefore(previous);
    if (before === undefined) {
      this.send(errorFrame(400, 'invalid_request_error', 'previous_response_not_found', `Previous response with id '${previous}' not found.`, 'previous_response_id'));
      return;
    }
    const asked = inputItems(request.input);
    let conversation = [...before, ...asked];
    this.ctx.stats.lastInput = conversationText(undefined, asked).slice(0, 64 * 1024);
    let input = this.usageOf(request, conversation);
    let engineRequest = engineRequestFor(request, conversation);
    noteArrival(this.ctx.stats, { at: Date.now(), kind: 'create', instruction: engineRequest.instruction });
    let writer = this.writerFor(request, previous ?? null);
    this.ctx.stats.responses++;
    this.ctx.stats.lastRequestAt = Date.now();
    writer.created();
    if (this.ctx.options.verbose) {
      const continuing = previous === undefined ? '' : `, continuing ${previous} (${before.length} items)`;
      this.ctx.log(`${this.label} ${writer.responseId}: ${input.inputTokens} input tokens, ${input.cachedTokens} cached${continuing}${request.generate === false ? ', prewarm' : ''}`);
    }
    if (request.generate === false) {
      writer.complete(input);
      this.remember(request, writer, conversation);
      return;
    }
    this.ctx.stats.activeGenerations++;
    try {
      for (;;) {
        const active: ActiveResponse = { writer, steers: [], wake: () => undefined };
        this.active.set(writer.responseId, active);
        const started = performance.now();
        const cue = this.ctx.engine.cue?.(engineRequest);
        const shape = cue?.refuse ? 'refusal' : this.shapeFor(request);
        const cued: Fault = fault.kind === 'none' && cue?.dropAfter !== undefined ? { kind: 'drop', after: cue.dropAfter } : fault;
        const outcome = await this.stream(engineRequest, active, cued, timingFor(request, this.ctx.timing()), shape);
        this.active.delete(writer.responseId);
        if (outcome === 'aborted') {
          this.ctx.stats.abortedGenerations++;
          this.ctx.stats.lastAbortAt = Date.now();
          this.ctx.log(`${this.label} ${writer.responseId}: stopped after ${writer.outputTokens} tokens, the client went away`);
          return;
        }
        if (outcome === 'done') {
          writer.complete(input);
          if (this.ctx.options.verbose) {
            const seconds = (performance.now() - started) / 1000;
            this.ctx.log(`${this.label} ${writer.responseId}: ${writer.outputTokens} tokens in ${seconds.toFixed(2)} s`);
          }
        }
        if (outcome !== 'steered') {
          this.remember(request, writer, conversation);
          return;
        }
        // Steered: end at this token boundary, then the successor continues with the queued input.
        writer.incomplete('steered', input);
        this.remember(request, writer, conversation);
        this.ctx.stats.steered++;
        const steer = active.steers[active.steers.length - 1]!;
        const steerRequest: ResponseCreate = { ...request, input: steer.input, previous_response_id: writer.responseId };
        conversation = [...conversation, ...outputItems(writer.outputItems()), ...inputItems(steer.input)];
        input = this.usageOf(request, conversation);
        engineRequest = engineRequestFor(steerRequest, conversation, engineRequest);
        writer = this.writerFor(request, writer.responseId);
        this.ctx.stats.responses++;
        writer.created();
        this.ctx.log(`${this.label} ${writer.responseId}: successor of a steer, "${engineRequest.instruction}"`);
      }
    } catch (error) {
      if (this.transport.signal.aborted) {
        this.ctx.stats.abortedGenerations++;
        this.ctx.stats.lastAbortAt = Date.now();
      } else writer.failed('server_error', error instanceof Error ? error.message : String(error));
    } finally {
      this.ctx.stats.activeGenerations--;
    }
  }

  /** The items of one answer, in the order a model of that shape streams them. */
  private async segments(request: EngineRequest, shape: OutputShape, signal: AbortSignal, fault: Fault): Promise<Segment[]> {
    if (shape === 'refusal') return [{ open: (w) => w.openMessage(undefined, 'refusal'), text: "I'm sorry, but I can't help with that request." }];
    const pieces: EnginePiece[] = [];
    for await (const piece of this.ctx.engine.generate(request, signal)) pieces.push(piece);
    const text = fault.kind === 'bad_patch' && request.format === 'patch' ? corruptPatchContext(textOf(pieces)) : textOf(pieces);
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
    const signal = this.transport.signal;
    const writer = active.writer;
    const onWake = (wake: () => void): void => {
      active.wake = wake;
    };
    let sent = 0;
    const noteToken = (): void => {
      if (sent++ === 0) this.ctx.stats.lastFirstTokenAt = Date.now();
      this.ctx.stats.tokensSent++;
      this.ctx.stats.lastTokenAt = Date.now();
    };
    /** Applies a fault due before token `sent`; true when the response is over. */
    const injectFault = async (): Promise<boolean> => {
      if (fault.kind === 'none' || !('after' in fault) || fault.after !== sent) return false;
      switch (fault.kind) {
        case 'drop':
          this.transport.drop();
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
      // A live engine streams text and tool calls at its own speed; each tool call becomes a function_call item.
      let message: OpenItem | undefined;
      const calls = new Map<number, OpenItem>();
      for await (const piece of this.ctx.engine.generate(request, signal)) {
        if (signal.aborted) return 'aborted';
        if (await injectFault()) return 'ended';
        if (typeof piece === 'string') {
          message ??= writer.openMessage(undefined);
          writer.delta(message, piece);
        } else {
          const { index, id, name, arguments: args } = piece.toolCall;
          let call = calls.get(index);
          if (!call) {
            call = writer.openFunctionCall(id ?? newId('call'), name ?? '');
            calls.set(index, call);
          }
          if (args) writer.delta(call, args);
        }
        noteToken();
      }
      return signal.aborted ? 'aborted' : 'done';
    }

    const segments = await this.segments(request, shape, signal, fault);
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
        noteToken();
      }
      if (sent < total) {
        const wait = Math.max(0, pacer.dueAt(sent) - performance.now()) + (timing.jitterMs > 0 ? Math.random() * timing.jitterMs : 0);
        await sleep(wait, signal, onWake);
      }
    }
  }
}
