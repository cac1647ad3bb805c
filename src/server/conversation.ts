import { partsText, type ResponseCreate } from '../core/protocol/clientEvents';
import type { ResponseOutputItem } from 'openai/resources/responses/responses';

/**
 * A conversation as the service keeps it: every input and output item of a
 * chain of responses, oldest first. A continued response (previous_response_id)
 * carries its predecessor's items, so a prewarm's prompt (`generate: false`)
 * reaches the model of the turn that continues it.
 */
export type ConversationItem =
  | { readonly kind: 'message'; readonly role: string; readonly text: string }
  | { readonly kind: 'function_call'; readonly callId: string; readonly name: string; readonly arguments: string }
  | { readonly kind: 'function_call_output'; readonly callId: string; readonly output: string };


/** The items of a request's input; reasoning and other items the model wrote itself carry no text to replay. */
export function inputItems(input: ResponseCreate['input']): ConversationItem[] {
  if (input === null || input === undefined) return [];
  if (typeof input === 'string') return [{ kind: 'message', role: 'user', text: input }];
  const items: ConversationItem[] = [];
  for (const item of input) {
    const type = item.type ?? 'message';
    if (type === 'function_call' || type === 'custom_tool_call') {
      items.push({ kind: 'function_call', callId: item.call_id ?? '', name: item.name ?? '', arguments: item.arguments ?? '' });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      items.push({ kind: 'function_call_output', callId: item.call_id ?? '', output: partsText(item.output) });
    } else if (type === 'message') {
      items.push({ kind: 'message', role: item.role ?? 'user', text: partsText(item.content) });
    }
  }
  return items;
}

/** The items a response produced (its reasoning summaries are not replayed, as the service does not replay them). */
export function outputItems(output: readonly ResponseOutputItem[]): ConversationItem[] {
  const items: ConversationItem[] = [];
  for (const item of output) {
    if (item.type === 'message') {
      const text = item.content.map((c) => (c.type === 'output_text' ? c.text : c.refusal)).join('');
      items.push({ kind: 'message', role: 'assistant', text });
    } else if (item.type === 'function_call') {
      items.push({ kind: 'function_call', callId: item.call_id, name: item.name, arguments: item.arguments });
    }
  }
  return items;
}

/** The text a model reads of a conversation (for usage counting and the prompt cache). */
export function conversationText(instructions: string | null | undefined, items: readonly ConversationItem[]): string {
  const parts = items.map((i) => (i.kind === 'message' ? i.text : i.kind === 'function_call' ? `${i.name}(${i.arguments})` : i.output));
  return [instructions ?? '', ...parts].join('\n');
}

/**
 * Responses kept for `previous_response_id`, newest last, at most `limit`
 * (least recently used goes first). Holds what `store: true` keeps across
 * connections and requests; the WebSocket mode's connection-local latest
 * response is kept by the connection itself.
 */
export class ResponseStore {
  private readonly conversations = new Map<string, readonly ConversationItem[]>();

  constructor(private readonly limit = 256) {}

  get(responseId: string): readonly ConversationItem[] | undefined {
    const items = this.conversations.get(responseId);
    if (items === undefined) return undefined;
    this.conversations.delete(responseId);
    this.conversations.set(responseId, items);
    return items;
  }

  put(responseId: string, items: readonly ConversationItem[]): void {
    this.conversations.delete(responseId);
    this.conversations.set(responseId, items);
    while (this.conversations.size > this.limit) this.conversations.delete(this.conversations.keys().next().value!);
  }
}
