import type { z } from 'zod';
import { err, ok, type Result } from '../result';
import { ClientMessageSchema, type ClientMessage, type OutgoingResponseCreate, type OutgoingResponseSteer, type ResponseCreate } from './clientEvents';
import { KNOWN_SERVER_EVENT_TYPES, KnownServerEventSchema, type KnownServerEvent } from './serverEvents';

/** 16 MiB: far above any delta, low enough that a runaway frame cannot exhaust the host. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export type DecodeError =
  | { readonly kind: 'oversized'; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'malformed_json'; readonly detail: string }
  | { readonly kind: 'schema'; readonly eventType: string | undefined; readonly detail: string };

/** An event we do not know: ignorable by contract, never fatal. */
export interface UnknownEvent {
  readonly type: string;
  readonly unknown: true;
}

export type Decoded = { readonly kind: 'event'; readonly event: KnownServerEvent } | { readonly kind: 'unknown'; readonly event: UnknownEvent };

export function describeDecodeError(e: DecodeError): string {
  switch (e.kind) {
    case 'oversized':
      return `frame of ${e.bytes} bytes exceeds the ${e.limit}-byte limit`;
    case 'malformed_json':
      return `frame is not valid JSON (${e.detail})`;
    case 'schema':
      return `${e.eventType ?? 'frame without a type'} does not match the protocol: ${e.detail}`;
  }
}

function frameLength(frame: string | Uint8Array): number {
  // A JS string's length is a lower bound on its UTF-8 size; good enough for a
  // guard against runaway frames, and O(1).
  return typeof frame === 'string' ? frame.length : frame.byteLength;
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function parseJson(frame: string | Uint8Array): Result<unknown, DecodeError> {
  const text = typeof frame === 'string' ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8');
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return err({ kind: 'malformed_json', detail: e instanceof Error ? e.message : String(e) });
  }
}

const typeOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
    ? (value as { type: string }).type
    : undefined;

/** Turns one server frame into a typed event. Never throws. */
export function decodeServerFrame(frame: string | Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): Result<Decoded, DecodeError> {
  const bytes = frameLength(frame);
  if (bytes > maxBytes) return err({ kind: 'oversized', bytes, limit: maxBytes });
  const json = parseJson(frame);
  if (!json.ok) return json;
  const type = typeOf(json.value);
  if (type === undefined) return err({ kind: 'schema', eventType: undefined, detail: 'missing string field "type"' });
  if (!KNOWN_SERVER_EVENT_TYPES.has(type)) return ok({ kind: 'unknown', event: { type, unknown: true } });
  const parsed = KnownServerEventSchema.safeParse(json.value);
  if (!parsed.success) return err({ kind: 'schema', eventType: type, detail: summarize(parsed.error) });
  return ok({ kind: 'event', event: parsed.data });
}

type ClientDecodeError = DecodeError & { param?: string; missing?: boolean };

function decodeClientValue(value: unknown): Result<ClientMessage, ClientDecodeError> {
  const parsed = ClientMessageSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const missing = first?.code === 'invalid_type' && first.input === undefined;
    return err({ kind: 'schema', eventType: typeOf(value), detail: summarize(parsed.error), param: first?.path.join('.'), missing });
  }
  return ok(parsed.data);
}

/** Server side: turns one client frame into a typed message. Never throws. */
export function decodeClientFrame(frame: string | Uint8Array, maxBytes = DEFAULT_MAX_FRAME_BYTES): Result<ClientMessage, ClientDecodeError> {
  const bytes = frameLength(frame);
  if (bytes > maxBytes) return err({ kind: 'oversized', bytes, limit: maxBytes });
  const json = parseJson(frame);
  return json.ok ? decodeClientValue(json.value) : json;
}

/**
 * Server side: the body of `POST /v1/responses`, which is a `response.create`
 * without its `type` (the HTTP API has no steer). Never throws.
 */
export function decodeResponsesBody(body: string, maxBytes = DEFAULT_MAX_FRAME_BYTES): Result<ResponseCreate, ClientDecodeError> {
  const bytes = frameLength(body);
  if (bytes > maxBytes) return err({ kind: 'oversized', bytes, limit: maxBytes });
  const json = parseJson(body);
  if (!json.ok) return json;
  if (typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) return err({ kind: 'schema', eventType: undefined, detail: 'the body must be a JSON object' });
  const decoded = decodeClientValue({ ...json.value, type: 'response.create' });
  return decoded.ok && decoded.value.type === 'response.create' ? ok(decoded.value) : decoded.ok ? err({ kind: 'schema', eventType: undefined, detail: 'not a response' }) : decoded;
}

export const encodeClientMessage = (message: OutgoingResponseCreate | OutgoingResponseSteer): string => JSON.stringify(message);
