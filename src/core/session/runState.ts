/**
 * The state of one run, as one value: a union discriminated by phase, so a
 * field that only means something in one phase exists only there. The
 * reducer (reducer.ts) is the only code that makes new states.
 *
 * - connecting: a request is on its way (the connection too, the first time)
 *   or waiting for its first output;
 * - streaming: output text is arriving and being applied;
 * - steering: a redirect went out as `response.steer`; the old response's
 *   output is ignored until its successor starts;
 * - redirecting: the user is typing in the region (onType = redirect); the
 *   run restarts after a pause;
 * - applying: the stream ended; its last edits are landing;
 * - restoring: Spark Edit is putting text back (Reject, an abandoned preview);
 * - review: Accept / Reject, whole or hunk by hunk;
 * - reverted: the user undid the run back to the original; a redo brings the
 *   review back;
 * - done, error: the run is over.
 */
export type Phase = 'connecting' | 'streaming' | 'steering' | 'redirecting' | 'applying' | 'restoring' | 'review' | 'reverted' | 'done' | 'error';

/** Why the stream stopped. `unchanged`: the model answered with the region as it was. */
export type EndReason = 'completed' | 'interrupted' | 'cancelled' | 'failed' | 'refused' | 'unchanged';

export type OnTypePolicy = 'cancel' | 'redirect';

/** How a run stopped, and what the user was told. */
export interface Outcome {
  readonly endReason: EndReason;
  readonly message: string | undefined;
}

/** What the user's settings said when the run started (a run restored after a reload reads them anew). */
export interface RunPolicy {
  readonly onType: OnTypePolicy;
  readonly redirectPauseMs: number;
}

/** What a request (or a steer) asks the model to rewrite. */
export type Rewrite =
  /** The region's original text: every revision of a live instruction. */
  | 'original'
  /** The region as it is shown once what already arrived has landed: a redirect keeps what was written. */
  | 'shown'
  /** The text a live redirect began from: its later revisions. */
  | 'base';

/**
 * An instruction box is still open over the run. A live instruction
 * previews over the original, in one open undo step that abandoning undoes;
 * a live redirect previews over the region as it read when the redirect
 * began (its base), which abandoning puts back before the run goes to review.
 * Keep (Enter) makes it an ordinary run; so does any edit by someone else.
 */
export interface Preview {
  readonly rewrite: 'original' | 'base';
  /** A live redirect: the run as it was when the redirect began, brought back if the redirect is abandoned. */
  readonly beforeRedirect: BeforeRedirect | undefined;
}

export interface BeforeRedirect {
  readonly instruction: string;
  readonly history: readonly string[];
  readonly earlierDone: boolean;
  readonly outcome: Outcome | undefined;
  /** The redirected run was still live: abandoning leaves its stream stopped, so it is partial. */
  readonly wasLive: boolean;
}

/** The latest stream's facts, for the status bar and the lenses. */
export interface StreamFacts {
  readonly deltas: number;
  /** When the run's current request went out; a resume keeps it, so time-to-first-token stays true. */
  readonly sentAt: number | undefined;
  readonly firstDeltaAt: number | undefined;
  readonly lastDeltaAt: number | undefined;
  /** The latest commentary or reasoning summary, shown as progress, never written into the buffer. */
  readonly progress: string | undefined;
}

/** What every phase knows. */
interface RunBase {
  readonly instruction: string;
  /** Earlier instructions of this run, oldest first (redirects and follow-ups keep them). */
  readonly history: readonly string[];
  /** The earlier instructions finished: the current one follows up on a reviewed edit rather than redirecting a cut-short one. */
  readonly earlierDone: boolean;
  readonly policy: RunPolicy;
  readonly preview: Preview | undefined;
  /** The request whose events count; every new request (not a steer) takes the next number, and events of older ones are dropped. */
  readonly request: number;
  /** The asynchronous step the run waits for (a land, a restore, an undo); its completion carries this number, older ones are dropped. */
  readonly step: number;
  /** The latest response that completed: a redirect after it continues it by `previous_response_id`. */
  readonly lastCompletedResponseId: string | undefined;
  /** Times this run continued by itself after its connection dropped. */
  readonly resumes: number;
  /** Whether any model edit of this run reached the document. */
  readonly wroteText: boolean;
  readonly stream: StreamFacts;
  /** Hunks accepted while the stream went on below them: not pending when the review starts. */
  readonly acceptedHunks: readonly string[];
  /** Alternatives: how many takes were asked for, and which one the region shows (1 is the run's own answer). */
  readonly takes: Takes | undefined;
}

export interface Takes {
  readonly count: number;
  readonly shown: number;
}

/** A response of this run is on the wire (or about to be). */
export interface Wire {
  /** The response streaming now (a steer targets it). */
  readonly activeResponseId: string | undefined;
  /** The response this request continued, so `previous_response_not_found` can fall back to full context. */
  readonly continued: string | undefined;
  /** Every socket was busy when the request was made; it waits for one. */
  readonly queued: boolean;
  /** A dropped connection: the request resumes after a pause (its timer is armed). */
  readonly resumeDue: boolean;
  /** Output items whose text is not code (reasoning, commentary), by item id or `#output_index`. */
  readonly nonCodeItems: readonly string[];
  /** The model's refusal, when it refuses. */
  readonly refusal: string | undefined;
}

export type RunState =
  | (RunBase & { readonly phase: 'connecting' | 'streaming' | 'steering'; readonly wire: Wire })
  | (RunBase & { readonly phase: 'redirecting' })
  | (RunBase & { readonly phase: 'applying'; readonly outcome: Outcome; readonly then: 'review' | 'done' })
  | (RunBase & { readonly phase: 'restoring'; readonly outcome: Outcome | undefined })
  | (RunBase & { readonly phase: 'review' | 'reverted'; readonly outcome: Outcome; readonly review: Review })
  | (RunBase & { readonly phase: 'done' | 'error'; readonly outcome: Outcome | undefined });

export interface Review {
  /** Every changed hunk the run produced, and those still waiting for Accept / Reject. */
  readonly hunks: readonly string[];
  readonly pending: readonly string[];
  /** A hunk's Reject is landing: Accept or the last decision waits for it (its step). */
  readonly restoring: number | undefined;
}

export type WireState = Extract<RunState, { wire: Wire }>;

/** The run is not settled: something may still change the buffer. The status bar, the context keys and the tests all use this. */
export const isLive = (phase: Phase): boolean =>
  phase === 'connecting' || phase === 'streaming' || phase === 'steering' || phase === 'redirecting' || phase === 'applying' || phase === 'restoring';

/** A response of this run is on the wire (or its request is being made). */
export const onWire = (state: RunState): state is WireState => state.phase === 'connecting' || state.phase === 'streaming' || state.phase === 'steering';

export const isEnded = (phase: Phase): boolean => phase === 'done' || phase === 'error';

/** How the run stopped, in the phases that know. */
export function outcomeOf(state: RunState): Outcome | undefined {
  return 'outcome' in state ? state.outcome : undefined;
}

/** The hunks waiting for a decision (review only). */
export function pendingHunksOf(state: RunState): readonly string[] {
  return state.phase === 'review' ? state.review.pending : [];
}

/** Every socket was busy when the run's request was made. */
export function isQueued(state: RunState): boolean {
  return onWire(state) && state.wire.queued;
}
