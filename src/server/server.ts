import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { ClientConnection } from './clientConnection';
import { ResponseStore } from './conversation';
import { sendHttpError, serveResponsesOverHttp } from './httpResponses';
import type { ServerContext } from './responder';
import type { ServerStats } from './stats';
import { builtinEngine } from './engines/builtinEngine';
import { createBridgeEngine } from './engines/bridgeEngine';
import type { Engine } from './engines/engine';
import { PromptCache } from './promptCache';
import { errorFrame } from './eventWriter';
import { OutputShapeSchema, parseFault, ServerOptionsSchema, TimingSchema, type Fault, type OutputShape, type ServerOptionsInput, type Timing } from './options';

export interface SparkServer {
  /** ws://host:port/v1/responses */
  readonly url: string;
  /** http://host:port/v1: the base URL an HTTP client (the SDK, the Codex CLI) is given. */
  readonly httpBaseUrl: string;
  readonly port: number;
  readonly stats: ServerStats;
  /** Faults for the next responses, in order (tests use this; so does POST /__spark/control). */
  queueFaults(faults: readonly Fault[]): void;
  close(): Promise<void>;
}

/** The model id the server lists; it answers under whatever model a request names. */
const DEFAULT_MODEL = 'gpt-5.3-codex-spark';

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|::1)$/;

function bearerMatches(header: string | undefined, key: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '');
  const wanted = Buffer.from(key);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Whole buffers, decoded once: a chunk can end inside a multi-byte character.
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) reject(new Error(`the body exceeds ${limit} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the reference server; resolves once it listens (port 0 picks a free port). */
export async function startSparkServer(input: ServerOptionsInput = {}, log: (message: string) => void = () => undefined): Promise<SparkServer> {
  const options = ServerOptionsSchema.parse(input);
  if (!LOOPBACK.test(options.host) && !options.allowRemote) {
    throw new Error(`refusing to listen on ${options.host}: the server binds to loopback unless --allow-remote is given`);
  }
  const engine: Engine = options.backend
    ? createBridgeEngine({ baseUrl: options.backend, model: options.backendModel, apiKey: options.backendApiKey })
    : builtinEngine;
  const stats: ServerStats = { connections: 0, responses: 0, activeGenerations: 0, abortedGenerations: 0, tokensSent: 0, lastTokenAt: 0, lastAbortAt: 0, lastRequestAt: 0, lastFirstTokenAt: 0, steersAccepted: 0, steered: 0, connectionsOpened: 0, handshakesRefused: 0, inputTokens: 0, cachedInputTokens: 0, lastInput: '', arrivals: [] };
  const queued: Fault[] = [];
  let timing: Timing = options.timing;
  let shape: OutputShape = options.shape;
  let steering = options.steering;
  const context: ServerContext = {
    options,
    engine,
    stats,
    promptCache: new PromptCache(),
    stored: new ResponseStore(),
    timing: () => timing,
    shape: () => shape,
    steering: () => steering,
    nextFault: (): Fault => queued.shift() ?? options.fault,
    log,
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false });
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handleHttp(req, res);
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/health') return json(200, { ok: true, engine: engine.name });
    if (options.control && req.url === '/__spark/stats') return json(200, stats);
    if (options.control && req.url === '/__spark/control' && req.method === 'POST') {
      try {
        const body = JSON.parse(await readBody(req, 64 * 1024)) as { faults?: unknown; timing?: unknown; shape?: unknown; steering?: unknown; closeConnections?: unknown };
        const specs = Array.isArray(body.faults) ? body.faults.map(String) : [];
        const parsed = specs.map(parseFault);
        const bad = parsed.find((p) => !p.ok);
        if (bad && !bad.ok) return json(400, { error: bad.error });
        if (body.timing !== undefined) {
          const t = TimingSchema.safeParse({ ...options.timing, ...(body.timing as object) });
          if (!t.success) return json(400, { error: `bad timing: ${t.error.issues[0]?.message ?? ''}` });
          timing = t.data;
        }
        if (body.shape !== undefined) {
          const parsedShape = OutputShapeSchema.safeParse(body.shape);
          if (!parsedShape.success) return json(400, { error: `bad shape: ${JSON.stringify(body.shape)} (plain, codex or refusal)` });
          shape = parsedShape.data;
        }
        if (body.steering !== undefined) steering = body.steering === true;
        if (body.faults !== undefined) {
          queued.length = 0;
          for (const p of parsed) if (p.ok) queued.push(p.value);
        }
        // Simulates a server restart or network blip for every client.
        if (body.closeConnections === true) for (const client of wss.clients) client.terminate();
        return json(200, { queued: queued.length, timing, shape, steering });
      } catch (error) {
        return json(400, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/v1/responses' || path === '/responses' || path === '/v1/models' || path === '/models') {
      if (options.apiKey && !bearerMatches(req.headers.authorization, options.apiKey)) return refuseKey(res);
      if (path.endsWith('/models')) {
        const models = [...new Set([DEFAULT_MODEL, ...(options.backendModel ? [options.backendModel] : [])])];
        return json(200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'spark-edit' })) });
      }
      if (req.method !== 'POST') return sendHttpError(res, 405, { message: `Use POST ${path} (or open a WebSocket to it).`, type: 'invalid_request_error', code: 'method_not_allowed' }, { allow: 'POST' });
      let body: string;
      try {
        body = await readBody(req, options.maxPayloadBytes);
      } catch (error) {
        return sendHttpError(res, 413, { message: error instanceof Error ? error.message : String(error), type: 'invalid_request_error', code: 'payload_too_large' });
      }
      return serveResponsesOverHttp(req, res, body, context);
    }
    sendHttpError(res, 404, { message: `Invalid URL (${req.method ?? 'GET'} ${path}): this server answers POST /v1/responses, over HTTP or a WebSocket.`, type: 'invalid_request_error', code: null });
  }

  /** A wrong or missing key, over HTTP: the official 401, counted as a refusal. */
  function refuseKey(res: ServerResponse): void {
    stats.handshakesRefused++;
    log('refused a request: missing or wrong bearer token');
    sendHttpError(res, 401, { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' });
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (options.apiKey && !bearerMatches(req.headers.authorization, options.apiKey)) {
      const body = JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      stats.handshakesRefused++;
      log('refused a connection: missing or wrong bearer token');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (stats.connections >= options.maxConnections) {
        ws.send(errorFrame(429, 'invalid_request_error', 'websocket_connection_limit_reached', `At most ${options.maxConnections} connections are allowed.`));
        ws.close(1008, 'connection limit reached');
        return;
      }
      new ClientConnection(ws, context);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `ws://${host}:${port}/v1/responses`,
    httpBaseUrl: `http://${host}:${port}/v1`,
    port,
    stats,
    queueFaults: (faults) => {
      queued.length = 0;
      queued.push(...faults);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections?.();
        http.close(() => resolve());
      }),
  };
}
