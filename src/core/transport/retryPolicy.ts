/**
 * The one retry policy: connecting, resuming a dropped stream, and moving
 * off a connection the service retired all ask it. Pure: the random source
 * is passed in, the caller waits on its own clock.
 */

/** What went wrong, as far as retrying is concerned. */
export type RetryCause =
  /** The handshake was answered with an HTTP status (and maybe Retry-After). */
  | { readonly kind: 'http'; readonly status: number; readonly retryAfterMs?: number }
  /** Refused, reset, timed out, dropped mid-stream: a blip may pass. */
  | { readonly kind: 'network' }
  /** The service retired the connection (`websocket_connection_limit_reached`): a fresh one works at once. */
  | { readonly kind: 'connectionLimit' }
  /** A frame refused, bad data, a stall, a shut-down client: retrying cannot help. */
  | { readonly kind: 'final' };

export interface RetryPolicy {
  /** Retries after the first failure, at most. */
  readonly maxRetries: number;
  /** Backoff: full jitter under min(maxMs, baseMs * 2^retry). */
  readonly baseMs: number;
  readonly maxMs: number;
  /** A server that asks for a longer wait than this is not retried: the user is told instead. */
  readonly maxRetryAfterMs: number;
}

export const RETRY_POLICY: RetryPolicy = { maxRetries: 2, baseMs: 250, maxMs: 4_000, maxRetryAfterMs: 20_000 };

/**
 * How long to wait before retrying, after `retries` retries already made;
 * undefined: do not retry. 401 and 403 never (the key is wrong, asking again
 * changes nothing); 429 and 5xx after their Retry-After when they give one
 * (else backoff); other 4xx never; network failures back off with jitter.
 */
export function retryDelay(cause: RetryCause, retries: number, random: () => number, policy: RetryPolicy = RETRY_POLICY): number | undefined {
  if (cause.kind === 'final') return undefined;
  if (cause.kind === 'connectionLimit') return retries === 0 ? 0 : undefined;
  if (retries >= policy.maxRetries) return undefined;
  if (cause.kind === 'http') {
    const { status, retryAfterMs } = cause;
    if (status !== 429 && status < 500) return undefined;
    if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : undefined;
  }
  return Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** retries));
}

/**
 * A Retry-After header: seconds, or an HTTP date (relative to `now`, epoch
 * milliseconds). Undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
