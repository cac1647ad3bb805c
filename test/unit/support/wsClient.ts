import WebSocket from 'ws';

export interface Frame {
  readonly raw: string;
  readonly json: Record<string, unknown> | undefined;
}

/** A bare protocol client for server tests: sends frames, records every frame received. */
export class RawClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const raw = (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      this.frames.push({ raw, json });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  types(): string[] {
    return this.frames.map((f) => (f.json?.type as string | undefined) ?? '(not json)');
  }

  text(): string {
    return this.frames.filter((f) => f.json?.type === 'response.output_text.delta').map((f) => f.json!.delta as string).join('');
  }

  /** Waits until `predicate` holds (checked on every frame and close), or fails after `ms`. */
  async until(predicate: () => boolean, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${this.types().join(', ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  untilTerminal(ms?: number): Promise<void> {
    return this.until(() => this.frames.some((f) => ['response.completed', 'response.failed', 'response.incomplete', 'error'].includes(f.json?.type as string)) || this.closed !== undefined, ms);
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
