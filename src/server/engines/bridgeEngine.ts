import type { Engine, EngineRequest } from './engine';

export interface BridgeOptions {
  /** Base URL of an OpenAI-compatible HTTP API, e.g. http://127.0.0.1:8080/v1 */
  readonly baseUrl: string;
  readonly model: string | undefined;
  readonly apiKey: string | undefined;
  readonly fetch?: typeof fetch;
}

interface ChatChunk {
  choices?: { delta?: { content?: string | null } }[];
  error?: { message?: string };
}

/**
 * Bridges to any OpenAI-compatible Chat Completions endpoint (llama.cpp
 * server, Ollama, vLLM, Cerebras Cloud) by streaming SSE and handing each
 * content delta on. Aborting the signal (the client closed its socket) aborts
 * the HTTP request, so the backend stops generating too.
 */
export function createBridgeEngine(options: BridgeOptions): Engine {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    name: 'bridge',
    paced: false,
    async *generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<string> {
      const messages = [
        ...(request.instructions ? [{ role: 'system', content: request.instructions }] : []),
        ...request.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.text })),
      ];
      const response = await doFetch(url, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: options.model ?? request.model, messages, stream: true }),
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
          const content = chunk.choices?.[0]?.delta?.content;
          if (content) yield content;
        }
      }
    },
  };
}
