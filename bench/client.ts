import { RETRY_POLICY } from '../src/core/transport/retryPolicy';
import { ok } from '../src/core/result';
import { systemClock, type Clock } from '../src/core/clock';
import { DocumentSync } from '../src/core/edit/documentSync';
import { DEFAULT_MAX_FRAME_BYTES } from '../src/core/protocol/codec';
import { RunController, type RequestSender, type RunView } from '../src/core/session/runController';
import { ResponseChannel } from '../src/core/transport/responseChannel';
import type { Socket, SocketFactory } from '../src/core/transport/socket';
import { createWsSocketFactory } from '../src/core/transport/wsTransport';
import { MemoryDocument } from '../test/unit/support/memoryDocument';

/** Records when sockets close (to time cancellation) and what went out on them (to time decisions). */
export interface SocketLog {
  closedAt: number[];
  sent?: { at: number; type: string }[];
}

function observed(factory: SocketFactory, log: SocketLog, clock: Clock): SocketFactory {
  return {
    connect: async () => {
      const socket = await factory.connect();
      const close = socket.close.bind(socket);
      const send = socket.send.bind(socket);
      const wrapped: Socket = Object.assign(socket, {
        close: (code?: number, reason?: string) => {
          log.closedAt.push(clock.now());
          close(code, reason);
        },
        send: (text: string) => {
          send(text);
          log.sent?.push({ at: clock.now(), type: /"type":"([^"]+)"/.exec(text)?.[1] ?? '?' });
        },
      });
      return wrapped;
    },
  };
}

export function makeChannel(url: string, options: { spare: boolean; socketLog?: SocketLog }): ResponseChannel {
  let factory = createWsSocketFactory({ url, headers: {}, handshakeTimeoutMs: 5_000, maxPayloadBytes: DEFAULT_MAX_FRAME_BYTES, heartbeatMs: 30_000 });
  if (options.socketLog) factory = observed(factory, options.socketLog, systemClock);
  return new ResponseChannel({
    factory,
    clock: systemClock,
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    stallTimeoutMs: 30_000,
    maxConnectionAgeMs: 55 * 60_000,
    retry: { ...RETRY_POLICY, maxRetries: 0 },
    spare: options.spare,
  });
}

export interface RunHandle {
  readonly run: RunController;
  readonly doc: MemoryDocument;
  readonly startedAt: number;
  /** When the run reached review or ended. */
  readonly done: Promise<number>;
  /** Times at which model edits landed in the document. */
  readonly editTimes: number[];
  /** Milliseconds spent inside the in-memory document applying edits (the editor's work, not the client's). */
  readonly documentMs: () => number;
  readonly sync: DocumentSync;
}

const quiet: RunView = { update: () => undefined, report: () => undefined, ended: () => undefined };

let nextRun = 0;

/**
 * One run of the real controller against an in-memory document whose edits
 * land on the next microtask, or `roundTripMs` after they are sent (an
 * editor's round trip, as the decision figures need).
 */
export function startRun(
  channel: RequestSender,
  text: string,
  instruction: string,
  flushIntervalMs = 16,
  roundTripMs?: number,
  options: { region?: { start: number; end: number }; preview?: boolean; promptCacheKey?: string } = {},
): RunHandle {
  const doc = new MemoryDocument(text, '\n', roundTripMs === undefined);
  if (roundTripMs !== undefined) {
    const apply = doc.apply.bind(doc);
    doc.apply = (edits, version, stops) => {
      const landed = apply(edits, version, stops);
      setTimeout(() => doc.deliver(), roundTripMs);
      return landed;
    };
  }
  const sync = new DocumentSync(doc, systemClock, flushIntervalMs, doc.version);
  const editTimes: number[] = [];
  doc.onChange((version, changes) => {
    sync.onDocumentChange(version, changes);
  });
  const originalDeliver = doc.deliver.bind(doc);
  let documentMs = 0;
  doc.deliver = () => {
    const before = doc.modelEditVersions.length;
    const started = performance.now();
    const delivered = originalDeliver();
    const now = performance.now();
    documentMs += now - started;
    if (doc.modelEditVersions.length > before) editTimes.push(now);
    return delivered;
  };
  let resolveDone: (at: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const view: RunView = {
    ...quiet,
    update: () => {
      // The controller reports its first transition from inside its constructor.
      if (run?.phase === 'review') resolveDone(performance.now());
    },
    ended: () => resolveDone(performance.now()),
  };
  const startedAt = performance.now();
  let run: RunController | undefined = undefined;
  const started = RunController.start(
    {
      id: `bench-${nextRun++}`,
      instruction,
      region: options.region ?? { start: 0, end: text.length },
      model: 'bench',
      contextTokens: options.region ? 32_000 : 128_000,
      policy: { onType: 'cancel', redirectPauseMs: 500 },
      applyMode: 'stream',
      preview: options.preview ?? false,
      ...(options.promptCacheKey ? { promptCacheKey: options.promptCacheKey } : {}),
    },
    doc,
    sync,
    { connect: () => Promise.resolve(ok(channel)) },
    view,
    systemClock,
  );
  if (!started.ok) throw new Error(started.error);
  run = started.value;
  return { run, doc, startedAt, done, editTimes, documentMs: () => documentMs, sync };
}

/** Code-like text of about `chars` characters. */
export function codeText(chars: number, seed = 1): string {
  const lines: string[] = [];
  let size = 0;
  let i = seed;
  while (size < chars) {
    const line = `  const value${i % 97} = compute(items[${i}], "label ${i % 13}"); // step ${i}`;
    lines.push(line);
    size += line.length + 1;
    i++;
  }
  return lines.join('\n').slice(0, chars - 1) + '\n';
}
