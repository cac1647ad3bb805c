import { z } from 'zod';

/*
 * Server events of the Responses WebSocket mode, as lenient as the official
 * SDK (`openai`, resources/responses/responses.d.ts): a field is required only
 * where the client reads it, unknown fields are dropped, unknown event types
 * pass through the codec as ignorable. `test/unit/core/sdkTypes.test.ts`
 * fails to compile when an event the SDK can deliver would not parse here.
 */

const optionalString = z.string().nullish();
/** Some backends send numeric codes; the client only ever compares strings. */
const ErrorCodeSchema = z.union([z.string(), z.number().transform(String)]).nullish();

/** Error body of a nested `error` event or of a failed response. */
export const ErrorBodySchema = z.object({
  type: optionalString,
  code: ErrorCodeSchema,
  message: optionalString,
  param: optionalString,
});

/** The response object embedded in lifecycle events; we read only what we use. */
export const ResponseObjectSchema = z.object({
  id: z.string().min(1),
  status: optionalString,
  model: optionalString,
  error: ErrorBodySchema.nullish(),
  incomplete_details: z.object({ reason: optionalString }).nullish(),
  usage: z.object({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).nullish(),
});

/** Every event may carry these; neither is read for correctness (order comes from the socket). */
const envelope = {
  sequence_number: z.number().optional(),
  /** The WebSocket lane of the request that caused the event, when it set one. */
  stream_id: z.string().optional(),
};

const lifecycle = <T extends string>(type: T) => z.object({ type: z.literal(type), response: ResponseObjectSchema, ...envelope });

export const ResponseCreatedSchema = lifecycle('response.created');
export const ResponseInProgressSchema = lifecycle('response.in_progress');
export const ResponseCompletedSchema = lifecycle('response.completed');
export const ResponseFailedSchema = lifecycle('response.failed');
export const ResponseIncompleteSchema = lifecycle('response.incomplete');

/**
 * An output item. A Codex model's answer can hold several: `reasoning`, a
 * `message` with `phase: "commentary"`, then the `message` with
 * `phase: "final_answer"`. Only final-answer (or phase-less) message text is code.
 */
const OutputItemSchema = z.object({
  id: optionalString,
  type: z.string(),
  phase: optionalString,
});

const itemRef = {
  item_id: optionalString,
  output_index: z.number().optional(),
  content_index: z.number().optional(),
};

export const OutputItemAddedSchema = z.object({ type: z.literal('response.output_item.added'), output_index: z.number().optional(), item: OutputItemSchema, ...envelope });
export const OutputItemDoneSchema = z.object({ type: z.literal('response.output_item.done'), output_index: z.number().optional(), item: OutputItemSchema, ...envelope });
export const OutputTextDeltaSchema = z.object({ type: z.literal('response.output_text.delta'), ...itemRef, delta: z.string(), ...envelope });
export const OutputTextDoneSchema = z.object({ type: z.literal('response.output_text.done'), ...itemRef, text: optionalString, ...envelope });
export const RefusalDeltaSchema = z.object({ type: z.literal('response.refusal.delta'), ...itemRef, delta: z.string(), ...envelope });
export const RefusalDoneSchema = z.object({ type: z.literal('response.refusal.done'), ...itemRef, refusal: optionalString, ...envelope });
/** Reasoning summaries are shown as progress, never written into the buffer. */
export const ReasoningSummaryDeltaSchema = z.object({ type: z.literal('response.reasoning_summary_text.delta'), ...itemRef, delta: z.string(), ...envelope });

/**
 * Both error shapes the SDK models: nested (`ResponseWsError`,
 * `{"type":"error","error":{code,message,…}}`) and flat
 * (`ResponseWsStreamingError`, `{"type":"error","code","message","param"}`).
 * `errorDetails` reads either.
 */
export const ErrorEventSchema = z.object({
  type: z.literal('error'),
  status: z.number().optional(),
  error: ErrorBodySchema.nullish(),
  code: ErrorCodeSchema,
  message: optionalString,
  param: optionalString,
  ...envelope,
});

const SteerRefSchema = z.object({ id: optionalString, previous_response_id: optionalString });
/** Steering input was queued; the successor's `response.created` commits it. */
export const SteerAcceptedSchema = z.object({ type: z.literal('response.steer.accepted'), steer: SteerRefSchema.optional(), ...envelope });
/** Steering input was refused or could not be committed: fall back to a new request. */
export const SteerFailedSchema = z.object({
  type: z.literal('response.steer.failed'),
  error: z.object({ code: ErrorCodeSchema, message: optionalString }).nullish(),
  steer: SteerRefSchema.optional(),
  ...envelope,
});

export const KnownServerEventSchema = z.discriminatedUnion('type', [
  ResponseCreatedSchema,
  ResponseInProgressSchema,
  ResponseCompletedSchema,
  ResponseFailedSchema,
  ResponseIncompleteSchema,
  OutputItemAddedSchema,
  OutputItemDoneSchema,
  OutputTextDeltaSchema,
  OutputTextDoneSchema,
  RefusalDeltaSchema,
  RefusalDoneSchema,
  ReasoningSummaryDeltaSchema,
  ErrorEventSchema,
  SteerAcceptedSchema,
  SteerFailedSchema,
]);
export type KnownServerEvent = z.infer<typeof KnownServerEventSchema>;
export type ServerEventType = KnownServerEvent['type'];
export const KNOWN_SERVER_EVENT_TYPES: ReadonlySet<string> = new Set(KnownServerEventSchema.options.map((o) => o.shape.type.value));

export type ErrorEvent = Extract<KnownServerEvent, { type: 'error' }>;
export type TerminalEvent = Extract<KnownServerEvent, { type: 'response.completed' | 'response.failed' | 'response.incomplete' }>;
export const isTerminal = (e: KnownServerEvent): e is TerminalEvent =>
  e.type === 'response.completed' || e.type === 'response.failed' || e.type === 'response.incomplete';

export interface ErrorDetails {
  readonly code: string | undefined;
  readonly message: string;
}

/** The code and message of an `error` event, whichever shape it came in. */
export function errorDetails(event: ErrorEvent): ErrorDetails {
  const code = event.error?.code ?? event.code ?? undefined;
  const message = event.error?.message ?? event.message ?? 'the server reported an error without a message';
  return { code: code ?? undefined, message };
}

/** Why a response ended incomplete; `steered` means a steer cut it at a safe boundary. */
export const incompleteReason = (event: Extract<KnownServerEvent, { type: 'response.incomplete' }>): string | undefined =>
  event.response.incomplete_details?.reason ?? undefined;

/** Only final-answer (or phase-less) message text is code: reasoning and a Codex model's commentary never reach the buffer. */
export const isCodeItem = (item: z.infer<typeof OutputItemSchema>): boolean =>
  item.type === 'message' && (item.phase === 'final_answer' || item.phase === undefined || item.phase === null);

/** The keys an output item is known by: its id, and `#output_index` for servers that omit ids. */
export function itemKeys(itemId: string | null | undefined, outputIndex: number | undefined): string[] {
  const keys: string[] = [];
  if (itemId) keys.push(itemId);
  if (outputIndex !== undefined) keys.push(`#${outputIndex}`);
  return keys;
}

/** Whether a delta belongs to one of the items of `keys`: a delta naming its item is judged by the item alone, else by its index. */
export function isAmong(keys: readonly string[], itemId: string | null | undefined, outputIndex: number | undefined): boolean {
  if (itemId) return keys.includes(itemId);
  return outputIndex !== undefined && keys.includes(`#${outputIndex}`);
}
