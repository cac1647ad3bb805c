import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ResponsesServerEvent } from 'openai/resources/responses/responses';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { SparkServer } from '../../../src/server/server';
import { understandPrompt } from '../../../src/server/request';
import { useReferenceServers } from '../support/referenceServers';

/*
 * The official SDK's HTTP client (`client.responses.create`, streaming and
 * not) against the reference server, and the conversation a continued
 * response carries to a bridge backend. The oracle is code we did not write.
 */

const { cleanups, serve } = useReferenceServers(50_000);

const sdk = (server: SparkServer, apiKey = 'sk-test-not-a-real-key'): OpenAI => new OpenAI({ apiKey, baseURL: server.httpBaseUrl, maxRetries: 0 });

const FUNCTION = 'function add(a, b) {\n  return a + b;\n}\n';
const ARROW = 'const add = (a, b) => {\n  return a + b;\n}\n';

describe('the official SDK over HTTP against the reference server', () => {
  it('stream: false returns the completed Response, echoing what was asked', async () => {
    const server = await serve();
    const tools = [{ type: 'function' as const, name: 'read_file', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } } }, strict: false }];
    const asked = {
      instructions: 'You rewrite code.',
      tools,
      tool_choice: 'none' as const,
      parallel_tool_calls: false,
      reasoning: { effort: 'low' as const },
      text: { verbosity: 'low' as const },
      store: false,
      metadata: { ticket: 'T-1' },
      temperature: 0.2,
    };
    const response = await sdk(server).responses.create({ model: 'gpt-5.3-codex-spark', input: `Instruction: convert to arrow functions\n${FUNCTION}`, ...asked });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5.3-codex-spark', output_text: ARROW, ...asked });
    expect(response.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: ARROW, logprobs: [] }] });
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
  });

  it('stream: true sends exactly the WebSocket events as server-sent events', async () => {
    const server = await serve();
    const stream = await sdk(server).responses.create({ model: 'm', input: `Instruction: convert to arrow functions\n${FUNCTION}`, stream: true });
    const events: ResponsesServerEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe(ARROW);
    expect(events.find((e) => e.type === 'response.content_part.added')).toMatchObject({ part: { type: 'output_text', text: '', logprobs: [] } });

    // The same request over the WebSocket mode: the same event types in the same order.
    const ws = new ResponsesWS(new OpenAI({ apiKey: 'k', baseURL: server.httpBaseUrl }));
    cleanups.push(() => ws.close({ code: 1000, reason: 'test over' }));
    const wsTypes: string[] = [];
    const completed = new Promise<void>((resolve) =>
      ws.on('event', (e: ResponsesServerEvent) => {
        wsTypes.push(e.type);
        if (e.type === 'response.completed') resolve();
      }),
    );
    ws.send({ type: 'response.create', model: 'm', input: `Instruction: convert to arrow functions\n${FUNCTION}` });
    await completed;
    expect(wsTypes).toEqual(types);
  });

  it('the SDK stream helper (responses.stream) reads the final response', async () => {
    const server = await serve();
    const final = await sdk(server).responses.stream({ model: 'm', input: 'Instruction: uppercase\nabc\n' }).finalResponse();
    expect(final.output_text).toBe('ABC\n');
  });

  it('errors come in the official shape with the right status', async () => {
    const server = await serve({ apiKey: 'sk-right', maxPayloadBytes: 4_096 });
    const client = sdk(server, 'sk-right');
    const failure = async (call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
      return error;
    };
    const wrongKey = await failure(sdk(server, 'sk-wrong').responses.create({ model: 'm', input: 'x' }));
    expect(wrongKey).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrongKey).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error', param: null });
    expect(server.stats.handshakesRefused).toBe(1);

    const noModel = await failure(client.post('/responses', { body: { input: 'x' } }));
    expect(noModel).toMatchObject({ status: 400, code: 'missing_required_parameter', type: 'invalid_request_error', param: 'model' });

    const unknownPrevious = await failure(client.responses.create({ model: 'm', input: 'x', previous_response_id: 'resp_nope' }));
    expect(unknownPrevious).toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
    const unknownPreviousStreamed = await failure(client.responses.create({ model: 'm', input: 'x', previous_response_id: 'resp_nope', stream: true }));
    expect(unknownPreviousStreamed).toMatchObject({ status: 400, code: 'previous_response_not_found' });

    const tooLarge = await failure(client.responses.create({ model: 'm', input: 'x'.repeat(10_000) }));
    expect(tooLarge).toMatchObject({ status: 413, code: 'payload_too_large' });

    const injected = await failure(client.responses.create({ model: 'm', input: 'Instruction: uppercase\nabc\n', metadata: { spark_fault: 'error:1' } }));
    expect(injected).toBeInstanceOf(OpenAI.InternalServerError);
    expect(injected).toMatchObject({ status: 500, code: 'server_error', type: 'server_error' });

    const badJson = await fetch(`${server.httpBaseUrl}/responses`, { method: 'POST', headers: { authorization: 'Bearer sk-right' }, body: '{"model":' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json', param: null } });
    const notFound = await fetch(`${server.httpBaseUrl}/nothing-here`);
    expect(notFound.status).toBe(404);
    const notFoundBody = (await notFound.json()) as { error: { message: string } };
    expect(notFoundBody).toMatchObject({ error: { type: 'invalid_request_error', code: null, param: null } });
    expect(notFoundBody.error.message).toContain('/v1/nothing-here');
    const get = await fetch(`${server.httpBaseUrl}/responses`, { headers: { authorization: 'Bearer sk-right' } });
    expect(get.status).toBe(405);
  });

  it('a streamed error mid-response arrives as the SDK error it stands for', async () => {
    const server = await serve();
    const stream = await sdk(server).responses.create({ model: 'm', input: 'Instruction: uppercase\nabcdefghijkl\n', stream: true, metadata: { spark_fault: 'error:1', spark_token_chars: '1' } });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(seen).toContain('response.output_text.delta');
  });

  it('continues a stored response over HTTP; store: false keeps nothing to continue', async () => {
    const server = await serve();
    const client = sdk(server);
    const first = await client.responses.create({ model: 'm', input: 'Instruction: uppercase\nabc\n' });
    expect(first).toMatchObject({ store: true });
    const second = await client.responses.create({ model: 'm', input: 'Instruction: reverse lines\nx\ny\n', previous_response_id: first.id });
    expect(second).toMatchObject({ previous_response_id: first.id, output_text: 'y\nx\n' });
    // The whole context counts: the continuation's input includes the first exchange.
    const alone = await client.responses.create({ model: 'm', input: 'Instruction: reverse lines\nx\ny\n' });
    expect(second.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens);

    const unstored = await client.responses.create({ model: 'm', input: 'Instruction: uppercase\nabc\n', store: false });
    await expect(client.responses.create({ model: 'm', input: 'x', previous_response_id: unstored.id })).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found' });
  });

  it('a prompt as a person writes it ("Convert to an arrow function:" and the code) is served', async () => {
    const server = await serve();
    const response = await sdk(server).responses.create({ model: 'm', input: `Convert to an arrow function:\n${FUNCTION}` });
    expect(response.output_text).toBe(ARROW);
    expect(understandPrompt(`Please uppercase this\n${FUNCTION}`)).toMatchObject({ instruction: 'Please uppercase this', region: FUNCTION });
    // Code alone is not mistaken for an instruction.
    expect(understandPrompt(FUNCTION).region).toBeUndefined();
  });

  it('lists its model at GET /v1/models', async () => {
    const server = await serve();
    const models = await sdk(server).models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-5.3-codex-spark');
  });
});

/** A fake Chat Completions backend that records every body it gets and answers with the given chunks. */
function useFakeBackend(): { start: (chunks: (body: BackendBody) => unknown[]) => Promise<string>; bodies: BackendBody[] } {
  let backend: Server | undefined;
  const bodies: BackendBody[] = [];
  afterEach(async () => {
    bodies.length = 0;
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
    backend = undefined;
  });
  return {
    bodies,
    start: async (chunks) => {
      backend = createServer((req: IncomingMessage, res: ServerResponse) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          const body = JSON.parse(raw) as BackendBody;
          bodies.push(body);
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const chunk of chunks(body)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          res.end('data: [DONE]\n\n');
        });
      });
      await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', () => r()));
      return `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
    },
  };
}

interface BackendBody {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[];
}

describe('conversation state through the bridge', () => {
  const backend = useFakeBackend();
  const BASE_PROMPT = 'You are a coding agent. '.repeat(700);
  const tools = [{ type: 'function' as const, name: 'shell', description: 'Runs a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false }];

  it('a WebSocket continuation of a generate:false prewarm reaches the backend whole: the base prompt, the tools, the new turn', async () => {
    const url = await backend.start(() => [{ choices: [{ delta: { content: 'done' } }] }]);
    const server = await serve({ backend: url });
    const ws = new ResponsesWS(new OpenAI({ apiKey: 'k', baseURL: server.httpBaseUrl }));
    cleanups.push(() => ws.close({ code: 1000, reason: 'test over' }));
    const completed: Extract<ResponsesServerEvent, { type: 'response.completed' }>[] = [];
    const waiters: (() => void)[] = [];
    ws.on('event', (e: ResponsesServerEvent) => {
      if (e.type === 'response.completed') {
        completed.push(e);
        waiters.shift()?.();
      }
    });
    const next = (): Promise<void> => new Promise((r) => waiters.push(r));
    let done = next();
    ws.send({ type: 'response.create', model: 'm', instructions: 'Be brief.', input: [{ role: 'developer', content: BASE_PROMPT }], tools, store: false, generate: false });
    await done;
    const prewarm = completed[0]!.response;
    done = next();
    ws.send({ type: 'response.create', model: 'm', instructions: 'Be brief.', input: [{ role: 'user', content: 'list the files' }], tools, store: false, previous_response_id: prewarm.id });
    await done;
    const turn = completed[1]!.response;

    expect(backend.bodies).toHaveLength(1);
    const sent = backend.bodies[0]!;
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'system', 'user']);
    expect(sent.messages[1]!.content).toBe(BASE_PROMPT);
    expect(sent.messages[2]!.content).toBe('list the files');
    expect(sent.tools).toEqual([{ type: 'function', function: { name: 'shell', description: 'Runs a command', parameters: tools[0]!.parameters } }]);
    // Usage counts the whole context, the prewarm's prompt included.
    expect(turn.usage!.input_tokens).toBeGreaterThan(prewarm.usage!.input_tokens);
    expect(turn.output_text).toBe('done');
  });

  it('tool calls come back as function_call items, and their outputs go back to the backend as tool turns', async () => {
    const url = await backend.start((body) =>
      body.messages.at(-1)!.role === 'tool'
        ? [{ choices: [{ delta: { content: 'README.md' } }] }]
        : [
            { choices: [{ delta: { content: 'Looking.' } }] },
            { choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'shell', arguments: '{"cmd":' } }] } }] },
            { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] } }] },
          ],
    );
    const server = await serve({ backend: url });
    const client = sdk(server);
    const first = await client.responses.create({ model: 'm', input: 'list the files', tools });
    expect(first.output).toMatchObject([
      { type: 'message', content: [{ type: 'output_text', text: 'Looking.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'shell', arguments: '{"cmd":"ls"}', status: 'completed' },
    ]);
    const second = await client.responses.create({ model: 'm', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: 'call_1', output: 'README.md\n' }], tools });
    expect(second.output_text).toBe('README.md');
    const sent = backend.bodies[1]!;
    expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent.messages[1]).toMatchObject({ role: 'assistant', content: 'Looking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls"}' } }] });
    expect(sent.messages[2]).toMatchObject({ role: 'tool', tool_call_id: 'call_1', content: 'README.md\n' });
  });

  it('streams a tool call as function_call_arguments events over HTTP', async () => {
    const url = await backend.start(() => [
      { choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_9', function: { name: 'shell', arguments: '{"cmd":' } }] } }] },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '"pwd"}' } }] } }] },
    ]);
    const server = await serve({ backend: url });
    const stream = await sdk(server).responses.create({ model: 'm', input: 'where am I', tools, stream: true });
    const events: ResponsesServerEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ arguments: '{"cmd":"pwd"}' });
  });
});
