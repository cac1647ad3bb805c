import { z } from 'zod';

/*
 * Client events of the Responses WebSocket mode: `response.create` and
 * `response.steer`. The schemas are what the reference server accepts (as
 * lenient as the SDK: string or item-list input, `null` optionals, unknown
 * fields ignored); the `Outgoing*` types are what Spark Edit sends, checked
 * against the SDK's `ResponsesClientEvent` in test/unit/core/sdkTypes.test.ts.
 */

const TextPartSchema = z.object({ type: z.string(), text: z.string().nullish() });

/**
 * One input item: a message, or (from agents such as the Codex CLI) a tool
 * call and its output, which a continued conversation carries along.
 */
export const InputMessageSchema = z.object({
  type: z.string().nullish(),
  role: z.string().nullish(),
  content: z.union([z.string(), z.array(TextPartSchema)]).nullish(),
  call_id: z.string().nullish(),
  name: z.string().nullish(),
  arguments: z.string().nullish(),
  output: z.union([z.string(), z.array(TextPartSchema)]).nullish(),
});
export type InputMessage = z.infer<typeof InputMessageSchema>;

/** Input as the SDK allows it: a plain string, or a list of input items. */
export const InputSchema = z.union([z.string(), z.array(InputMessageSchema)]);

export const ResponseCreateSchema = z.object({
  type: z.literal('response.create'),
  model: z.string().min(1),
  instructions: z.string().nullish(),
  input: InputSchema.nullish(),
  previous_response_id: z.string().min(1).nullish(),
  store: z.boolean().nullish(),
  generate: z.boolean().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  /** Tools the model may call; a server echoes them and a bridge forwards the function tools. */
  tools: z.array(z.looseObject({ type: z.string(), name: z.string().nullish(), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() })).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({}).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  user: z.string().nullish(),
  include: z.array(z.string()).nullish(),
  /** HTTP only: server-sent events instead of one JSON response. */
  stream: z.boolean().nullish(),
  /** The WebSocket lane: requests of one lane run in order, lanes run side by side. */
  stream_id: z.string().min(1).nullish(),
  /** Requests that share a key are routed to the same prompt cache. */
  prompt_cache_key: z.string().nullish(),
  /** Free-form on the wire; the reference server reads test switches (timing, faults, shape) from it. */
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type ResponseCreate = z.infer<typeof ResponseCreateSchema>;

export const ResponseSteerSchema = z.object({
  type: z.literal('response.steer'),
  previous_response_id: z.string().min(1),
  input: InputSchema,
});
export type ResponseSteer = z.infer<typeof ResponseSteerSchema>;

export const ClientMessageSchema = z.discriminatedUnion('type', [ResponseCreateSchema, ResponseSteerSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** One user message, the only input Spark Edit sends. */
export interface OutgoingMessage {
  readonly type: 'message';
  readonly role: 'user';
  readonly content: { readonly type: 'input_text'; readonly text: string }[];
}

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

/** The `response.create` Spark Edit sends (a subset of the SDK's type; the type test holds it to that). */
export interface OutgoingResponseCreate {
  readonly type: 'response.create';
  readonly model: string;
  readonly instructions: string;
  readonly input: OutgoingMessage[];
  readonly previous_response_id?: string;
  readonly store: false;
  readonly reasoning?: { readonly effort: ReasoningEffort };
  readonly metadata?: Readonly<Record<string, string>>;
  /** One key per run (its previews included): the stable prefix of its prompts is served from the cache. */
  readonly prompt_cache_key?: string;
}

export interface OutgoingResponseSteer {
  readonly type: 'response.steer';
  readonly previous_response_id: string;
  readonly input: OutgoingMessage[];
}

/** The text of an item's content or a tool's output (the same shape): a string as is, text parts joined by newlines. */
export const partsText = (content: InputMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join('\n');

/** The text of a request's input, flattened (string input as is; items' text parts joined). */
export function inputTexts(input: z.infer<typeof InputSchema> | null | undefined): { role: string; text: string }[] {
  if (input === null || input === undefined) return [];
  if (typeof input === 'string') return [{ role: 'user', text: input }];
  return input.map((m) => ({ role: m.role ?? 'user', text: partsText(m.content) }));
}
