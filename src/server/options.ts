import { z } from 'zod';
import { err, ok, type Result } from '../core/result';

/** A fault the server can inject into a response (flag `--fault`, or per request in metadata `spark_fault`). */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('drop'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('error'), after: z.number().int().nonnegative() }),
  /** The flat streaming error shape (`{"type":"error","code","message","param"}`). */
  z.object({ kind: z.literal('error_flat'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('failed'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('incomplete'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('malformed'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('oversized'), after: z.number().int().nonnegative(), bytes: z.number().int().positive() }),
  z.object({ kind: z.literal('unknown_event'), after: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('stall'), after: z.number().int().nonnegative(), ms: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('connection_limit') }),
  z.object({ kind: z.literal('previous_not_found') }),
  /** A patch answer (patch format) whose first hunk's context matches nothing in the region. */
  z.object({ kind: z.literal('bad_patch') }),
]);
export type Fault = z.infer<typeof FaultSchema>;

const DEFAULT_OVERSIZED_BYTES = 20 * 1024 * 1024;

/**
 * Parses "drop:20", "stall:10:10000" (after 10 tokens, 10 s), "oversized:5",
 * "connection_limit", "previous_not_found", "none".
 */
export function parseFault(spec: string): Result<Fault, string> {
  const [kind = '', a, b] = spec.trim().split(':');
  const n = (v: string | undefined, fallback: number): number => (v === undefined || v === '' ? fallback : Number(v));
  const raw: Record<string, unknown> = { kind };
  if (['drop', 'error', 'error_flat', 'failed', 'incomplete', 'malformed', 'unknown_event'].includes(kind)) raw.after = n(a, 0);
  if (kind === 'oversized') Object.assign(raw, { after: n(a, 0), bytes: n(b, DEFAULT_OVERSIZED_BYTES) });
  if (kind === 'stall') Object.assign(raw, { after: n(a, 0), ms: n(b, 10_000) });
  const parsed = FaultSchema.safeParse(raw);
  return parsed.success ? ok(parsed.data) : err(`unknown fault "${spec}" (try drop:N, error:N, error_flat:N, failed:N, incomplete:N, malformed:N, oversized:N[:BYTES], unknown_event:N, stall:N[:MS], connection_limit, previous_not_found, bad_patch)`);
}

/**
 * What the output looks like: `plain` (one message), `codex` (a reasoning
 * item, a commentary message, then the final-answer message, as gpt-5.x-codex
 * models stream), or `refusal` (a message whose content is a refusal).
 */
export const OutputShapeSchema = z.enum(['plain', 'codex', 'refusal']);
export type OutputShape = z.infer<typeof OutputShapeSchema>;

export const TimingSchema = z.object({
  ttftMs: z.number().min(0).max(60_000).default(80),
  tokensPerSecond: z.number().positive().max(1_000_000).default(1_000),
  /** Each delivery may slip by up to this many ms (bursts, like a real network); the average rate holds. */
  jitterMs: z.number().min(0).max(1_000).default(0),
  tokenChars: z.number().int().min(1).max(1_000).default(4),
  /** Cut tokens by UTF-16 code units, splitting surrogate pairs as a careless server would (tests the client's holdback). */
  cutCodeUnits: z.boolean().default(false),
});
export type Timing = z.infer<typeof TimingSchema>;

export const ServerOptionsSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  /** When set, clients must send `Authorization: Bearer <apiKey>`. */
  apiKey: z.string().min(1).optional(),
  timing: TimingSchema.default(TimingSchema.parse({})),
  fault: FaultSchema.default({ kind: 'none' }),
  shape: OutputShapeSchema.default('plain'),
  /** Accept `response.steer`; when false it is refused with `steering_not_supported`. */
  steering: z.boolean().default(true),
  /** OpenAI-compatible HTTP base URL (llama.cpp, Ollama, vLLM, Cerebras): bridge instead of the built-in engine. */
  backend: z.url().optional(),
  backendModel: z.string().optional(),
  backendApiKey: z.string().optional(),
  maxConnections: z.number().int().positive().default(64),
  maxPayloadBytes: z.number().int().positive().default(32 * 1024 * 1024),
  /** Serve POST /__spark/control (tests set faults for the next responses). Loopback only. */
  control: z.boolean().default(false),
  allowRemote: z.boolean().default(false),
  verbose: z.boolean().default(false),
});
export type ServerOptions = z.infer<typeof ServerOptionsSchema>;
export type ServerOptionsInput = z.input<typeof ServerOptionsSchema>;
