import * as vscode from 'vscode';
import type { Clock } from '../core/clock';
import { CHATGPT_CODEX_WS, checkEndpoint, LOCAL_ENDPOINT, type Settings } from '../core/config/settings';
import { DEFAULT_MAX_FRAME_BYTES } from '../core/protocol/codec';
import { ResponseChannel } from '../core/transport/responseChannel';
import { createWsSocketFactory, redactUrl } from '../core/transport/wsTransport';
import { startSparkServer, type SparkServer } from '../server/server';
import type { ApiKeyStore } from './apiKey';
import type { Log } from './log';
import type { StatusBar } from './statusBar';

export type ConnectResult =
  | { readonly ok: true; readonly channel: ResponseChannel; readonly url: string }
  | { readonly ok: false; readonly reason: 'needsKey' | 'badEndpoint'; readonly message: string };

const CODEX_BETA_HEADER = { 'OpenAI-Beta': 'responses_websockets=2026-02-06' };

/**
 * Owns the one persistent channel (active + spare socket) for the current
 * settings and key, and the bundled local server when the endpoint is `local`.
 * Settings or key changes rebuild it; runs in flight keep their old one.
 */
export class ConnectionManager implements vscode.Disposable {
  private channel: ResponseChannel | undefined;
  private signature: string | undefined;
  private local: Promise<SparkServer> | undefined;
  private localTps: number | undefined;

  constructor(
    private readonly settings: () => Settings,
    private readonly keys: ApiKeyStore,
    private readonly log: Log,
    private readonly status: StatusBar,
    private readonly clock: Clock,
  ) {}

  /** The local server's URL when one runs (tests and the demo read it). */
  async localServerUrl(): Promise<string | undefined> {
    return this.local ? (await this.local).url : undefined;
  }

  async ensure(): Promise<ConnectResult> {
    const settings = this.settings();
    const check = checkEndpoint(settings.endpoint, settings.allowInsecure);
    if (!check.ok) return { ok: false, reason: 'badEndpoint', message: check.message };
    let url: string;
    const headers: Record<string, string> = { ...settings.headers };
    if (settings.endpoint === LOCAL_ENDPOINT) {
      url = (await this.startLocal(settings.localTokensPerSecond)).url;
    } else {
      url = check.url;
      const key = await this.keys.get();
      this.log.addSecret(key);
      if (!key && !check.local) {
        return { ok: false, reason: 'needsKey', message: `Spark Edit needs an API key for ${redactUrl(url)}.` };
      }
      if (key) headers.Authorization = `Bearer ${key}`;
      if (url.startsWith(CHATGPT_CODEX_WS)) Object.assign(headers, CODEX_BETA_HEADER, settings.headers);
    }
    const signature = JSON.stringify([url, headers, settings.stallTimeoutMs]);
    if (this.channel && this.signature === signature) return { ok: true, channel: this.channel, url };
    this.channel?.dispose();
    this.signature = signature;
    this.log.info(`connecting to ${redactUrl(url)}`);
    this.channel = new ResponseChannel({
      factory: createWsSocketFactory({ url, headers, handshakeTimeoutMs: 10_000, maxPayloadBytes: DEFAULT_MAX_FRAME_BYTES, heartbeatMs: 15_000 }),
      clock: this.clock,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      stallTimeoutMs: settings.stallTimeoutMs,
      maxConnectionAgeMs: 55 * 60_000,
      connectAttempts: 3,
      spare: true,
      onStateChange: (state, detail) => {
        this.status.setConnection(state, detail);
        if (detail) this.log.warn(`connection ${state}: ${detail}`);
      },
      log: (m) => this.log.info(m),
    });
    return { ok: true, channel: this.channel, url };
  }

  /** Opens the sockets ahead of the first request, quietly. */
  async warm(): Promise<void> {
    const result = await this.ensure();
    if (result.ok) await result.channel.warm();
  }

  /** Forget the channel (settings or key changed); the next run builds a new one. */
  reset(): void {
    this.channel?.dispose();
    this.channel = undefined;
    this.signature = undefined;
  }

  private startLocal(tokensPerSecond: number): Promise<SparkServer> {
    if (this.local && this.localTps === tokensPerSecond) return this.local;
    const previous = this.local;
    this.localTps = tokensPerSecond;
    this.local = (async () => {
      if (previous) await (await previous).close();
      const server = await startSparkServer({ port: 0, timing: { tokensPerSecond, ttftMs: 60 }, control: true }, (m) => this.log.info(`[local server] ${m}`));
      this.log.info(`started the bundled reference server at ${server.url} (${tokensPerSecond} tok/s)`);
      return server;
    })();
    this.local.catch((error: unknown) => {
      this.log.error(`could not start the local server: ${String(error)}`);
      this.local = undefined;
    });
    return this.local;
  }

  dispose(): void {
    this.channel?.dispose();
    void this.local?.then((s) => s.close());
  }
}
