import { randomBytes } from 'node:crypto';
import { encodeServerEvent } from '../core/protocol/codec';
import type { KnownServerEvent } from '../core/protocol/serverEvents';

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * Writes one response's events in protocol order with a running
 * sequence_number; the ids tie every part event to its item.
 */
export class ResponseEventWriter {
  readonly responseId = newId('resp');
  readonly itemId = newId('msg');
  private sequence = 0;
  private text = '';
  outputTokens = 0;

  constructor(
    private readonly send: (frame: string) => void,
    private readonly model: string,
  ) {}

  private emit(event: KnownServerEvent): void {
    this.send(encodeServerEvent(event));
  }

  private next(): number {
    return this.sequence++;
  }

  private response(status: 'in_progress' | 'completed' | 'failed' | 'incomplete', extra: Record<string, unknown> = {}) {
    return { id: this.responseId, object: 'response' as const, status, model: this.model, ...extra };
  }

  created(): void {
    this.emit({ type: 'response.created', sequence_number: this.next(), response: this.response('in_progress') });
    this.emit({ type: 'response.in_progress', sequence_number: this.next(), response: this.response('in_progress') });
  }

  openItem(): void {
    this.emit({ type: 'response.output_item.added', sequence_number: this.next(), output_index: 0, item: { id: this.itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    this.emit({ type: 'response.content_part.added', sequence_number: this.next(), item_id: this.itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
  }

  delta(text: string): void {
    this.text += text;
    this.outputTokens++;
    this.emit({ type: 'response.output_text.delta', sequence_number: this.next(), item_id: this.itemId, output_index: 0, content_index: 0, delta: text });
  }

  /** Closes the item and ends with response.completed. */
  complete(inputTokens: number): void {
    this.closeItem('completed');
    this.emit({
      type: 'response.completed',
      sequence_number: this.next(),
      response: this.response('completed', { usage: { input_tokens: inputTokens, output_tokens: this.outputTokens, total_tokens: inputTokens + this.outputTokens } }),
    });
  }

  /** Ends without output (generate: false). */
  completeEmpty(inputTokens: number): void {
    this.emit({ type: 'response.completed', sequence_number: this.next(), response: this.response('completed', { output: [], usage: { input_tokens: inputTokens, output_tokens: 0, total_tokens: inputTokens } }) });
  }

  failed(code: string, message: string): void {
    this.emit({ type: 'response.failed', sequence_number: this.next(), response: this.response('failed', { error: { code, message } }) });
  }

  incomplete(reason: string): void {
    this.closeItem('incomplete');
    this.emit({ type: 'response.incomplete', sequence_number: this.next(), response: this.response('incomplete', { incomplete_details: { reason } }) });
  }

  error(status: number, type: string, code: string, message: string, param: string | null = null): void {
    this.emit({ type: 'error', status, sequence_number: this.next(), error: { type, code, message, param } });
  }

  private closeItem(status: string): void {
    this.emit({ type: 'response.output_text.done', sequence_number: this.next(), item_id: this.itemId, output_index: 0, content_index: 0, text: this.text });
    this.emit({ type: 'response.content_part.done', sequence_number: this.next(), item_id: this.itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: this.text, annotations: [] } });
    this.emit({ type: 'response.output_item.done', sequence_number: this.next(), output_index: 0, item: { id: this.itemId, type: 'message', status, role: 'assistant' } });
  }
}

/** An `error` event outside any response (bad request, auth, limits). */
export function errorFrame(status: number, type: string, code: string, message: string, param: string | null = null): string {
  return encodeServerEvent({ type: 'error', status, error: { type, code, message, param } });
}
