import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { systemClock } from '../../../src/core/clock';
import { buildEditRequest, buildSteer } from '../../../src/core/prompt/buildRequest';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import { parseRetryAfter, RETRY_POLICY, retryDelay } from '../../../src/core/transport/retryPolicy';
import { ResponseChannel, type ChannelOptions, type ResponseHandle, type TransportFailure } from '../../../src/core/transport/responseChannel';
import { createWsSocketFactory, redactUrl } from '../../../src/core/transport/wsTransport';
import { useReferenceServers } from '../support/referenceServers';

const { cleanups, serve } = useReferenceServers(50_000);

function channel(url: string, overrides: Partial<ChannelOptions> = {}, ws: Partial<Parameters<typeof createWsSocketFactory>[0]> = {}): ResponseChannel {
  const c = new ResponseChannel({
    factory: createWsSocketFactory({ url, headers: {}, handshakeTimeoutMs: 2_000, maxPayloadBytes: 16 * 1024 * 1024, heartbeatMs: 10_000, ...ws }),
    clock: systemClock,
    maxFrameBytes: 16 * 1024 * 1024,
    stallTimeoutMs: 5_000,
    maxConnectionAgeMs: 55 * 60_000,
    retry: { ...RETRY_POLICY, maxRetries: 0 },
    spare: true,
    ...overrides,
  });
  cleanups.push(() => c.dispose());
  return c;
}

const request = (region: string, instruction: string, metadata?: Record<string, string>) =>
  buildEditRequest({ fileName: 'a.ts', languageId: 'typescript', before: '', region, after: '' }, instruction, [], { model: 'm', contextTokens: 32_000, metadata }).request;

interface Outcome {
  text: string;
  events: KnownServerEvent[];
  failure: TransportFailure | undefined;
  sentAt: number | undefined;
}

function run(c: ResponseChannel, body: ReturnType<typeof request>): { done: Promise<Outcome>; cancel: () => void; outcome: Outcome; handle: ResponseHandle } {
  const outcome: Outcome = { text: '', events: [], failure: undefined, sentAt: undefined };
  let handle: ResponseHandle | undefined;
  const done = new Promise<Outcome>((resolve) => {
    handle = c.request(body, {
      onSent: (at) => (outcome.sentAt = at),
      onEvent: (e) => {
        outcome.events.push(e);
        if (e.type === 'response.output_text.delta') outcome.text += e.delta;
        const steered = e.type === 'response.incomplete' && e.response.incomplete_details?.reason === 'steered';
        if (e.type === 'response.completed' || e.type === 'response.failed' || (e.type === 'response.incomplete' && !steered) || e.type === 'error') resolve(outcome);
      },
      onFailure: (f) => {
        outcome.failure = f;
        resolve(outcome);
      },
    });
  });
  return { done, cancel: () => handle!.cancel(), outcome, handle: handle! };
}

const waitFor = async (predicate: () => boolean, ms = 3_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('ResponseChannel over ws, against the reference server', () => {
  it('an idle pool closes its sockets after idleCloseMs (an idle window holds no connection), and opens one again when used', async () => {
    const server = await serve();
    const c = channel(server.url, { idleCloseMs: 150 });
    expect(await c.warm()).toBe(true);
    await waitFor(() => server.stats.connections === 1);
    const closed = Date.now();
    await waitFor(() => server.stats.connections === 0, 2_000);
    expect(Date.now() - closed).toBeGreaterThanOrEqual(100);
    expect(c.connectionState).toBe('idle');
    expect((await run(c, request('again\n', 'uppercase')).done).text).toBe('AGAIN\n');
  });

  it('streams a response end to end', async () => {
    const server = await serve();
    const c = channel(server.url);
    const { done } = run(c, request('hello\n', 'uppercase'));
    const out = await done;
    expect(out.failure).toBeUndefined();
    expect(out.text).toBe('HELLO\n');
    expect(out.events.at(-1)?.type).toBe('response.completed');
  });

  it('runs concurrent responses side by side, one socket each, beside a warm spare', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 400 } });
    const c = channel(server.url);
    expect(await c.warm()).toBe(true);
    const a = run(c, request('a'.repeat(200) + '\n', 'uppercase'));
    const b = run(c, request('b'.repeat(200) + '\n', 'uppercase'));
    await waitFor(() => server.stats.activeGenerations === 2);
    expect(c.busy).toBe(2);
    expect((await a.done).text).toBe('A'.repeat(200) + '\n');
    expect((await b.done).text).toBe('B'.repeat(200) + '\n');
    // The first request took the warm socket; the second the spare that opened beside it.
    expect(c.stats.coldRequests).toBeLessThanOrEqual(1);
  });

  it('beyond maxConcurrent a request waits in line and is told so', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 400 } });
    const c = channel(server.url, { maxConcurrent: 1 });
    const first = run(c, request('x'.repeat(100) + '\n', 'uppercase'));
    let queued = 0;
    const second = new Promise<string>((resolve) => {
      let text = '';
      c.request(request('y\n', 'uppercase'), {
        onQueued: () => queued++,
        onSent: () => undefined,
        onEvent: (e) => {
          if (e.type === 'response.output_text.delta') text += e.delta;
          if (e.type === 'response.completed') resolve(text);
        },
        onFailure: (f) => resolve(f.message),
      });
    });
    expect(await second).toBe('Y\n');
    expect(queued).toBe(1);
    expect((await first.done).text).toBe('X'.repeat(100) + '\n');
  });

  it('cancel closes only its own socket: a concurrent response goes on, and the next request rides a warm socket', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 200 } });
    const c = channel(server.url);
    await c.warm();
    const slow = run(c, request('x'.repeat(2_000) + '\n', 'uppercase'));
    const other = run(c, request('y'.repeat(40) + '\n', 'uppercase'));
    await waitFor(() => slow.outcome.text.length > 0 && other.outcome.text.length > 0);
    await waitFor(() => c.warmIdle === 1);
    const coldBefore = c.stats.coldRequests;
    slow.cancel();
    await waitFor(() => server.stats.abortedGenerations === 1);
    expect((await other.done).text).toBe('Y'.repeat(40) + '\n');
    const next = run(c, request('b\n', 'uppercase'));
    expect((await next.done).text).toBe('B\n');
    expect(c.stats.coldRequests).toBe(coldBefore);
    expect(c.stats.sparePromotions).toBe(1);
    // The cancelled response heard nothing more.
    expect(slow.outcome.failure).toBeUndefined();
  });

  it('steers the active response on its own socket: accepted, steered, successor completes; the job spans both', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 300 } });
    const c = channel(server.url);
    const region = 'alpha\nbeta\ngamma\n'.repeat(20);
    const slow = run(c, request(region, 'uppercase'));
    await waitFor(() => slow.outcome.text.length > 8);
    const first = slow.outcome.events.find((e) => e.type === 'response.created');
    const handle = slow.handle;
    expect(handle.steer(buildSteer(region, 'reverse lines', ['uppercase'], first?.type === 'response.created' ? first.response.id : ''))).toBe(true);
    const out = await slow.done;
    const types = out.events.map((e) => e.type);
    expect(types).toContain('response.steer.accepted');
    const incomplete = out.events.find((e) => e.type === 'response.incomplete');
    expect(incomplete?.type === 'response.incomplete' && incomplete.response.incomplete_details?.reason).toBe('steered');
    expect(types.filter((t) => t === 'response.created')).toHaveLength(2);
    expect(types.at(-1)).toBe('response.completed');
    expect(server.stats.steered).toBe(1);
    expect(c.stats.steers).toBe(1);
    expect(server.stats.connections).toBeGreaterThanOrEqual(1);
    expect(server.stats.abortedGenerations).toBe(0);
  });

  it('a refused steer comes back as steer.failed and the channel stops offering steering', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 300 }, steering: false });
    const c = channel(server.url);
    const slow = run(c, request('x'.repeat(400) + '\n', 'uppercase'));
    await waitFor(() => slow.outcome.text.length > 0);
    const id = slow.outcome.events.find((e) => e.type === 'response.created');
    slow.handle.steer(buildSteer('x', 'y', [], id?.type === 'response.created' ? id.response.id : ''));
    await waitFor(() => slow.outcome.events.some((e) => e.type === 'response.steer.failed'));
    expect(c.canSteer).toBe(false);
    expect((await slow.done).text).toBe('X'.repeat(400) + '\n');
  });

  it('before the first output text the longer thinking budget applies; after it, the stall timeout', async () => {
    const server = await serve();
    const thinking = channel(server.url, { stallTimeoutMs: 100, firstOutputTimeoutMs: 2_000 });
    const slowStart = await run(thinking, request('abcd\n', 'uppercase', { spark_ttft_ms: '400' })).done;
    expect(slowStart.failure).toBeUndefined();
    expect(slowStart.text).toBe('ABCD\n');
    const dead = await run(channel(server.url, { stallTimeoutMs: 100, firstOutputTimeoutMs: 200 }), request('abcd\n', 'uppercase', { spark_ttft_ms: '3000' })).done;
    expect(dead.failure).toMatchObject({ kind: 'stalled', message: 'the server sent no output for 0 s' });
  });

  it('ends a response whose connection drops, with a clear failure', async () => {
    const server = await serve();
    const c = channel(server.url);
    const out = await run(c, request('abcdefghijkl\n', 'uppercase', { spark_fault: 'drop:1' })).done;
    expect(out.failure).toMatchObject({ kind: 'dropped' });
    expect(out.failure!.message).toMatch(/dropped mid-response/);
    // And the next request works.
    expect((await run(c, request('a\n', 'uppercase')).done).text).toBe('A\n');
  });

  it('turns a malformed frame into a protocol failure and recovers on a fresh socket', async () => {
    const server = await serve();
    const c = channel(server.url);
    const out = await run(c, request('abcdefgh\n', 'uppercase', { spark_fault: 'malformed:1' })).done;
    expect(out.failure).toMatchObject({ kind: 'protocol' });
    expect(out.failure!.message).toMatch(/not valid JSON/);
    expect((await run(c, request('a\n', 'uppercase')).done).text).toBe('A\n');
  });

  it('ignores unknown event types', async () => {
    const server = await serve();
    const out = await run(channel(server.url), request('abcdefgh\n', 'uppercase', { spark_fault: 'unknown_event:1' })).done;
    expect(out.failure).toBeUndefined();
    expect(out.text).toBe('ABCDEFGH\n');
  });

  it('a frame over maxPayload ends the response with a plain message', async () => {
    const server = await serve();
    const c = channel(server.url, { maxFrameBytes: 50_000 }, { maxPayloadBytes: 50_000 });
    const out = await run(c, request('abcdefgh\n', 'uppercase', { spark_fault: 'oversized:1:100000' })).done;
    expect(out.failure).toMatchObject({ kind: 'dropped', code: 1009 });
    expect(out.failure!.message).toMatch(/larger than the allowed maximum/);
  });

  it('a stalled stream ends after the stall timeout', async () => {
    const server = await serve();
    const c = channel(server.url, { stallTimeoutMs: 200 });
    const out = await run(c, request('abcdefgh\n', 'uppercase', { spark_fault: 'stall:1:5000' })).done;
    expect(out.failure).toMatchObject({ kind: 'stalled' });
    expect(out.failure!.message).toMatch(/sent nothing/);
  });

  it('retries transparently on websocket_connection_limit_reached', async () => {
    const server = await serve({ control: true });
    server.queueFaults([{ kind: 'connection_limit' }]);
    const c = channel(server.url);
    const out = await run(c, request('a\n', 'uppercase')).done;
    expect(out.failure).toBeUndefined();
    expect(out.text).toBe('A\n');
    expect(c.stats.rotations).toBe(1);
  });

  it('rotates a connection past its age between responses', async () => {
    const server = await serve();
    const c = channel(server.url, { maxConnectionAgeMs: 30 });
    await run(c, request('a\n', 'uppercase')).done;
    await new Promise((r) => setTimeout(r, 60));
    expect((await run(c, request('b\n', 'uppercase')).done).text).toBe('B\n');
    expect(c.stats.rotations).toBeGreaterThanOrEqual(1);
  });

  it('sends the Authorization header', async () => {
    const server = await serve({ apiKey: 'sk-abc' });
    expect((await run(channel(server.url, {}, { headers: { Authorization: 'Bearer sk-abc' } }), request('a\n', 'uppercase')).done).text).toBe('A\n');
    const refused = await run(channel(server.url), request('a\n', 'uppercase')).done;
    expect(refused.failure).toMatchObject({ kind: 'connect' });
    expect(refused.failure!.message).toMatch(/HTTP 401.*API key/);
  });

  it('a 401 is reported once, as unauthorized, and never retried', async () => {
    const server = await serve({ apiKey: 'sk-abc' });
    const c = channel(server.url, { spare: false, retry: RETRY_POLICY, random: () => 0 });
    const refused = await run(c, request('a\n', 'uppercase')).done;
    expect(refused.failure).toMatchObject({ kind: 'connect', reason: 'unauthorized' });
    expect(c.stats.connects).toBe(1);
  });

  it('disposing the channel ends a retry wait at once: no connection after it', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise((r) => tcp.close(r));
    const c = channel(`ws://127.0.0.1:${port}/`, { spare: false, retry: { maxRetries: 5, baseMs: 60_000, maxMs: 60_000, maxRetryAfterMs: 0 }, random: () => 1 });
    const pending = run(c, request('a\n', 'uppercase')).done;
    await new Promise((r) => setTimeout(r, 100)); // the first attempt failed; the 60 s wait began
    c.dispose();
    expect((await pending).failure).toMatchObject({ kind: 'dropped' });
    expect(c.stats.connects).toBe(1);
  });
});

describe('ws transport against misbehaving servers', () => {
  it('gives up a handshake that never completes, after the handshake timeout', async () => {
    const open = new Set<import('node:net').Socket>();
    const tcp: TcpServer = createTcpServer((s) => open.add(s)); // accepts, never answers
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => {
      for (const s of open) s.destroy();
      return new Promise((r) => tcp.close(r));
    });
    const started = Date.now();
    const factory = createWsSocketFactory({ url: `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, headers: {}, handshakeTimeoutMs: 200, maxPayloadBytes: 1024, heartbeatMs: 1000 });
    await expect(factory.connect()).rejects.toThrow(/could not connect|closed during the handshake/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('terminates a socket whose peer stops answering pings, ending the response', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const port = (wss.address() as AddressInfo).port;
    const c = channel(`ws://127.0.0.1:${port}/`, { spare: false, stallTimeoutMs: 60_000 }, { heartbeatMs: 100 });
    const started = Date.now();
    const out = await run(c, request('a\n', 'uppercase')).done; // the server never answers
    expect(out.failure).toMatchObject({ kind: 'dropped' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports a refused connection after its attempts, with backoff between them', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise((r) => tcp.close(r)); // now nothing listens there
    const c = channel(`ws://127.0.0.1:${port}/`, { spare: false, retry: { maxRetries: 2, baseMs: 10, maxMs: 20, maxRetryAfterMs: 1_000 }, random: () => 1 });
    const out = await run(c, request('a\n', 'uppercase')).done;
    expect(out.failure).toMatchObject({ kind: 'connect' });
    expect(c.stats.connects).toBe(3);
    expect(c.connectionState).toBe('offline');
  });
});

describe('the retry policy', () => {
  const never = (): number => 0.999999;

  it('network failures back off, exponentially with full jitter, capped, at most maxRetries times', () => {
    const policy = { maxRetries: 6, baseMs: 100, maxMs: 1_000, maxRetryAfterMs: 5_000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelay({ kind: 'network' }, n, never, policy))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(retryDelay({ kind: 'network' }, 0, () => 0, policy)).toBe(0);
    expect(retryDelay({ kind: 'network' }, 6, never, policy)).toBeUndefined();
    expect(retryDelay({ kind: 'network' }, RETRY_POLICY.maxRetries, never)).toBeUndefined();
  });

  it('401 and 403 are never retried; other 4xx neither; 429 and 5xx honour Retry-After, capped', () => {
    expect(retryDelay({ kind: 'http', status: 401 }, 0, never)).toBeUndefined();
    expect(retryDelay({ kind: 'http', status: 403 }, 0, never)).toBeUndefined();
    expect(retryDelay({ kind: 'http', status: 404 }, 0, never)).toBeUndefined();
    expect(retryDelay({ kind: 'http', status: 429, retryAfterMs: 3_000 }, 0, never)).toBe(3_000);
    expect(retryDelay({ kind: 'http', status: 503, retryAfterMs: 1_500 }, 1, never)).toBe(1_500);
    // A server that asks for longer than the cap: the user is told, not kept waiting.
    expect(retryDelay({ kind: 'http', status: 429, retryAfterMs: 60_000 }, 0, never)).toBeUndefined();
    // Without Retry-After: backoff.
    expect(retryDelay({ kind: 'http', status: 502 }, 0, never)).toBe(249);
    expect(retryDelay({ kind: 'http', status: 502 }, RETRY_POLICY.maxRetries, never)).toBeUndefined();
  });

  it('a retired connection moves once, at once; a final failure never retries', () => {
    expect(retryDelay({ kind: 'connectionLimit' }, 0, never)).toBe(0);
    expect(retryDelay({ kind: 'connectionLimit' }, 1, never)).toBeUndefined();
    expect(retryDelay({ kind: 'final' }, 0, never)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 02 Dec 2026 10:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('redaction', () => {
  it('never echoes credentials in a URL', () => {
    expect(redactUrl('wss://user:secret@host:1/v1/responses?key=sk-1')).toBe('wss://host:1/v1/responses');
  });
});
