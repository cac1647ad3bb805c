import WebSocket from 'ws';
import { parseRetryAfter } from './retryPolicy';
import { ConnectError, type Socket, type SocketFactory } from './socket';

export interface WsOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly handshakeTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** A ping each interval; a socket without a pong by the next one is terminated. */
  readonly heartbeatMs: number;
  readonly now?: () => number;
}

/** A `ws` message (Buffer, ArrayBuffer or fragments) as one Buffer. */
export function messageBytes(data: WebSocket.RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** The only place that speaks `ws`: everything else sees a `Socket`. */
export function createWsSocketFactory(options: WsOptions): SocketFactory {
  const now = options.now ?? (() => performance.now());
  return {
    connect: () =>
      new Promise<Socket>((resolve, reject) => {
        const ws = new WebSocket(options.url, {
          headers: { ...options.headers },
          handshakeTimeout: options.handshakeTimeoutMs,
          maxPayload: options.maxPayloadBytes,
          perMessageDeflate: false,
        });
        let settled = false;
        let alive = true;
        let lastError: (Error & { code?: string }) | undefined;
        let heartbeat: ReturnType<typeof setInterval> | undefined;
        const socket: Socket = {
          openedAt: 0,
          send: (text) => ws.send(text),
          close: (code = 1000, reason = '') => {
            if (heartbeat) clearInterval(heartbeat);
            socket.onMessage = () => undefined;
            // terminate(): cancel must not wait for a closing handshake.
            if (ws.readyState === WebSocket.OPEN && code !== 1000) ws.close(code, reason);
            ws.terminate();
          },
          onMessage: () => undefined,
          onClose: () => undefined,
        };
        ws.on('open', () => {
          settled = true;
          (socket as { openedAt: number }).openedAt = now();
          heartbeat = setInterval(() => {
            if (!alive) {
              ws.terminate();
              return;
            }
            alive = false;
            ws.ping();
          }, options.heartbeatMs);
          heartbeat.unref?.();
          resolve(socket);
        });
        ws.on('pong', () => {
          alive = true;
        });
        ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
          alive = true;
          const bytes = messageBytes(data);
          socket.onMessage(isBinary ? bytes : bytes.toString('utf8'));
        });
        ws.on('unexpected-response', (_req, res) => {
          settled = true;
          const status = res.statusCode ?? 0;
          const hint = status === 401 || status === 403 ? ' (check the API key)' : '';
          const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
          reject(new ConnectError(`server refused the WebSocket upgrade with HTTP ${status}${hint}`, status, retryAfterMs));
          ws.terminate();
        });
        ws.on('error', (error: Error) => {
          lastError = error;
          if (!settled) {
            settled = true;
            reject(new ConnectError(`could not connect to ${redactUrl(options.url)}: ${error.message}`));
          }
        });
        ws.on('close', (code: number, reason: Buffer) => {
          if (heartbeat) clearInterval(heartbeat);
          if (!settled) {
            settled = true;
            reject(new ConnectError(`connection to ${redactUrl(options.url)} closed during the handshake (${code})`));
            return;
          }
          // ws reports its own refusal of a too-large frame as 1006; say what happened.
          if (lastError?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') socket.onClose(1009, 'message too big');
          else socket.onClose(code, reason.toString());
        });
      }),
  };
}

/** URLs may carry credentials in userinfo or query; never echo them. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
