import { z } from 'zod';

/** One message of conversation input, Responses API shape. */
export const InputTextPartSchema = z.object({ type: z.literal('input_text'), text: z.string() });
export const OutputTextPartSchema = z.object({ type: z.literal('output_text'), text: z.string() });

export const InputMessageSchema = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(z.union([InputTextPartSchema, OutputTextPartSchema]))]),
});
export type InputMessage = z.infer<typeof InputMessageSchema>;

/**
 * `response.create`, the only client message of the WebSocket mode.
 * `metadata` is free-form on the wire; the reference server reads test
 * switches (fault injection, timing) from it.
 */
export const ResponseCreateSchema = z.object({
  type: z.literal('response.create'),
  model: z.string().min(1),
  instructions: z.string().optional(),
  input: z.array(InputMessageSchema),
  previous_response_id: z.string().min(1).optional(),
  store: z.boolean().optional(),
  stream: z.boolean().optional(),
  generate: z.boolean().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type ResponseCreate = z.infer<typeof ResponseCreateSchema>;

export const ClientMessageSchema = ResponseCreateSchema;
export type ClientMessage = ResponseCreate;
