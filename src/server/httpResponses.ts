import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeResponsesBody, describeDecodeError } from '../core/protocol/codec';
import { errorCodeFor, paramOf } from './eventWriter';
import { Responder, type ServerContext } from './responder';

/** The official HTTP error body: `{"error":{"message","type","code","param"}}`. */
export function sendHttpError(res: ServerResponse, status: number, error: { message: string; type: string; code: string | null; param?: string | null }, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: { message: error.message, type: error.type, code: error.code, param: error.param ?? null } }));
}

/** The event type of a frame the writer produced (every event starts with its type). */
const typeOfFrame = (frame: string): string | undefined => /^\{"type":"([^"]+)"/.exec(frame)?.[1];

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);

interface ErrorEvent {
  readonly status?: number;
  readonly error?: { message: string; type: string; code: string | null; param: string | null };
  readonly code?: string | null;
  readonly message?: string;
}

/** An `error` event as the HTTP error it stands for (the nested shape carries its status; the flat one is a server error). */
function errorOf(frame: string): { status: number; error: { message: string; type: string; code: string | null; param: string | null } } {
  const event = JSON.parse(frame) as ErrorEvent;
  if (event.error) return { status: event.status ?? 500, error: event.error };
  return { status: 500, error: { message: event.message ?? 'server error', type: 'server_error', code: event.code ?? null, param: null } };
}

let counter = 0;

/**
 * `POST /v1/responses`: the same responses as the WebSocket mode, from the
 * same Responder. `stream: true` sends each event as a server-sent event
 * (`event: <type>`, `data: <the WebSocket frame>`); otherwise the completed
 * `Response` comes back as one JSON body. An error before the response
 * starts (a bad body, an unknown previous response) is an HTTP error in the
 * official shape, as the service answers it.
 */
export async function serveResponsesOverHttp(req: IncomingMessage, res: ServerResponse, body: string, ctx: ServerContext): Promise<void> {
  const decoded = decodeResponsesBody(body, ctx.options.maxPayloadBytes);
  if (!decoded.ok) {
    const e = decoded.error;
    sendHttpError(res, e.kind === 'oversized' ? 413 : 400, { message: describeDecodeError(e), type: 'invalid_request_error', code: errorCodeFor(e), param: paramOf(e) });
    return;
  }
  const request = decoded.value;
  const label = `http#${++counter}`;
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const streaming = request.stream === true;
  let started = false;
  let last: string | undefined;
  let failure: ReturnType<typeof errorOf> | undefined;

  const send = (frame: string): void => {
    const type = typeOfFrame(frame);
    if (!started && type === 'error') {
      failure ??= errorOf(frame);
      return;
    }
    started = true;
    if (streaming) {
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(`event: ${type ?? 'message'}\ndata: ${frame}\n\n`);
    } else if (type !== undefined && (TERMINAL.has(type) || type === 'error')) {
      last = frame;
    }
  };
  const responder = new Responder(
    ctx,
    {
      send,
      signal: abort.signal,
      drop: () => req.socket.destroy(),
      refuseForLimit: () => send(JSON.stringify({ type: 'error', status: 429, error: { message: 'Too many requests; retry shortly.', type: 'requests', code: 'rate_limit_exceeded', param: null } })),
      keepsLatest: false,
    },
    label,
  );
  await responder.respond(request);
  if (abort.signal.aborted || res.destroyed) return;
  if (failure) {
    sendHttpError(res, failure.status, failure.error, failure.status === 429 ? { 'retry-after': '1' } : {});
    return;
  }
  if (streaming) {
    res.end();
    return;
  }
  if (last === undefined) {
    sendHttpError(res, 500, { message: 'The response ended without a result.', type: 'server_error', code: 'server_error' });
    return;
  }
  if (typeOfFrame(last) === 'error') {
    const { status, error } = errorOf(last);
    sendHttpError(res, status, error);
    return;
  }
  const { response } = JSON.parse(last) as { response: unknown };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
}
