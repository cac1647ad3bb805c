/** What the reference server counts; tests and benchmarks read it from GET /__spark/stats. */
export interface ServerStats {
  connections: number;
  responses: number;
  /** Generations currently producing tokens. */
  activeGenerations: number;
  /** Generations stopped because their socket closed. */
  abortedGenerations: number;
  tokensSent: number;
  /** Wall-clock time (epoch ms) the latest token was written, and the latest generation stopped by its client: latency benchmarks compare these with the browser's paint times. */
  lastTokenAt: number;
  lastAbortAt: number;
  /** Wall-clock time the latest response.create arrived, and the latest generation's first token was written. */
  lastRequestAt: number;
  lastFirstTokenAt: number;
  /** `response.steer` events accepted, and responses that ended `steered`. */
  steersAccepted: number;
  steered: number;
  /** Connections ever opened, and handshakes refused (a wrong or missing key): a client that retries a 401 shows here. */
  connectionsOpened: number;
  handshakesRefused: number;
  /** Input tokens of every request, and how many of them a repeated prefix under the same prompt_cache_key served. */
  inputTokens: number;
  cachedInputTokens: number;
  /** The latest request's input as text (at most 64 KiB): tests read what a client really sent. */
  lastInput: string;
  /** The latest requests and steers as they arrived (wall clock, epoch ms), newest last: tests time a decision by these. */
  arrivals: ArrivalStamp[];
}

/** One `response.create` or `response.steer` as the server received it. */
export interface ArrivalStamp {
  readonly at: number;
  readonly kind: 'create' | 'steer';
  readonly instruction: string;
}

const MAX_ARRIVALS = 50;

/** Notes an arrival in the stats, keeping the latest few. */
export function noteArrival(stats: ServerStats, stamp: ArrivalStamp): void {
  stats.arrivals.push(stamp);
  if (stats.arrivals.length > MAX_ARRIVALS) stats.arrivals.splice(0, stats.arrivals.length - MAX_ARRIVALS);
}

