import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { CHATGPT_CODEX_WS, checkEndpoint, LOCAL_ENDPOINT, type Settings } from '../../core/config/settings';
import { DEFAULT_MAX_FRAME_BYTES } from '../../core/protocol/codec';
import { err, ok, type Result } from '../../core/result';
import type { ConnectFailure, Connector, RequestSender } from '../../core/session/runController';
import { codexHeaders } from '../../core/transport/codexHeaders';
import { ResponseChannel, type ChannelState, type ChannelStats } from '../../core/transport/responseChannel';
import { createWsSocketFactory, redactUrl } from '../../core/transport/wsTransport';
import { startSparkServer, type SparkServer } from '../../server/server';
import type { ApiKeyStore } from './apiKey';
import type { DestinationGuard } from './destinations';
import type { Log } from '../platform/log';

/**
 * Owns the connection pool for the current settings and key, and the bundled
 * local server when the endpoint is `local`. A settings or key change retires
 * the pool: runs in flight finish on their own sockets, new runs get a new one.
 */
export class ConnectionManager implements vscode.Disposable, Connector {
  private channel: ResponseChannel | undefined;
  /** Pools retired by a settings change, finishing the runs still on them. */
  private readonly retired = new Set<ResponseChannel>();
  private signature: string | undefined;
  private local: Promise<SparkServer> | undefined;
  private readonly sessionId = randomUUID();
  private readonly stateChanged = new vscode.EventEmitter<{ state: ChannelState; detail: string | undefined }>();
  readonly onDidChangeState = this.stateChanged.event;

  constructor(
    private readonly settings: () => Settings,
    private readonly keys: ApiKeyStore,
    private readonly destinations: DestinationGuard,
    private readonly log: Log,
    private readonly clock: Clock,
    /** The extension's version, as the Codex backend is told. */
    private readonly clientVersion: string,
  ) {}

  /** The local server's URL when one runs (tests and the demo read it). */
  async localServerUrl(): Promise<string | undefined> {
    return this.local ? (await this.local).url : undefined;
  }

  /** The pool for the current settings and key (Connector: where a run's requests go). */
  async connect(): Promise<Result<RequestSender, ConnectFailure>> {
    const ensured = await this.ensure();
    return ensured.ok ? ok(ensured.value.channel) : ensured;
  }

  async ensure(): Promise<Result<{ channel: ResponseChannel; url: string }, ConnectFailure>> {
    const settings = this.settings();
    // Where the key may go: a workspace's own choice of destination waits for the user's approval.
    const destination = this.destinations.resolve(settings);
    if (!destination.ok) return err({ reason: 'needsApproval', message: destination.error.message });
    const { endpoint, allowInsecure, codexAccountId } = destination.value;
    const check = checkEndpoint(endpoint, allowInsecure);
    if (!check.ok) return err({ reason: 'badEndpoint', message: check.error });
    let url: string;
    const headers: Record<string, string> = {};
    if (endpoint === LOCAL_ENDPOINT) {
      const server = await this.startLocal();
      if (!server.ok) return err({ reason: 'localServer', message: server.error });
      url = server.value.url;
    } else {
      url = check.value.url;
      const key = await this.keys.get();
      this.log.addSecret(key);
      if (!key && !check.value.local) return err({ reason: 'needsKey', message: `Spark Edit needs an API key for ${redactUrl(url)}.` });
      if (key) headers.Authorization = `Bearer ${key}`;
      if (url.startsWith(CHATGPT_CODEX_WS)) Object.assign(headers, codexHeaders(codexAccountId, this.sessionId, this.clientVersion));
    }
    Object.assign(headers, destination.value.headers);
    const signature = JSON.stringify([url, headers, settings.stallTimeoutMs, settings.firstOutputTimeoutMs, settings.idleDisconnectSeconds]);
    if (this.channel && this.signature === signature) return ok({ channel: this.channel, url });
    this.retireChannel();
    this.signature = signature;
    this.log.info(`connecting to ${redactUrl(url)}`);
    this.channel = new ResponseChannel({
      factory: createWsSocketFactory({ url, headers, handshakeTimeoutMs: 10_000, maxPayloadBytes: DEFAULT_MAX_FRAME_BYTES, heartbeatMs: 15_000 }),
      clock: this.clock,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      stallTimeoutMs: settings.stallTimeoutMs,
      firstOutputTimeoutMs: settings.firstOutputTimeoutMs,
      maxConnectionAgeMs: 55 * 60_000,
      idleCloseMs: settings.idleDisconnectSeconds * 1000,
      spare: true,
      onStateChange: (state, detail) => {
        this.stateChanged.fire({ state, detail });
        if (detail) this.log.warn(`connection ${state}: ${detail}`);
      },
      log: (m) => this.log.info(m),
    });
    return ok({ channel: this.channel, url });
  }

  /** The current pool's counters (tests and benchmarks read them). */
  stats(): Readonly<ChannelStats> | undefined {
    return this.channel?.stats;
  }

  /** Opens a socket ahead of the first request, quietly. */
  async warm(): Promise<void> {
    const result = await this.ensure();
    if (result.ok) await result.value.channel.warm();
  }

  /** Settings or key changed: runs in flight keep their sockets, the next run connects anew (and an old connection error no longer holds). */
  reset(): void {
    this.retireChannel();
    this.signature = undefined;
    this.stateChanged.fire({ state: 'idle', detail: undefined });
  }

  private retireChannel(): void {
    if (!this.channel) return;
    this.channel.retire();
    if (!this.channel.isDisposed) this.retired.add(this.channel);
    this.channel = undefined;
  }

  /** What is still open: sockets of every pool, and the bundled server. */
  resources(): { sockets: number; localServer: boolean } {
    for (const c of this.retired) if (c.isDisposed) this.retired.delete(c);
    const pools = [...this.retired, ...(this.channel ? [this.channel] : [])];
    return { sockets: pools.reduce((n, c) => n + c.openSockets, 0), localServer: this.local !== undefined };
  }

  /** The bundled server, started once; its speed comes with each request (see LocalSpeed). */
  private async startLocal(): Promise<Result<SparkServer, string>> {
    this.local ??= (async () => {
      const server = await startSparkServer({ port: 0, timing: { ttftMs: 60 }, control: true }, (m) => this.log.info(`[local server] ${m}`));
      this.log.info(`started the bundled reference server at ${server.url}`);
      return server;
    })();
    try {
      return ok(await this.local);
    } catch (error) {
      this.local = undefined;
      const message = `could not start the local server: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error(message);
      return err(message);
    }
  }

  private closing: Promise<void> | undefined;

  /** Closes every socket and waits for the bundled server to stop. Idempotent: a second call waits for the same close. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.channel?.dispose();
    this.channel = undefined;
    for (const c of this.retired) c.dispose();
    this.retired.clear();
    const local = this.local;
    this.local = undefined;
    if (local) await local.then((s) => s.close()).catch(() => undefined);
  }

  dispose(): void {
    void this.close();
    this.stateChanged.dispose();
  }
}
