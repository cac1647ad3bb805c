import type { ConversationItem } from '../conversation';

/** A function the model may call, as a bridge forwards it. */
export interface FunctionToolSpec {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: Record<string, unknown> | undefined;
}

/** A piece of a tool call as a live engine streams it: the call's index, its id and name once, then its arguments in pieces. */
export interface ToolCallPiece {
  readonly toolCall: { readonly index: number; readonly id?: string; readonly name?: string; readonly arguments?: string };
}

/** What an engine produces: text of the answer, or a piece of a tool call. */
export type EnginePiece = string | ToolCallPiece;

/** What an engine is asked: the region, the instruction, and what came before. */
export interface EngineRequest {
  readonly region: string;
  /** A resume after a dropped connection: the answer so far, to be continued, not repeated. */
  readonly continueAfter?: string;
  /** Whether a region and an instruction could be read out of the prompt at all. */
  readonly understood: boolean;
  readonly instruction: string;
  /** Earlier instructions of a redirected run, oldest first. */
  readonly history: readonly string[];
  /** A follow-up on a finished edit: the history is done, only `instruction` is to be carried out. */
  readonly earlierDone: boolean;
  /** An alternative take ("Take 2 of 3"): engines answer each take differently. */
  readonly take?: { readonly index: number; readonly count: number };
  readonly languageId: string;
  readonly fileName: string;
  /** `patch`: the request asks for the change as an apply_patch envelope against the region. */
  readonly format: 'rewrite' | 'patch';
  /** The raw request, for engines that forward it (the bridge). */
  readonly instructions: string | undefined;
  /** The whole conversation: the predecessors' input and output, then this request's input. */
  readonly conversation: readonly ConversationItem[];
  readonly tools: readonly FunctionToolSpec[];
  readonly model: string;
}

/**
 * Produces a rewrite as a stream of text pieces. `paced` engines produce their
 * whole answer at once and let the server's timing model release it; live
 * engines (the bridge) stream at their own speed.
 */
export interface Engine {
  readonly name: string;
  readonly paced: boolean;
  /**
   * What an engine without a model does to let a person try the client's
   * failure paths by hand: answer with a refusal, or drop the connection
   * after so many tokens (never on a resume). A real model does neither on cue.
   */
  readonly cue?: (request: EngineRequest) => { readonly refuse: boolean; readonly dropAfter: number | undefined };
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EnginePiece> | Iterable<EnginePiece>;
}
