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
  readonly languageId: string;
  /** The raw request, for engines that forward it (the bridge). */
  readonly instructions: string | undefined;
  readonly messages: readonly { role: string; text: string }[];
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
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<string> | Iterable<string>;
}
