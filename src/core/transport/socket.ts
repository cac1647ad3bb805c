/** The least a transport needs from one WebSocket connection. */
export interface Socket {
  send(text: string): void;
  /** Closes at once; no further message is delivered. */
  close(code?: number, reason?: string): void;
  /** Milliseconds since the connection opened (rotation before the server's limit). */
  readonly openedAt: number;
  onMessage: (data: string | Uint8Array) => void;
  onClose: (code: number, reason: string) => void;
}

export interface SocketFactory {
  /** Opens one connection; rejects with a ConnectError (or any readable Error) on failure. */
  connect(): Promise<Socket>;
}

/** A connection that could not be made; `status` when the server answered the handshake with HTTP. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The server's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}
