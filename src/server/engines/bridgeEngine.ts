import type { ConversationItem } from '../conversation';
import type { Engine, EnginePiece, EngineRequest, FunctionToolSpec } from './engine';

export interface BridgeOptions {
  /** Base URL of an OpenAI-compatible HTTP API, e.g. http://127.0.0.1:8080/v1 */
  readonly baseUrl: string;
  readonly model: string | undefined;
  readonly apiKey: string | undefined;
  readonly fetch?: typeof fetch;
}

interface ChatToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatChunk {
  choices?: { delta?: { content?: string | null; tool_calls?: ChatToolCallDelta[] } }[];
  error?: { message?: string };
}

type ChatToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };
type ChatMessage =
  | { role: string; content: string }
  | { role: 'assistant'; content: string | null; tool_calls: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/**
 * The whole conversation as Chat Completions messages: developer turns become
 * system turns, a run of function calls becomes one assistant turn with its
 * tool_calls (joined to the assistant text just before it), and each
 * function output a tool turn.
 */
export function chatMessages(instructions: string | undefined, conversation: readonly ConversationItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  for (const item of conversation) {
    if (item.kind === 'message') {
      messages.push({ role: item.role === 'developer' ? 'system' : item.role, content: item.text });
    } else if (item.kind === 'function_call_output') {
      messages.push({ role: 'tool', tool_call_id: item.callId, content: item.output });
    } else {
      const call: ChatToolCall = { id: item.callId, type: 'function', function: { name: item.name, arguments: item.arguments } };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && 'tool_calls' in last) last.tool_calls.push(call);
      else if (last?.role === 'assistant' && !('tool_call_id' in last)) messages[messages.length - 1] = { role: 'assistant', content: last.content, tool_calls: [call] };
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    }
  }
  return messages;
}

const chatTools = (tools: readonly FunctionToolSpec[]): unknown[] =>
  tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters ?? { type: 'object', properties: {} } } }));

/**
 * Bridges to any OpenAI-compatible Chat Completions endpoint (llama.cpp
 * server, Ollama, vLLM, Cerebras Cloud) by streaming SSE and handing each
 * content delta and tool-call piece on. The backend gets the whole
 * conversation and the request's function tools. Aborting the signal (the client closed its socket) aborts
 * the HTTP request, so the backend stops generating too.
 */
export function createBridgeEngine(options: BridgeOptions): Engine {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    name: 'bridge',
    paced: false,
    async *generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EnginePiece> {
      const messages = chatMessages(request.instructions, request.conversation);
      const tools = request.tools.length > 0 ? { tools: chatTools(request.tools) } : {};
      const response = await doFetch(url, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: options.model ?? request.model, messages, ...tools, stream: true }),
      });
      if (!response.ok || !response.body) {
        const detail = await response.text().catch(() => '');
        throw new Error(`backend answered HTTP ${response.status}${detail ? `: ${detail.slice(0, 200)}` : ''}`);
      }
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(bytes, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') return;
          let chunk: ChatChunk;
          try {
            chunk = JSON.parse(data) as ChatChunk;
          } catch {
            throw new Error(`backend sent an SSE event that is not JSON: ${data.slice(0, 80)}`);
          }
          if (chunk.error) throw new Error(`backend error: ${chunk.error.message ?? 'unknown'}`);
          const delta = chunk.choices?.[0]?.delta;
          if (delta?.content) yield delta.content;
          for (const call of delta?.tool_calls ?? []) {
            yield { toolCall: { index: call.index ?? 0, ...(call.id ? { id: call.id } : {}), ...(call.function?.name ? { name: call.function.name } : {}), ...(call.function?.arguments ? { arguments: call.function.arguments } : {}) } };
          }
        }
      }
    },
  };
}
