import { z } from 'zod';

/** Error body shared by `error` events and failed responses. */
export const ErrorBodySchema = z.object({
  type: z.string().optional(),
  code: z.string().nullable().optional(),
  message: z.string(),
  param: z.string().nullable().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

const ResponseStatusSchema = z.enum(['in_progress', 'completed', 'failed', 'incomplete', 'cancelled', 'queued']);

const UsageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().optional(),
});

/** The response object embedded in lifecycle events; we read only what we use. */
export const ResponseObjectSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('response').optional(),
  status: ResponseStatusSchema,
  model: z.string().optional(),
  error: ErrorBodySchema.nullable().optional(),
  incomplete_details: z.object({ reason: z.string() }).nullable().optional(),
  usage: UsageSchema.nullable().optional(),
});

const seq = { sequence_number: z.number().int().nonnegative() };

const lifecycle = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), response: ResponseObjectSchema, ...seq });

export const ResponseCreatedSchema = lifecycle('response.created');
export const ResponseInProgressSchema = lifecycle('response.in_progress');
export const ResponseCompletedSchema = lifecycle('response.completed');
export const ResponseFailedSchema = lifecycle('response.failed');
export const ResponseIncompleteSchema = lifecycle('response.incomplete');

const OutputItemSchema = z.looseObject({ id: z.string().min(1), type: z.string(), status: z.string().optional() });

export const OutputItemAddedSchema = z.object({
  type: z.literal('response.output_item.added'),
  output_index: z.number().int().nonnegative(),
  item: OutputItemSchema,
  ...seq,
});
export const OutputItemDoneSchema = z.object({
  type: z.literal('response.output_item.done'),
  output_index: z.number().int().nonnegative(),
  item: OutputItemSchema,
  ...seq,
});

const partRef = {
  item_id: z.string().min(1),
  output_index: z.number().int().nonnegative(),
  content_index: z.number().int().nonnegative(),
};
export const ContentPartAddedSchema = z.object({
  type: z.literal('response.content_part.added'),
  ...partRef,
  part: z.looseObject({ type: z.string() }),
  ...seq,
});
export const ContentPartDoneSchema = z.object({
  type: z.literal('response.content_part.done'),
  ...partRef,
  part: z.looseObject({ type: z.string() }),
  ...seq,
});
export const OutputTextDeltaSchema = z.object({ type: z.literal('response.output_text.delta'), ...partRef, delta: z.string(), ...seq });
export const OutputTextDoneSchema = z.object({ type: z.literal('response.output_text.done'), ...partRef, text: z.string(), ...seq });

export const ErrorEventSchema = z.object({
  type: z.literal('error'),
  status: z.number().int().optional(),
  error: ErrorBodySchema,
  sequence_number: z.number().int().nonnegative().optional(),
});

export const KnownServerEventSchema = z.discriminatedUnion('type', [
  ResponseCreatedSchema,
  ResponseInProgressSchema,
  ResponseCompletedSchema,
  ResponseFailedSchema,
  ResponseIncompleteSchema,
  OutputItemAddedSchema,
  OutputItemDoneSchema,
  ContentPartAddedSchema,
  ContentPartDoneSchema,
  OutputTextDeltaSchema,
  OutputTextDoneSchema,
  ErrorEventSchema,
]);
export type KnownServerEvent = z.infer<typeof KnownServerEventSchema>;
export type ServerEventType = KnownServerEvent['type'];
export const KNOWN_SERVER_EVENT_TYPES: ReadonlySet<string> = new Set(KnownServerEventSchema.options.map((o) => o.shape.type.value));

export type TerminalEvent = Extract<KnownServerEvent, { type: 'response.completed' | 'response.failed' | 'response.incomplete' }>;
export const isTerminal = (e: KnownServerEvent): e is TerminalEvent =>
  e.type === 'response.completed' || e.type === 'response.failed' || e.type === 'response.incomplete';
