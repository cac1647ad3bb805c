import { randomBytes } from 'node:crypto';
// Types only (erased from the bundle): every frame the server writes is checked against the official SDK's types at compile time.
import type { InputUsage } from './promptCache';
import type { ResponseCreate } from '../core/protocol/clientEvents';
import type { DecodeError } from '../core/protocol/codec';
import type {
  Response,
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  ResponsesServerEvent,
  ResponseSteerErrorCode,
} from 'openai/resources/responses/responses';

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Request fields a response echoes. */
export interface ResponseEcho {
  readonly model: string;
  readonly instructions: string | null;
  readonly metadata: Record<string, string> | null;
  readonly previousResponseId: string | null;
  readonly streamId: string | undefined;
  /** The request's settings as the service echoes them (its defaults where the request said nothing). */
  readonly settings: EchoedSettings;
}

/** The settings every Response states, and those it states when asked. */
type EchoedSettings = Pick<Response, 'tools' | 'tool_choice' | 'parallel_tool_calls' | 'temperature' | 'top_p'> & Partial<Response>;

/** What a response says of the request's settings: what was asked, else the service's default. */
export function settingsEcho(request: ResponseCreate): EchoedSettings {
  return {
    // The request's tools and tool choice were parsed leniently (any tool type passes); they are echoed exactly as given.
    tools: (request.tools ?? []) as Response['tools'],
    tool_choice: (request.tool_choice ?? 'auto') as Response['tool_choice'],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    temperature: request.temperature ?? 1,
    top_p: request.top_p ?? 1,
    max_output_tokens: request.max_output_tokens ?? null,
    reasoning: { effort: (request.reasoning?.effort ?? null) as NonNullable<Response['reasoning']>['effort'], summary: (request.reasoning?.summary ?? null) as NonNullable<Response['reasoning']>['summary'] },
    text: request.text ?? { format: { type: 'text' }, verbosity: 'medium' },
    truncation: request.truncation ?? 'disabled',
    store: request.store ?? true,
    prompt_cache_key: request.prompt_cache_key ?? null,
    ...(request.user ? { user: request.user } : {}),
    // `store` is echoed by the service but missing from the SDK's Response type: the cast admits it.
  } as EchoedSettings;
}

type Phase = 'commentary' | 'final_answer' | undefined;

/** An output item being written: a message (text or refusal), a reasoning summary, or a function call (its arguments in `text`). */
export interface OpenItem {
  readonly id: string;
  readonly index: number;
  readonly kind: 'text' | 'refusal' | 'reasoning' | 'function_call';
  readonly phase: Phase;
  text: string;
  readonly call?: { readonly callId: string; readonly name: string };
}

/**
 * Writes one response's events in protocol order with a running
 * `sequence_number`, the lane's `stream_id` on every event, and complete
 * `Response` objects (the SDK's required fields, output so far, usage).
 */
export class ResponseEventWriter {
  readonly responseId = newId('resp');
  private sequence = 0;
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly output: ResponseOutputItem[] = [];
  private readonly open = new Map<string, OpenItem>();
  outputTokens = 0;

  constructor(
    private readonly send: (frame: string) => void,
    private readonly echo: ResponseEcho,
  ) {}

  private emit(event: ResponsesServerEvent): void {
    const laned = this.echo.streamId !== undefined ? { ...event, stream_id: this.echo.streamId } : event;
    this.send(JSON.stringify(laned));
  }

  private next(): number {
    return this.sequence++;
  }

  /** The response object as it stands. */
  response(status: 'in_progress' | 'completed' | 'failed' | 'incomplete', extra: Partial<Response> = {}): Response {
    const finalText = this.output
      .filter((i): i is ResponseOutputMessage => i.type === 'message' && i.phase !== 'commentary')
      .flatMap((m) => m.content)
      .map((c) => (c.type === 'output_text' ? c.text : ''))
      .join('');
    return {
      id: this.responseId,
      object: 'response',
      created_at: this.createdAt,
      status,
      model: this.echo.model,
      output: [...this.output],
      output_text: finalText,
      error: null,
      incomplete_details: null,
      instructions: this.echo.instructions,
      metadata: this.echo.metadata,
      previous_response_id: this.echo.previousResponseId,
      access_programs: null,
      ...this.echo.settings,
      usage: undefined,
      ...extra,
    };
  }

  created(): void {
    this.emit({ type: 'response.created', sequence_number: this.next(), response: this.response('in_progress') });
    this.emit({ type: 'response.in_progress', sequence_number: this.next(), response: this.response('in_progress') });
  }

  /** Opens a message whose content is output text (`phase` as a Codex model labels it) or a refusal. */
  openMessage(phase: Phase, content: 'text' | 'refusal' = 'text'): OpenItem {
    const item: OpenItem = { id: newId('msg'), index: this.output.length + this.open.size, kind: content, phase, text: '' };
    this.open.set(item.id, item);
    const added: ResponseOutputMessage = { id: item.id, type: 'message', role: 'assistant', status: 'in_progress', content: [], ...(phase ? { phase } : {}) };
    this.emit({ type: 'response.output_item.added', sequence_number: this.next(), output_index: item.index, item: added });
    const part = content === 'text' ? { type: 'output_text' as const, text: '', annotations: [], logprobs: [] } : { type: 'refusal' as const, refusal: '' };
    this.emit({ type: 'response.content_part.added', sequence_number: this.next(), item_id: item.id, output_index: item.index, content_index: 0, part });
    return item;
  }

  openReasoning(): OpenItem {
    const item: OpenItem = { id: newId('rs'), index: this.output.length + this.open.size, kind: 'reasoning', phase: undefined, text: '' };
    this.open.set(item.id, item);
    const added: ResponseReasoningItem = { id: item.id, type: 'reasoning', summary: [], status: 'in_progress' };
    this.emit({ type: 'response.output_item.added', sequence_number: this.next(), output_index: item.index, item: added });
    this.emit({ type: 'response.reasoning_summary_part.added', sequence_number: this.next(), item_id: item.id, output_index: item.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    return item;
  }

  /** Opens a function call the model is making; its arguments stream as deltas. */
  openFunctionCall(callId: string, name: string): OpenItem {
    const item: OpenItem = { id: newId('fc'), index: this.output.length + this.open.size, kind: 'function_call', phase: undefined, text: '', call: { callId, name } };
    this.open.set(item.id, item);
    const added: ResponseFunctionToolCall = { id: item.id, type: 'function_call', call_id: callId, name, arguments: '', status: 'in_progress' };
    this.emit({ type: 'response.output_item.added', sequence_number: this.next(), output_index: item.index, item: added });
    return item;
  }

  /** The items completed so far, in output order. */
  outputItems(): readonly ResponseOutputItem[] {
    return this.output;
  }

  /** One delta of an open item (a token of code, commentary, reasoning summary, refusal or function arguments). */
  delta(item: OpenItem, text: string): void {
    item.text += text;
    this.outputTokens++;
    const ref = { sequence_number: this.next(), item_id: item.id, output_index: item.index };
    if (item.kind === 'text') this.emit({ type: 'response.output_text.delta', ...ref, content_index: 0, delta: text, logprobs: [] });
    else if (item.kind === 'refusal') this.emit({ type: 'response.refusal.delta', ...ref, content_index: 0, delta: text });
    else if (item.kind === 'function_call') this.emit({ type: 'response.function_call_arguments.delta', ...ref, delta: text });
    else this.emit({ type: 'response.reasoning_summary_text.delta', ...ref, summary_index: 0, delta: text });
  }

  closeItem(item: OpenItem, status: 'completed' | 'incomplete'): void {
    if (!this.open.delete(item.id)) return;
    const ref = { item_id: item.id, output_index: item.index };
    let done: ResponseOutputItem;
    if (item.kind === 'function_call') {
      this.emit({ type: 'response.function_call_arguments.done', sequence_number: this.next(), ...ref, arguments: item.text });
      done = { id: item.id, type: 'function_call', call_id: item.call!.callId, name: item.call!.name, arguments: item.text, status };
    } else if (item.kind === 'reasoning') {
      const summary = { type: 'summary_text' as const, text: item.text };
      this.emit({ type: 'response.reasoning_summary_text.done', sequence_number: this.next(), ...ref, summary_index: 0, text: item.text });
      this.emit({ type: 'response.reasoning_summary_part.done', sequence_number: this.next(), ...ref, summary_index: 0, part: summary });
      done = { id: item.id, type: 'reasoning', summary: [summary], status };
    } else {
      const part = item.kind === 'text' ? { type: 'output_text' as const, text: item.text, annotations: [], logprobs: [] } : { type: 'refusal' as const, refusal: item.text };
      if (item.kind === 'text') this.emit({ type: 'response.output_text.done', sequence_number: this.next(), ...ref, content_index: 0, text: item.text, logprobs: [] });
      else this.emit({ type: 'response.refusal.done', sequence_number: this.next(), ...ref, content_index: 0, refusal: item.text });
      this.emit({ type: 'response.content_part.done', sequence_number: this.next(), ...ref, content_index: 0, part });
      done = { id: item.id, type: 'message', role: 'assistant', status, content: [part], ...(item.phase ? { phase: item.phase } : {}) };
    }
    this.output.push(done);
    this.emit({ type: 'response.output_item.done', sequence_number: this.next(), output_index: item.index, item: done });
  }

  private closeAll(status: 'completed' | 'incomplete'): void {
    for (const item of [...this.open.values()]) this.closeItem(item, status);
  }

  private usage({ inputTokens, cachedTokens }: InputUsage): Response['usage'] {
    return {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: cachedTokens, cache_write_tokens: 0 },
      output_tokens: this.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + this.outputTokens,
    };
  }

  /** Closes open items and ends with response.completed. */
  complete(input: InputUsage): void {
    this.closeAll('completed');
    this.emit({ type: 'response.completed', sequence_number: this.next(), response: this.response('completed', { usage: this.usage(input), completed_at: Math.floor(Date.now() / 1000) }) });
  }

  failed(code: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt', message: string): void {
    this.emit({ type: 'response.failed', sequence_number: this.next(), response: this.response('failed', { error: { code, message } }) });
  }

  /** Ends early; `steered` when a steer cut it at a token boundary. */
  incomplete(reason: 'max_output_tokens' | 'content_filter' | 'steered', input: InputUsage): void {
    this.closeAll('incomplete');
    this.emit({ type: 'response.incomplete', sequence_number: this.next(), response: this.response('incomplete', { incomplete_details: { reason }, usage: this.usage(input) }) });
  }

  /** The nested error shape (`ResponseWsError`). */
  error(status: number, type: string, code: string, message: string, param: string | null = null): void {
    this.emit({ type: 'error', status, sequence_number: this.next(), error: { type, code, message, param } });
  }

  /** The flat streaming error shape (`ResponseWsStreamingError`). */
  flatError(code: string, message: string): void {
    this.emit({ type: 'error', sequence_number: this.next(), code, message, param: null });
  }

  steerAccepted(steerId: string): void {
    this.emit({ type: 'response.steer.accepted', sequence_number: this.next(), steer: { id: steerId, previous_response_id: this.responseId } });
  }
}

/** Official `invalid_request_error` codes for a request the server cannot take. */
export function errorCodeFor(e: DecodeError & { missing?: boolean }): string {
  if (e.kind === 'malformed_json') return 'invalid_json';
  if (e.kind === 'oversized') return 'payload_too_large';
  return e.missing ? 'missing_required_parameter' : 'invalid_value';
}

/** The parameter a decode error names, when it names one. */
export function paramOf(e: DecodeError): string | null {
  return 'param' in e && typeof e.param === 'string' && e.param ? e.param : null;
}

/** An `error` event outside any response (bad request, auth, limits). */
export function errorFrame(status: number, type: string, code: string, message: string, param: string | null = null): string {
  const event: ResponsesServerEvent = { type: 'error', status, error: { type, code, message, param } };
  return JSON.stringify(event);
}

/** `response.steer.failed`, returning the input uncommitted. */
export function steerFailedFrame(
  code: ResponseSteerErrorCode,
  message: string,
  steer: { previous_response_id: string; input: Extract<ResponsesServerEvent, { type: 'response.steer.failed' }>['steer']['input']; id?: string },
  sequence: number,
  streamId?: string,
): string {
  const event: ResponsesServerEvent = {
    type: 'response.steer.failed',
    sequence_number: sequence,
    error: { type: 'invalid_request_error', code, message },
    steer,
    ...(streamId !== undefined ? { stream_id: streamId } : {}),
  };
  return JSON.stringify(event);
}
