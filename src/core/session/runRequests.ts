import { buildContinuationRequest, buildEditRequest, buildResumeRequest, type BuiltPrompt, type EditContext, type RequestOptions } from '../prompt/buildRequest';
import type { RequestMode } from './runEvents';

export interface RunRequestInput {
  readonly mode: RequestMode;
  /** The file around the region as it is now, with the text the model is asked to rewrite as the region. */
  readonly context: EditContext;
  readonly instruction: string;
  readonly history: readonly string[];
  /** The earlier instructions finished (a follow-up on an edit under review), rather than being cut short. */
  readonly earlierDone: boolean;
  /** Continue this response (only the region and the instructions travel). */
  readonly previousResponseId: string | undefined;
  /** A resume's output so far. */
  readonly outputSoFar: string;
  readonly options: RequestOptions;
}

/** The request a run sends for `mode`: a full-context edit, a continuation of the previous response, or a resume after a drop. */
export function runRequest(input: RunRequestInput): BuiltPrompt {
  const { context, instruction, history, options, earlierDone } = input;
  if (input.mode === 'resume') return buildResumeRequest(context, instruction, history, input.outputSoFar, options, earlierDone);
  if (input.previousResponseId !== undefined) return buildContinuationRequest(context, instruction, history, input.previousResponseId, options, earlierDone);
  return buildEditRequest(context, instruction, history, options, earlierDone);
}
