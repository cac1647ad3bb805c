import type { Clock } from '../clock';
import { decodeServerFrame, describeDecodeError, encodeClientMessage } from '../protocol/codec';
import type { OutgoingResponseCreate, OutgoingResponseSteer } from '../protocol/clientEvents';
import { errorDetails, isTerminal, type KnownServerEvent } from '../protocol/serverEvents';
import { DisposableStore, sleep, timeout, type Disposable } from '../lifetime';
import { RETRY_POLICY, retryDelay, type RetryCause, type RetryPolicy } from './retryPolicy';
import { ConnectError, type Socket, type SocketFactory } from './socket';

/** Why a connection could not be made, where the user can do something about it. */
export type ConnectReason = 'needsKey' | 'unauthorized' | 'badEndpoint' | 'localServer' | 'needsApproval';

export type TransportFailure =
  | { readonly kind: 'connect'; readonly message: string; readonly reason?: ConnectReason }
  | { readonly kind: 'dropped'; readonly code: number; readonly message: string }
  | { readonly kind: 'protocol'; readonly message: string }
  | { readonly kind: 'stalled'; readonly afterMs: number; readonly message: string };

/** Receives one request's events, in order; exactly one of a terminal event or `onFailure` ends it. */
export interface ResponseListener {
  /** Every socket is busy: the request waits for one (the run says so). */
  onQueued?(): void;
  onSent(at: number): void;
  onEvent(event: KnownServerEvent): void;
  onFailure(failure: TransportFailure): void;
}

export interface ResponseHandle {
  /** Stops the response locally at once and on the wire (its socket, and only its socket, is closed). */
  cancel(): void;
  /**
   * Sends `response.steer` on the response's own socket. False when the
   * response is not on the wire any more (the caller falls back to a new request).
   */
  steer(body: OutgoingResponseSteer): boolean;
}

export type ChannelState = 'idle' | 'connecting' | 'ready' | 'offline';

export interface ChannelOptions {
  readonly factory: SocketFactory;
  readonly clock: Clock;
  readonly maxFrameBytes: number;
  /** Once output text flows, a response that receives no frame for this long is ended as stalled. */
  readonly stallTimeoutMs: number;
  /**
   * Before the first output text, the silence allowed: reasoning models may
   * think for a while, sending nothing or only reasoning events (every frame counts).
   */
  readonly firstOutputTimeoutMs?: number;
  /** Connections are retired between responses once this old (the service closes them at 60 minutes). */
  readonly maxConnectionAgeMs: number;
  /** Idle sockets close once nothing has used the pool for this long: an idle window holds no connection. */
  readonly idleCloseMs?: number;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
  /** Keep an idle connection open beside the busy ones, so that a request or a cancel costs no handshake. */
  readonly spare: boolean;
  /** Responses on the wire at once, one per socket; more wait in line. */
  readonly maxConcurrent?: number;
  readonly onStateChange?: (state: ChannelState, detail?: string) => void;
  readonly log?: (message: string) => void;
}

interface Slot {
  socket: Socket | undefined;
  readonly ready: Promise<Socket | undefined>;
  /** Why the connection could not be made, and what that means for retrying. */
  error: { readonly message: string; readonly cause: RetryCause } | undefined;
  job: Job | undefined;
}

interface Job {
  readonly text: string;
  readonly listener: ResponseListener;
  done: boolean;
  slot: Slot | undefined;
  sawOutput: boolean;
  /** Times this job moved to a fresh connection after the service retired one. */
  limitRetries: number;
  /** Steers sent whose successor has not started yet: the job outlives its first response. */
  steersPending: number;
  /** The current response ended while a steer was pending; the successor (or the steer's failure) decides. */
  endedWhileSteering: boolean;
  lastActivity: number;
  stallTimer: unknown;
  queuedNoticeSent: boolean;
}

export interface ChannelStats {
  /** Connections opened in all. */
  connects: number;
  /** Requests that had to wait for a handshake (no warm socket was ready). */
  coldRequests: number;
  /** Cancels after which an idle warm socket was ready for the next request. */
  sparePromotions: number;
  rotations: number;
  steers: number;
}

const DEFAULT_MAX_CONCURRENT = 6;
/** Idle sockets kept open beyond this many are closed. */
const MAX_IDLE = 2;

/**
 * A small pool of persistent connections to a Responses WebSocket endpoint.
 * Each response runs on a socket of its own, so concurrent runs stream side
 * by side and cancelling one (which in this protocol means closing its
 * socket) stops exactly that one. An idle socket always waits warm, so the
 * next request, and the one after a cancel, pays no handshake. We do not use
 * lanes (`stream_id`) for runs: closing a socket ends every lane on it, and a
 * cancel must never take another run down with it.
 */
export class ResponseChannel {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private pumping = false;
  private disposed = false;
  /** Takes no new requests; disposes itself once the responses on the wire have ended. */
  private retiring = false;
  private state: ChannelState = 'idle';
  private steeringRefused = false;
  readonly stats: ChannelStats = { connects: 0, coldRequests: 0, sparePromotions: 0, rotations: 0, steers: 0 };
  /** Retry waits and the idle timer: disposing the channel ends them. */
  private readonly owned = new DisposableStore();
  private idleTimer: Disposable | undefined;

  constructor(private readonly options: ChannelOptions) {}

  private get random(): () => number {
    return this.options.random ?? Math.random;
  }

  get connectionState(): ChannelState {
    return this.state;
  }

  /** False once the endpoint answered a steer with `steering_not_supported`: redirects then go as new requests. */
  get canSteer(): boolean {
    return !this.steeringRefused;
  }

  /** Idle sockets already open: what the next request (or the one after a cancel) takes with no handshake. */
  get warmIdle(): number {
    return this.idleSlots().filter((s) => s.socket).length;
  }

  /** Sockets open or opening. */
  get openSockets(): number {
    return this.slots.size;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Responses on the wire now. */
  get busy(): number {
    let n = 0;
    for (const s of this.slots) if (s.job) n++;
    return n;
  }

  /** Opens a warm connection ahead of the first request (the instruction box is open). */
  async warm(): Promise<boolean> {
    if (this.disposed || this.retiring) return false;
    this.touch();
    const idle = [...this.slots].find((s) => !s.job) ?? this.open();
    const socket = await idle.ready;
    return socket !== undefined;
  }

  /**
   * The pool was used: idle sockets stay open for `idleCloseMs` from now,
   * then close (and with them their heartbeats), unless a response is on the wire then.
   */
  private touch(): void {
    this.idleTimer?.dispose();
    const ms = this.options.idleCloseMs;
    if (ms === undefined) return;
    this.idleTimer = timeout(this.options.clock, () => this.closeIfIdle(), ms);
  }

  private closeIfIdle(): void {
    if (this.disposed) return;
    if (this.busy > 0 || this.queue.length > 0) {
      this.touch();
      return;
    }
    const idle = this.idleSlots();
    if (idle.length > 0) this.options.log?.(`closing ${idle.length} idle connection${idle.length === 1 ? '' : 's'}: nothing used them for ${Math.round((this.options.idleCloseMs ?? 0) / 1000)} s`);
    for (const slot of idle) this.closeSlot(slot, 1000, 'idle');
    this.setState('idle');
  }

  /** Queues a response; its events go to `listener`. */
  request(body: OutgoingResponseCreate, listener: ResponseListener): ResponseHandle {
    this.touch();
    const job = newJob(encodeClientMessage(body), listener);
    this.queue.push(job);
    void this.pump();
    return { cancel: () => this.cancel(job), steer: (steer) => this.steer(job, steer) };
  }

  /**
   * Lets the responses on the wire finish on their own sockets, then closes
   * everything (settings changed: new requests go to a new channel, runs in
   * flight keep theirs).
   */
  retire(): void {
    this.retiring = true;
    this.disposeIfRetired();
  }

  private disposeIfRetired(): void {
    if (this.retiring && this.busy === 0 && this.queue.length === 0) this.dispose();
    else if (this.retiring) for (const idle of this.idleSlots()) this.closeSlot(idle, 1000, 'retired');
  }

  /** Ends every response (each gets a failure) and closes every socket. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.idleTimer?.dispose();
    this.owned.dispose();
    const shutDown: TransportFailure = { kind: 'dropped', code: 1001, message: 'the connection was shut down' };
    for (const job of this.queue.splice(0)) this.fail(job, shutDown);
    for (const slot of [...this.slots]) {
      if (slot.job) this.fail(slot.job, shutDown);
      slot.socket?.close(1000);
    }
    this.slots.clear();
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
      job: undefined,
      ready: this.options.factory.connect().then(
        (socket) => {
          if (this.disposed || !this.slots.has(slot)) {
            socket.close(1000);
            return undefined;
          }
          slot.socket = socket;
          socket.onClose = (code, reason) => this.onSocketClosed(slot, code, reason);
          return socket;
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          const cause: RetryCause = error instanceof ConnectError && error.status !== undefined ? { kind: 'http', status: error.status, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) } : { kind: 'network' };
          slot.error = { message, cause };
          this.slots.delete(slot);
          return undefined;
        },
      ),
    };
    this.slots.add(slot);
    return slot;
  }

  private idleSlots(): Slot[] {
    return [...this.slots].filter((s) => !s.job);
  }

  /** Keeps one idle socket opening or open beside the busy ones, and no more than a few. */
  private topUpSpare(): void {
    if (!this.options.spare || this.disposed || this.retiring) return;
    const idle = this.idleSlots();
    if (idle.length === 0 && this.slots.size < this.maxSockets() + 1) {
      const slot = this.open();
      void slot.ready.then((socket) => {
        if (!socket) this.options.log?.(`spare connection failed: ${slot.error?.message ?? 'unknown error'}`);
      });
    }
    for (const extra of idle.filter((s) => s.socket).slice(MAX_IDLE)) this.closeSlot(extra, 1000, 'idle');
  }

  private maxSockets(): number {
    return Math.max(1, this.options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  }

  /**
   * An idle, young, live socket for the next response; opens one when none
   * is idle, retrying by the retry policy. A connection that cannot be made
   * comes back as the failure the waiting response gets.
   */
  private async acquire(): Promise<Slot | TransportFailure> {
    for (let retries = 0; ; retries++) {
      for (const slot of this.idleSlots()) {
        if (slot.socket && this.options.clock.now() - slot.socket.openedAt > this.options.maxConnectionAgeMs) {
          this.stats.rotations++;
          this.options.log?.('rotating a connection before its age limit');
          this.closeSlot(slot, 1000, 'rotated');
        }
      }
      const idle = this.idleSlots();
      const slot = idle.find((s) => s.socket) ?? idle[0] ?? this.open();
      // Reserve it before awaiting, so two requests never share a socket.
      const placeholder = RESERVED;
      slot.job = placeholder;
      if (!slot.socket) {
        this.stats.coldRequests++;
        this.setState('connecting');
      }
      const socket = await slot.ready;
      if (slot.job === placeholder) slot.job = undefined;
      if (socket && slot.socket && this.slots.has(slot)) {
        this.setState('ready');
        return slot;
      }
      this.slots.delete(slot);
      const error = slot.error ?? { message: 'the connection closed', cause: { kind: 'network' } as const };
      const delay = this.disposed ? undefined : retryDelay(error.cause, retries, this.random, this.options.retry ?? RETRY_POLICY);
      if (delay === undefined) {
        this.setState('offline', error.message);
        const status = error.cause.kind === 'http' ? error.cause.status : undefined;
        return { kind: 'connect', message: error.message, ...(status === 401 || status === 403 ? { reason: 'unauthorized' as const } : {}) };
      }
      this.options.log?.(`connect failed (${error.message}); retrying in ${delay} ms`);
      if (!(await sleep(this.options.clock, delay, this.owned))) return { kind: 'connect', message: 'the connection was shut down' };
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.disposed) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.disposed) {
        if (this.busy >= this.maxSockets()) {
          for (const job of this.queue) {
            if (!job.queuedNoticeSent) {
              job.queuedNoticeSent = true;
              job.listener.onQueued?.();
            }
          }
          return;
        }
        const slotOrFailure = await this.acquire();
        const job = this.queue.shift();
        if (!job) {
          if ('ready' in slotOrFailure) this.topUpSpare();
          return;
        }
        if (!('ready' in slotOrFailure)) {
          this.fail(job, slotOrFailure);
          continue;
        }
        this.start(job, slotOrFailure);
      }
    } finally {
      this.pumping = false;
    }
  }

  private start(job: Job, slot: Slot): void {
    const socket = slot.socket!;
    slot.job = job;
    job.slot = slot;
    socket.onMessage = (data) => this.onFrame(job, data);
    this.topUpSpare();
    try {
      socket.send(job.text);
    } catch (error) {
      this.closeSlot(slot);
      this.fail(job, { kind: 'dropped', code: 1006, message: `send failed: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    job.listener.onSent(this.options.clock.now());
    this.armStall(job);
  }

  private steer(job: Job, body: OutgoingResponseSteer): boolean {
    const socket = job.slot?.socket;
    if (job.done || !socket || job.slot?.job !== job) return false;
    try {
      socket.send(encodeClientMessage(body));
    } catch {
      return false;
    }
    this.stats.steers++;
    job.steersPending++;
    return true;
  }

  private onFrame(job: Job, data: string | Uint8Array): void {
    if (job.done || job.slot?.job !== job) return;
    // Re-arming a timer per frame costs more than the frame itself at 20k tok/s: just note the time.
    job.lastActivity = this.options.clock.now();
    const decoded = decodeServerFrame(data, this.options.maxFrameBytes);
    if (!decoded.ok) {
      // After a bad frame the stream's state is unknown: retire the socket.
      this.closeSlot(job.slot);
      this.fail(job, { kind: 'protocol', message: `bad frame from the server: ${describeDecodeError(decoded.error)}` });
      return;
    }
    if (decoded.value.kind === 'unknown') return;
    const event = decoded.value.event;
    if (event.type === 'response.output_text.delta' && !job.sawOutput) {
      job.sawOutput = true;
      // The thinking budget is over: from here the (shorter) stall timeout applies.
      this.armStall(job);
    }
    if (event.type === 'error' && errorDetails(event).code === 'websocket_connection_limit_reached' && !job.sawOutput) {
      const delay = retryDelay({ kind: 'connectionLimit' }, job.limitRetries, this.random, this.options.retry ?? RETRY_POLICY);
      if (delay !== undefined) {
        // The service retired this connection: move to a fresh one and resend, unseen by the run.
        this.options.log?.('connection limit reached; retrying on a fresh connection');
        job.limitRetries++;
        this.stats.rotations++;
        // Back in line first: a retiring channel must not take this for its last response leaving.
        this.queue.unshift(job);
        this.release(job, true);
        void sleep(this.options.clock, delay, this.owned).then((awake) => {
          if (awake) void this.pump();
        });
        return;
      }
    }
    job.listener.onEvent(event);
    this.track(job, event);
  }

  /** Decides when a job is over: a terminal event, unless a steer will bring a successor. */
  private track(job: Job, event: KnownServerEvent): void {
    if (job.steersPending > 0) {
      if (event.type === 'response.created' && job.endedWhileSteering) {
        job.steersPending--;
        job.endedWhileSteering = false;
        return;
      }
      if (isTerminal(event) || event.type === 'error') {
        job.endedWhileSteering = true;
        return;
      }
      if (event.type === 'response.steer.failed') {
        job.steersPending--;
        if (event.error?.code === 'steering_not_supported') this.steeringRefused = true;
        if (job.steersPending === 0 && job.endedWhileSteering) this.complete(job);
      }
      return;
    }
    if (isTerminal(event) || event.type === 'error') this.complete(job);
  }

  private onSocketClosed(slot: Slot, code: number, reason: string): void {
    slot.socket = undefined;
    this.slots.delete(slot);
    const job = slot.job;
    if (job && job !== RESERVED && !job.done) {
      const message =
        code === 1009
          ? 'the server sent a frame larger than the allowed maximum'
          : `the connection dropped mid-response (code ${code}${reason ? `: ${reason}` : ''})`;
      this.fail(job, { kind: 'dropped', code, message });
    }
    this.topUpSpare();
  }

  private cancel(job: Job): void {
    if (job.done) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.done = true;
      return;
    }
    job.done = true;
    // No cancel message exists in this protocol: closing the socket is the cancel.
    this.release(job, true, 4000, 'cancelled');
    if (this.idleSlots().some((s) => s.socket)) this.stats.sparePromotions++;
    void this.pump();
  }

  /** Detaches a job from its socket; closes the socket when its stream cannot be trusted any more. */
  private release(job: Job, closeSocket: boolean, code = 4001, reason = 'closed by client'): void {
    this.clearStall(job);
    const slot = job.slot;
    job.slot = undefined;
    if (!slot || slot.job !== job) return;
    slot.job = undefined;
    if (closeSocket) this.closeSlot(slot, code, reason);
    else if (slot.socket) slot.socket.onMessage = () => undefined;
    this.topUpSpare();
    // A retired channel goes once its last response has left its socket.
    this.disposeIfRetired();
  }

  private closeSlot(slot: Slot | undefined, code = 4001, reason = 'closed by client'): void {
    if (!slot) return;
    this.slots.delete(slot);
    const socket = slot.socket;
    slot.socket = undefined;
    if (!socket) return;
    socket.onClose = () => undefined;
    socket.close(code, reason);
  }

  private armStall(job: Job): void {
    this.clearStall(job);
    job.lastActivity = this.options.clock.now();
    const budget = (): number => (job.sawOutput ? this.options.stallTimeoutMs : Math.max(this.options.stallTimeoutMs, this.options.firstOutputTimeoutMs ?? 0));
    const check = (): void => {
      if (job.done) return;
      const quietFor = this.options.clock.now() - job.lastActivity;
      const ms = budget();
      if (quietFor < ms) {
        job.stallTimer = this.options.clock.setTimeout(check, ms - quietFor);
        return;
      }
      job.stallTimer = undefined;
      this.release(job, true, 4002, 'stalled');
      const what = job.sawOutput ? 'sent nothing' : 'sent no output';
      this.fail(job, { kind: 'stalled', afterMs: ms, message: `the server ${what} for ${Math.round(ms / 1000)} s` });
    };
    job.stallTimer = this.options.clock.setTimeout(check, budget());
  }

  private clearStall(job: Job): void {
    if (job.stallTimer !== undefined) this.options.clock.clearTimeout(job.stallTimer);
    job.stallTimer = undefined;
  }

  /** The response ended on the wire; its socket is clean and goes back to the pool. */
  private complete(job: Job): void {
    if (job.done) return;
    job.done = true;
    this.release(job, false);
    void this.pump();
  }

  private fail(job: Job, failure: TransportFailure): void {
    if (job.done) return;
    job.done = true;
    this.release(job, true);
    job.listener.onFailure(failure);
    void this.pump();
  }
}

function newJob(text: string, listener: ResponseListener): Job {
  return {
    text,
    listener,
    done: false,
    slot: undefined,
    sawOutput: false,
    limitRetries: 0,
    steersPending: 0,
    endedWhileSteering: false,
    lastActivity: 0,
    stallTimer: undefined,
    queuedNoticeSent: false,
  };
}

/** Marks a slot taken while its handshake completes (never sent, never listened to). */
const RESERVED: Job = { ...newJob('', { onSent: () => undefined, onEvent: () => undefined, onFailure: () => undefined }), done: true };
