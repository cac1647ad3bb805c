import type { Clock } from '../clock';
import { decodeServerFrame, describeDecodeError, encodeClientMessage } from '../protocol/codec';
import type { ResponseCreate } from '../protocol/clientEvents';
import { isTerminal, type KnownServerEvent } from '../protocol/serverEvents';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type { Socket, SocketFactory } from './socket';

export type TransportFailure =
  | { readonly kind: 'connect'; readonly message: string }
  | { readonly kind: 'dropped'; readonly code: number; readonly message: string }
  | { readonly kind: 'protocol'; readonly message: string }
  | { readonly kind: 'stalled'; readonly afterMs: number; readonly message: string };

/** Receives one response's events, in order; exactly one of a terminal event or `onFailure` ends it. */
export interface ResponseListener {
  onSent(at: number): void;
  onEvent(event: KnownServerEvent): void;
  onFailure(failure: TransportFailure): void;
}

export interface ResponseHandle {
  /** Stops the response locally at once and on the wire (its socket is closed; the spare takes over). */
  cancel(): void;
}

export type ChannelState = 'idle' | 'connecting' | 'ready' | 'offline';

export interface ChannelOptions {
  readonly factory: SocketFactory;
  readonly clock: Clock;
  readonly maxFrameBytes: number;
  /** A response that receives nothing for this long is ended as stalled. */
  readonly stallTimeoutMs: number;
  /** Connections are retired between responses once this old (the service closes them at 60 minutes). */
  readonly maxConnectionAgeMs: number;
  readonly connectAttempts: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** Keep a second connection open so that cancel costs no handshake. */
  readonly spare: boolean;
  readonly onStateChange?: (state: ChannelState, detail?: string) => void;
  readonly log?: (message: string) => void;
}

interface Slot {
  socket: Socket | undefined;
  readonly ready: Promise<Socket | undefined>;
  error: string | undefined;
}

interface Job {
  readonly text: string;
  readonly listener: ResponseListener;
  done: boolean;
  sawOutput: boolean;
  retriedAfterLimit: boolean;
}

export interface ChannelStats {
  /** Connections opened in all. */
  connects: number;
  /** Requests that had to wait for a handshake (no warm socket was ready). */
  coldRequests: number;
  /** Cancels that promoted an already-open spare. */
  sparePromotions: number;
  rotations: number;
}

/**
 * One logical, persistent connection to a Responses WebSocket endpoint:
 * requests queue and run one at a time on the active socket; a spare socket
 * waits open beside it, so cancelling (which in this protocol means closing
 * the socket) hands the next request a live connection with no handshake.
 */
export class ResponseChannel {
  private active: Slot | undefined;
  private spare: Slot | undefined;
  private readonly queue: Job[] = [];
  private current: Job | undefined;
  private currentSocket: Socket | undefined;
  private stallTimer: unknown;
  /** When the current response last heard from the server; the stall timer re-arms lazily from it. */
  private lastActivity = 0;
  private pumping = false;
  private disposed = false;
  private state: ChannelState = 'idle';
  readonly stats: ChannelStats = { connects: 0, coldRequests: 0, sparePromotions: 0, rotations: 0 };

  constructor(private readonly options: ChannelOptions) {}

  get connectionState(): ChannelState {
    return this.state;
  }

  /** Opens the active (and spare) connection ahead of the first request. */
  async warm(): Promise<boolean> {
    const slot = this.active ?? (this.active = this.open());
    const socket = await slot.ready;
    if (socket) this.ensureSpare();
    return socket !== undefined;
  }

  /** Queues a response; its events go to `listener`. */
  request(body: ResponseCreate, listener: ResponseListener): ResponseHandle {
    const job: Job = { text: encodeClientMessage(body), listener, done: false, sawOutput: false, retriedAfterLimit: false };
    this.queue.push(job);
    void this.pump();
    return { cancel: () => this.cancel(job) };
  }

  dispose(): void {
    this.disposed = true;
    for (const job of [...this.queue]) this.finish(job, { kind: 'dropped', code: 1001, message: 'the connection was shut down' });
    this.queue.length = 0;
    if (this.current) this.finish(this.current, { kind: 'dropped', code: 1001, message: 'the connection was shut down' });
    this.active?.socket?.close(1000);
    this.spare?.socket?.close(1000);
    this.active = this.spare = undefined;
    this.clearStall();
  }

  private setState(state: ChannelState, detail?: string): void {
    if (state === this.state && detail === undefined) return;
    this.state = state;
    this.options.onStateChange?.(state, detail);
  }

  private open(): Slot {
    this.stats.connects++;
    const slot: Slot = {
      socket: undefined,
      error: undefined,
      ready: this.options.factory.connect().then(
        (socket) => {
          if (this.disposed) {
            socket.close(1000);
            return undefined;
          }
          slot.socket = socket;
          socket.onClose = (code, reason) => this.onSocketClosed(slot, code, reason);
          return socket;
        },
        (error: unknown) => {
          slot.error = error instanceof Error ? error.message : String(error);
          return undefined;
        },
      ),
    };
    return slot;
  }

  private ensureSpare(): void {
    if (!this.options.spare || this.disposed || this.spare) return;
    const slot = (this.spare = this.open());
    void slot.ready.then((socket) => {
      if (!socket && this.spare === slot) {
        this.options.log?.(`spare connection failed: ${slot.error ?? 'unknown error'}`);
        this.spare = undefined;
      }
    });
  }

  /** A live, young socket for the next response: the active one, else the spare, else a new one. */
  private async acquire(): Promise<Socket | string> {
    const attempts = Math.max(1, this.options.connectAttempts);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (this.active?.socket && this.options.clock.now() - this.active.socket.openedAt > this.options.maxConnectionAgeMs) {
        this.stats.rotations++;
        this.options.log?.('rotating the connection before its age limit');
        this.retire(this.active);
      }
      if (!this.active) {
        if (this.spare) {
          this.active = this.spare;
          this.spare = undefined;
        } else {
          this.active = this.open();
        }
      }
      const slot = this.active;
      if (!slot.socket) {
        this.stats.coldRequests++;
        this.setState('connecting');
      }
      const socket = await slot.ready;
      if (socket && this.active === slot && slot.socket) {
        this.setState('ready');
        this.ensureSpare();
        return socket;
      }
      if (this.active === slot) this.active = undefined;
      const lastError = slot.error ?? 'the connection closed';
      if (attempt + 1 < attempts) {
        const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
        this.options.log?.(`connect failed (${lastError}); retrying in ${delay} ms`);
        await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, delay));
      } else {
        this.setState('offline', lastError);
        return lastError;
      }
    }
    return 'no connection';
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.current || this.disposed) return;
    this.pumping = true;
    try {
      while (!this.current && this.queue.length > 0 && !this.disposed) {
        const socketOrError = await this.acquire();
        const job = this.queue[0];
        if (!job) return;
        if (typeof socketOrError === 'string') {
          this.queue.shift();
          this.finish(job, { kind: 'connect', message: socketOrError });
          continue;
        }
        this.queue.shift();
        this.start(job, socketOrError);
      }
    } finally {
      this.pumping = false;
    }
  }

  private start(job: Job, socket: Socket): void {
    this.current = job;
    this.currentSocket = socket;
    socket.onMessage = (data) => this.onFrame(job, socket, data);
    try {
      socket.send(job.text);
    } catch (error) {
      this.dropSocket(socket);
      this.finish(job, { kind: 'dropped', code: 1006, message: `send failed: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    job.listener.onSent(this.options.clock.now());
    this.armStall(job, socket);
  }

  private onFrame(job: Job, socket: Socket, data: string | Uint8Array): void {
    if (job.done || this.current !== job) return;
    // Re-arming a timer per frame costs more than the frame itself at 20k tok/s: just note the time.
    this.lastActivity = this.options.clock.now();
    const decoded = decodeServerFrame(data, this.options.maxFrameBytes);
    if (!decoded.ok) {
      // After a bad frame the stream's state is unknown: retire the socket.
      this.dropSocket(socket);
      this.finish(job, { kind: 'protocol', message: `bad frame from the server: ${describeDecodeError(decoded.error)}` });
      return;
    }
    if (decoded.value.kind === 'unknown') return;
    const event = decoded.value.event;
    if (event.type === 'response.output_text.delta') job.sawOutput = true;
    if (event.type === 'error' && event.error.code === 'websocket_connection_limit_reached' && !job.sawOutput && !job.retriedAfterLimit) {
      // The service retired this connection: move to a fresh one and resend, unseen by the run.
      this.options.log?.('connection limit reached; retrying on a fresh connection');
      job.retriedAfterLimit = true;
      this.stats.rotations++;
      this.dropSocket(socket);
      this.clearCurrent();
      this.queue.unshift(job);
      void this.pump();
      return;
    }
    job.listener.onEvent(event);
    if (isTerminal(event) || event.type === 'error') this.complete(job);
  }

  private onSocketClosed(slot: Slot, code: number, reason: string): void {
    const socket = slot.socket;
    slot.socket = undefined;
    if (this.active === slot) this.active = undefined;
    if (this.spare === slot) this.spare = undefined;
    const job = this.current;
    if (job && socket && this.currentSocket === socket) {
      const message =
        code === 1009
          ? 'the server sent a frame larger than the allowed maximum'
          : `the connection dropped mid-response (code ${code}${reason ? `: ${reason}` : ''})`;
      this.finish(job, { kind: 'dropped', code, message });
    }
  }

  private cancel(job: Job): void {
    if (job.done) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.done = true;
      return;
    }
    if (this.current !== job) return;
    job.done = true;
    const socket = this.currentSocket;
    this.clearCurrent();
    // No cancel message exists in this protocol: closing the socket is the cancel.
    if (socket) this.dropSocket(socket, 4000, 'cancelled');
    if (this.spare?.socket) this.stats.sparePromotions++;
    void this.pump();
  }

  /** Closes a socket and forgets its slot; the spare becomes active on the next acquire. */
  private dropSocket(socket: Socket, code = 4001, reason = 'closed by client'): void {
    for (const slot of [this.active, this.spare]) {
      if (slot?.socket === socket) {
        slot.socket = undefined;
        if (this.active === slot) this.active = undefined;
        if (this.spare === slot) this.spare = undefined;
      }
    }
    socket.onClose = () => undefined;
    socket.close(code, reason);
    this.ensureSpare();
  }

  private retire(slot: Slot): void {
    if (slot.socket) this.dropSocket(slot.socket, 1000, 'rotated');
    if (this.active === slot) this.active = undefined;
  }

  private armStall(job: Job, socket: Socket): void {
    this.clearStall();
    const ms = this.options.stallTimeoutMs;
    this.lastActivity = this.options.clock.now();
    const check = (): void => {
      if (this.current !== job) return;
      const quietFor = this.options.clock.now() - this.lastActivity;
      if (quietFor < ms) {
        this.stallTimer = this.options.clock.setTimeout(check, ms - quietFor);
        return;
      }
      this.stallTimer = undefined;
      this.dropSocket(socket, 4002, 'stalled');
      this.finish(job, { kind: 'stalled', afterMs: ms, message: `the server sent nothing for ${Math.round(ms / 1000)} s` });
    };
    this.stallTimer = this.options.clock.setTimeout(check, ms);
  }

  /** Forgets the response in progress (its socket and stall timer go with it). */
  private clearCurrent(): void {
    this.current = undefined;
    this.currentSocket = undefined;
    this.clearStall();
  }

  private clearStall(): void {
    if (this.stallTimer !== undefined) this.options.clock.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private complete(job: Job): void {
    job.done = true;
    if (this.current === job) this.clearCurrent();
    void this.pump();
  }

  private finish(job: Job, failure: TransportFailure): void {
    if (job.done) return;
    job.done = true;
    if (this.current === job) this.clearCurrent();
    job.listener.onFailure(failure);
    void this.pump();
  }
}
