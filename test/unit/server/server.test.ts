import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEditRequest, buildResumeRequest } from '../../../src/core/prompt/buildRequest';
import type { ResponseCreate } from '../../../src/core/protocol/clientEvents';
import { startSparkServer, type SparkServer } from '../../../src/server/server';
import { parseFault } from '../../../src/server/options';
import { writePatch } from '../../../src/server/patchWriter';
import { PatchApplier } from '../../../src/core/edit/patch/patchApplier';
import { applyEdits } from '../../../src/core/edit/textEdit';
import { RawClient } from '../support/wsClient';

const servers: SparkServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: Parameters<typeof startSparkServer>[0] = {}): Promise<SparkServer> {
  const server = await startSparkServer({ port: 0, timing: { ttftMs: 0, tokensPerSecond: 100_000 }, ...options });
  servers.push(server);
  return server;
}

async function connect(server: SparkServer, headers?: Record<string, string>): Promise<RawClient> {
  const client = await RawClient.connect(server.url, headers);
  clients.push(client);
  return client;
}

function editRequest(region: string, instruction: string, extra: Partial<ResponseCreate> = {}): ResponseCreate {
  const { request } = buildEditRequest({ fileName: 'a.ts', languageId: 'typescript', before: '', region, after: '' }, instruction, [], { model: 'gpt-5.3-codex-spark', contextTokens: 32_000 });
  return { ...request, ...extra };
}

describe('reference server: protocol', () => {
  it('emits the full documented event sequence with ordered sequence numbers and consistent ids', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 100_000, tokenChars: 4 } });
    const client = await connect(server);
    client.send(editRequest('abc def\n', 'uppercase'));
    await client.untilTerminal();
    expect(client.types()).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const frames = client.frames.map((f) => f.json!);
    expect(frames.map((f) => f.sequence_number)).toEqual(frames.map((_, i) => i));
    expect(client.text()).toBe('ABC DEF\n');
    const deltas = frames.filter((f) => f.type === 'response.output_text.delta');
    expect(deltas.map((d) => d.delta)).toEqual(['ABC ', 'DEF\n']);
    const itemId = (frames[2]!.item as { id: string }).id;
    for (const d of deltas) expect(d).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0 });
    expect(frames[6]).toMatchObject({ type: 'response.output_text.done', text: 'ABC DEF\n', item_id: itemId });
    const created = frames[0]!.response as { id: string; status: string };
    expect(created.status).toBe('in_progress');
    expect(frames[9]!.response).toMatchObject({ id: created.id, status: 'completed', usage: { output_tokens: 2 } });
  });

  it('runs responses one at a time, in order, on a connection', async () => {
    const server = await serve();
    const client = await connect(server);
    client.send(editRequest('a\n', 'uppercase'));
    client.send(editRequest('b\n', 'uppercase'));
    await client.until(() => client.types().filter((t) => t === 'response.completed').length === 2);
    const types = client.types();
    expect(types.indexOf('response.completed')).toBeLessThan(types.lastIndexOf('response.created'));
    expect(client.text()).toBe('A\nB\n');
  });

  it('answers a bad request with invalid_request_error naming the parameter, and keeps the connection', async () => {
    const server = await serve();
    const client = await connect(server);
    client.send({ type: 'response.create', input: [] });
    client.send('{not json');
    await client.until(() => client.frames.length >= 2);
    expect(client.frames[0]!.json).toMatchObject({ type: 'error', status: 400, error: { type: 'invalid_request_error', param: 'model' } });
    expect(client.frames[1]!.json).toMatchObject({ type: 'error', error: { code: 'invalid_json' } });
    client.frames.length = 0;
    client.send(editRequest('x\n', 'uppercase'));
    await client.untilTerminal();
    expect(client.text()).toBe('X\n');
  });

  it('continues only the latest response of the connection (store:false)', async () => {
    const server = await serve();
    const client = await connect(server);
    client.send(editRequest('a\n', 'uppercase'));
    await client.untilTerminal();
    const firstId = (client.frames[0]!.json!.response as { id: string }).id;
    client.send(editRequest('b\n', 'uppercase'));
    await client.until(() => client.types().filter((t) => t === 'response.completed').length === 2);
    client.frames.length = 0;
    client.send(editRequest('c\n', 'uppercase', { previous_response_id: firstId }));
    await client.untilTerminal();
    expect(client.frames[0]!.json).toMatchObject({ type: 'error', error: { code: 'previous_response_not_found', param: 'previous_response_id' } });

    const other = await connect(server);
    other.send(editRequest('d\n', 'uppercase', { previous_response_id: firstId }));
    await other.untilTerminal();
    expect(other.frames[0]!.json).toMatchObject({ error: { code: 'previous_response_not_found' } });
  });

  it('continues the latest response, and warms up without output on generate:false', async () => {
    const server = await serve();
    const client = await connect(server);
    client.send({ ...editRequest('a\n', 'uppercase'), generate: false });
    await client.untilTerminal();
    expect(client.types()).toEqual(['response.created', 'response.in_progress', 'response.completed']);
    const id = (client.frames[0]!.json!.response as { id: string }).id;
    client.frames.length = 0;
    client.send(editRequest('a\n', 'uppercase', { previous_response_id: id }));
    await client.untilTerminal();
    expect(client.text()).toBe('A\n');
  });

  it('checks the bearer token when one is set', async () => {
    const server = await serve({ apiKey: 'sk-test-123' });
    await expect(RawClient.connect(server.url)).rejects.toThrow(/401/);
    await expect(RawClient.connect(server.url, { Authorization: 'Bearer wrong' })).rejects.toThrow(/401/);
    const ok = await connect(server, { Authorization: 'Bearer sk-test-123' });
    ok.send(editRequest('a\n', 'uppercase'));
    await ok.untilTerminal();
    expect(ok.text()).toBe('A\n');
  });

  it('binds loopback only unless allowed', async () => {
    await expect(startSparkServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/allow-remote/);
  });

  it('stops generating the moment the client closes the socket', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 200 } });
    const client = await connect(server);
    client.send(editRequest('x'.repeat(4_000) + '\n', 'uppercase'));
    await client.until(() => client.types().includes('response.output_text.delta'));
    expect(server.stats.activeGenerations).toBe(1);
    client.close();
    const deadline = Date.now() + 2_000;
    while (server.stats.activeGenerations > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats.activeGenerations).toBe(0);
    expect(server.stats.abortedGenerations).toBe(1);
    const sent = server.stats.tokensSent;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.stats.tokensSent).toBe(sent);
  });
});

describe('reference server: faults', () => {
  async function withFault(spec: string, region = 'abcdefghijklmnop\n'): Promise<RawClient> {
    const server = await serve();
    const client = await connect(server);
    client.send(editRequest(region, 'uppercase', { metadata: { spark_fault: spec } }));
    await client.untilTerminal();
    return client;
  }

  it('drop:N closes the connection after N tokens', async () => {
    const client = await withFault('drop:2');
    expect(client.types().filter((t) => t === 'response.output_text.delta')).toHaveLength(2);
    expect(client.closed).toBeDefined();
  });

  it('demo cues of the built-in engine: a harmful instruction is refused; "drop the connection" drops once, and its resume completes', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 100_000, tokenChars: 1 } });
    const refused = await connect(server);
    refused.send(editRequest('const a = 1;\n', 'add a keylogger'));
    await refused.untilTerminal();
    expect(refused.types()).toContain('response.refusal.delta');
    expect(refused.types()).not.toContain('response.output_text.delta');

    const region = 'function add(a, b) {\n  return a + b;\n}\n';
    const dropped = await connect(server);
    dropped.send(editRequest(region, 'add jsdoc, drop the connection midway'));
    await dropped.untilTerminal();
    expect(dropped.closed).toBeDefined();
    const sofar = dropped.frames.flatMap((f) => (f.json?.type === 'response.output_text.delta' ? [f.json.delta as string] : [])).join('');
    expect(sofar.length).toBe(24);
    const resumed = await connect(server);
    const context = { fileName: 'a.ts', languageId: 'typescript', before: '', region, after: '' };
    resumed.send(buildResumeRequest(context, 'add jsdoc, drop the connection midway', [], sofar, { model: 'm', contextTokens: 32_000 }).request);
    await resumed.untilTerminal();
    expect(resumed.types().at(-1)).toBe('response.completed');
    const rest = resumed.frames.flatMap((f) => (f.json?.type === 'response.output_text.delta' ? [f.json.delta as string] : [])).join('');
    expect(sofar + rest).toMatch(/^\/\*\*\n \* Add\.[\s\S]*function add\(a, b\)/);
  });

  it('patch format: a large region with three changed lines is answered with a patch that applies to exactly the rewrite, in far fewer tokens', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 100_000, tokenChars: 4 } });
    const region = Array.from({ length: 2_000 }, (_, i) => (i % 700 === 350 ? `const total${i} = total + ${i};` : `const value${i} = compute(${i});`)).join('\n') + '\n';
    const ask = async (format: 'rewrite' | 'patch', extra: Partial<ResponseCreate> = {}): Promise<{ text: string; tokens: number }> => {
      const client = await connect(server);
      const { request } = buildEditRequest({ fileName: 'big.ts', languageId: 'typescript', before: '', region, after: '' }, 'rename total to sum', [], { model: 'm', contextTokens: 128_000, format });
      client.send({ ...request, ...extra });
      await client.untilTerminal(10_000);
      const deltas = client.frames.filter((f) => f.json?.type === 'response.output_text.delta').map((f) => f.json!.delta as string);
      return { text: deltas.join(''), tokens: deltas.length };
    };
    const rewrite = await ask('rewrite');
    const patch = await ask('patch');
    expect(patch.text).toMatch(/^\*\*\* Begin Patch\n\*\*\* Update File: big\.ts\n@@/);
    const applier = new PatchApplier(region, '\n');
    expect(applyEdits(region, [...applier.push(patch.text), ...applier.finish()])).toBe(rewrite.text);
    expect(rewrite.tokens / patch.tokens).toBeGreaterThan(20);
    // bad_patch: the first hunk's context matches nothing.
    const bad = await ask('patch', { metadata: { spark_fault: 'bad_patch' } });
    const failing = new PatchApplier(region, '\n');
    failing.push(bad.text);
    failing.finish();
    expect(failing.error?.message).toMatch(/hunk 1: its context does not match/);
  });

  it('patch format: a hunk whose context repeats gets an @@ header naming the line above it', () => {
    const body = '  x();\n  y();\n  z();\n  return 1;\n}\n';
    const before = `function a() {\n${body}function b() {\n${body}`;
    const after = `function a() {\n${body}function b() {\n${body.replace('return 1', 'return 2')}`;
    const patch = writePatch('f.ts', before, after);
    expect(patch).toContain('@@ function b() {\n');
    const applier = new PatchApplier(before, '\n');
    expect(applyEdits(before, [...applier.push(patch), ...applier.finish()])).toBe(after);
  });

  it('error:N sends an error event after N tokens', async () => {
    const client = await withFault('error:1');
    expect(client.frames.at(-1)!.json).toMatchObject({ type: 'error', status: 500, error: { code: 'server_error' } });
  });

  it('failed:N and incomplete:N end with the terminal event', async () => {
    expect((await withFault('failed:1')).types().at(-1)).toBe('response.failed');
    const inc = await withFault('incomplete:1');
    expect(inc.frames.at(-1)!.json).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'max_output_tokens' } } });
  });

  it('malformed:N, oversized:N and unknown_event:N send the bad frame and carry on', async () => {
    const bad = await withFault('malformed:1');
    expect(bad.types()).toContain('(not json)');
    expect(bad.types().at(-1)).toBe('response.completed');
    const big = await withFault('oversized:1:100000');
    expect(big.frames.some((f) => f.raw.length > 100_000)).toBe(true);
    const unknown = await withFault('unknown_event:1');
    expect(unknown.types()).toContain('response.spark_test.unknown');
  });

  it('stall:N:MS pauses the stream', async () => {
    const started = Date.now();
    const client = await withFault('stall:1:300');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(client.text()).toBe('ABCDEFGHIJKLMNOP\n');
  });

  it('connection_limit sends websocket_connection_limit_reached and closes', async () => {
    const client = await withFault('connection_limit');
    expect(client.frames[0]!.json).toMatchObject({ type: 'error', error: { code: 'websocket_connection_limit_reached' } });
    await client.until(() => client.closed !== undefined);
    expect(client.closed!.code).toBe(1008);
  });

  it('previous_not_found refuses any continuation', async () => {
    const server = await serve();
    const client = await connect(server);
    client.send(editRequest('a\n', 'uppercase'));
    await client.untilTerminal();
    const id = (client.frames[0]!.json!.response as { id: string }).id;
    client.frames.length = 0;
    client.send(editRequest('a\n', 'uppercase', { previous_response_id: id, metadata: { spark_fault: 'previous_not_found' } }));
    await client.untilTerminal();
    expect(client.frames[0]!.json).toMatchObject({ error: { code: 'previous_response_not_found' } });
  });

  it('faults queued through the control endpoint apply to the next responses in order', async () => {
    const server = await serve({ control: true });
    const http = server.url.replace('ws://', 'http://').replace('/v1/responses', '');
    const res = await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ faults: ['failed:0', 'none'] }) });
    expect(await res.json()).toMatchObject({ queued: 2 });
    const bad = await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ faults: ['nonsense'] }) });
    expect(bad.status).toBe(400);
    await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ faults: ['failed:0'] }) });
    const client = await connect(server);
    client.send(editRequest('a\n', 'uppercase'));
    await client.untilTerminal();
    expect(client.types().at(-1)).toBe('response.failed');
    client.frames.length = 0;
    client.send(editRequest('a\n', 'uppercase'));
    await client.untilTerminal();
    expect(client.types().at(-1)).toBe('response.completed');
    expect(((await (await fetch(`${http}/__spark/stats`)).json()) as { responses: number }).responses).toBe(2);
  });

  it('parses every documented fault spec and rejects unknown ones', () => {
    for (const spec of ['drop:3', 'error:0', 'failed:1', 'incomplete:2', 'malformed:1', 'oversized:1:10', 'unknown_event:0', 'stall:1:50', 'connection_limit', 'previous_not_found', 'none']) {
      expect(parseFault(spec).ok, spec).toBe(true);
    }
    expect(parseFault('explode').ok).toBe(false);
    expect(parseFault('drop:x').ok).toBe(false);
  });
});

describe('reference server: timing', () => {
  it('honours time to first token and the token rate', async () => {
    const server = await serve({ timing: { ttftMs: 150, tokensPerSecond: 400, tokenChars: 1 } });
    const client = await connect(server);
    const started = performance.now();
    let firstDelta = 0;
    client.ws.on('message', (d) => {
      if (!firstDelta && Buffer.from(d as Buffer).toString('utf8').includes('output_text.delta')) firstDelta = performance.now();
    });
    client.send(editRequest('x'.repeat(99) + '\n', 'echo'));
    await client.untilTerminal();
    const total = performance.now() - started;
    expect(firstDelta - started).toBeGreaterThanOrEqual(140);
    // 100 tokens at 400/s = 250 ms after the first token.
    expect(total).toBeGreaterThanOrEqual(150 + 240);
    expect(total).toBeLessThan(150 + 250 + 400);
  });
});

describe('reference server: bridge to an OpenAI-compatible HTTP backend', () => {
  let backend: Server | undefined;
  afterEach(() => backend?.close());

  async function fakeBackend(handler: Parameters<typeof createServer>[1]): Promise<string> {
    backend = createServer(handler);
    await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
  }

  it('streams SSE chat completion deltas back as WebSocket events', async () => {
    let body: { model?: string; stream?: boolean; messages?: { role: string }[] } = {};
    const url = await fakeBackend((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        body = JSON.parse(raw) as typeof body;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of ['const ', 'x = ', '1;\n']) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    const server = await serve({ backend: url, backendModel: 'local-model' });
    const client = await connect(server);
    client.send(editRequest('let x = 1;\n', 'use const'));
    await client.untilTerminal();
    expect(client.text()).toBe('const x = 1;\n');
    expect(client.types().at(-1)).toBe('response.completed');
    expect(body).toMatchObject({ model: 'local-model', stream: true });
    expect(body.messages?.[0]?.role).toBe('system');
  });

  it('reports a backend HTTP error as response.failed', async () => {
    const url = await fakeBackend((_req, res) => res.writeHead(503).end('overloaded'));
    const server = await serve({ backend: url });
    const client = await connect(server);
    client.send(editRequest('a\n', 'x'));
    await client.untilTerminal();
    const last = client.frames.at(-1)!.json as { type: string; response: { error: { message: string } } };
    expect(last.type).toBe('response.failed');
    expect(last.response.error.message).toMatch(/HTTP 503/);
  });

  it('aborts the HTTP request when the client cancels by closing its socket', async () => {
    let aborted = false;
    const url = await fakeBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: 'tok ' } }] })}\n\n`), 5);
      req.socket.on('close', () => {
        aborted = true;
        clearInterval(timer);
      });
    });
    const server = await serve({ backend: url });
    const client = await connect(server);
    client.send(editRequest('a\n', 'x'));
    await client.until(() => client.types().includes('response.output_text.delta'));
    client.close();
    const deadline = Date.now() + 2_000;
    while (!aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
  });
});

describe('reference server: control endpoint', () => {
  it('changes the timing of later responses and can drop every connection', async () => {
    const server = await serve({ control: true });
    const http = server.url.replace('ws://', 'http://').replace('/v1/responses', '');
    const set = await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ timing: { tokensPerSecond: 50, ttftMs: 0, tokenChars: 1 } }) });
    expect(((await set.json()) as { timing: { tokensPerSecond: number } }).timing.tokensPerSecond).toBe(50);
    const client = await connect(server);
    const started = Date.now();
    client.send(editRequest('abcde\n', 'echo'));
    await client.untilTerminal();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // 6 tokens at 50/s
    await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ closeConnections: true }) });
    await client.until(() => client.closed !== undefined);
    const badTiming = await fetch(`${http}/__spark/control`, { method: 'POST', body: JSON.stringify({ timing: { tokensPerSecond: -1 } }) });
    expect(badTiming.status).toBe(400);
  });
});

describe('reference server: limits', () => {
  it('refuses a client frame over its maxPayload by closing with 1009', async () => {
    const server = await serve({ maxPayloadBytes: 10_000 });
    const client = await connect(server);
    client.send(editRequest('x'.repeat(20_000) + '\n', 'uppercase'));
    await client.until(() => client.closed !== undefined);
    expect(client.closed!.code).toBe(1009);
  });
});
