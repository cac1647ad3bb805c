import { errorDetails, incompleteReason, type KnownServerEvent } from '../protocol/serverEvents';
import type { ChangePlacement } from '../edit/regionTracker';
import type { TransportFailure } from '../transport/responseChannel';

export type OnTypePolicy = 'cancel' | 'redirect';

/**
 * - connecting: a request is on its way or waiting for its first output;
 * - streaming: output text is arriving;
 * - steering: a redirect was sent as `response.steer`; the old response's
 *   output is ignored until its successor starts;
 * - redirecting: the user is typing in the region (onType = redirect);
 * - applying: the stream ended, its last edits are landing;
 * - review: Accept / Reject;
 * - reverted: the user undid the run back to the original text; no review is
 *   shown, and a redo (the model's text back) returns it to review;
 * - done, error: the run is over.
 */
export type Phase = 'connecting' | 'streaming' | 'steering' | 'redirecting' | 'applying' | 'review' | 'reverted' | 'done' | 'error';

/** Why the stream stopped, when it did. */
export type EndReason = 'completed' | 'interrupted' | 'cancelled' | 'failed' | 'refused';

/** The run is not settled yet: something may still change the buffer. Status bar, context keys and tests all use this. */
export const isLive = (phase: Phase): boolean =>
  phase === 'connecting' || phase === 'streaming' || phase === 'steering' || phase === 'redirecting' || phase === 'applying';

/** A response of this run is on the wire. */
const onWire = (phase: Phase): boolean => phase === 'connecting' || phase === 'streaming' || phase === 'steering';

export interface RunState {
  readonly phase: Phase;
  /**
   * A preview: an instruction box is still open. Every revision rewrites the
   * same text (never an earlier preview), and abandoning it puts that text
   * back. A live instruction previews over the region's original, in one open
   * undo step that abandoning undoes; a live redirect previews over the region
   * as it read when the redirect began (its base), which abandoning restores
   * by an edit before the run goes to review. Keep (Enter) makes it an
   * ordinary run; so does any edit by someone else.
   */
  readonly preview: boolean;
  /**
   * What the next request (or steer) asks the model to rewrite: the region's
   * original text (a live instruction's revision, even if Enter came before it
   * went out), the region as it reads then (a redirect keeps what was
   * written; the first revision of a live redirect reads its base so), or that
   * base again (a live redirect's later revisions).
   */
  readonly rewrite: 'original' | 'current' | 'base';
  /** A live redirect's run as it was when the redirect began: abandoning the redirect brings this back. */
  readonly beforeRedirect: { readonly instruction: string; readonly history: readonly string[]; readonly endReason: EndReason | undefined; readonly message: string | undefined; readonly wasLive: boolean } | undefined;
  readonly instruction: string;
  /** Earlier instructions of this run, oldest first (redirects keep them). */
  readonly history: readonly string[];
  readonly onType: OnTypePolicy;
  readonly redirectPauseMs: number;
  /** The response streaming now (a steer targets it). */
  readonly activeResponseId: string | undefined;
  /** The latest response that completed; a redirect after it continues it by `previous_response_id`. */
  readonly lastCompletedResponseId: string | undefined;
  /** The response the request in flight continued, so `previous_response_not_found` can fall back to full context. */
  readonly continued: string | undefined;
  /** Output items whose text is not code (reasoning, commentary), by item id or `#output_index`. */
  readonly nonCodeItems: readonly string[];
  /** The latest commentary or reasoning summary, shown as progress and never written into the buffer. */
  readonly progress: string | undefined;
  /** The model's refusal, when it refused. */
  readonly refusal: string | undefined;
  /** Every socket was busy when the request was made; it waits for one. */
  readonly queued: boolean;
  /** Times this run continued by itself after its connection dropped. */
  readonly resumes: number;
  /** Changed hunks still waiting for Accept / Reject (review only). */
  readonly pendingHunks: readonly string[];
  readonly endReason: EndReason | undefined;
  readonly message: string | undefined;
  /** Whether any model edit reached the document in this run. */
  readonly wroteText: boolean;
  readonly deltas: number;
  readonly sentAt: number | undefined;
  readonly firstDeltaAt: number | undefined;
  readonly lastDeltaAt: number | undefined;
}

export type RunEvent =
  | { readonly type: 'queued' }
  | { readonly type: 'sent'; readonly at: number }
  | { readonly type: 'server'; readonly event: KnownServerEvent; readonly at: number }
  | { readonly type: 'transportFailed'; readonly failure: TransportFailure }
  /** A steer could not be sent (its response is no longer on the wire). */
  | { readonly type: 'steerUnavailable' }
  | { readonly type: 'userEdit'; readonly placement: ChangePlacement }
  /** What the stream wrote has landed; `hunks` are the changed hunks to review. */
  | { readonly type: 'outputApplied'; readonly hunks: readonly string[] }
  /** Accept or Reject one hunk; the last decided hunk ends the review. */
  | { readonly type: 'decideHunk'; readonly hunkId: string; readonly decision: 'accept' | 'reject' }
  | { readonly type: 'redirectPauseElapsed' }
  | { readonly type: 'cancel' }
  /** The user saves mid-stream and the run did not land in time: stop, keep whole lines only, close the undo group. */
  | { readonly type: 'stopForSave' }
  /** `canSteer`: the endpoint has not said it cannot steer. `live`: from the redirect box while the user types in it; the redirect is a preview until Enter. */
  | { readonly type: 'redirect'; readonly instruction: string; readonly canSteer: boolean; readonly live?: boolean }
  /** Live instruction: the instruction box now reads `instruction`; the preview rewrites the original for it. */
  | { readonly type: 'revise'; readonly instruction: string; readonly canSteer: boolean }
  /** Live instruction: Enter; the preview becomes an ordinary run (it finishes, then review). */
  | { readonly type: 'keep' }
  /** Live instruction: Escape, the box dismissed or its focus lost; the original comes back and the undo stack holds nothing of the preview. */
  | { readonly type: 'abandon' }
  /** After a user edit during review: what the region now holds. */
  | { readonly type: 'regionText'; readonly matches: 'original' | 'output' | 'neither' }
  | { readonly type: 'accept' }
  | { readonly type: 'reject' }
  | { readonly type: 'documentClosed' };

export type RequestMode = 'initial' | 'redirect' | 'fullContextRetry';

export type Effect =
  /** Send a request; `previousResponseId` continues that response (only the region and instructions travel). */
  | { readonly type: 'sendRequest'; readonly mode: RequestMode; readonly previousResponseId: string | undefined }
  /**
   * The connection dropped mid-stream: after `delayMs`, ask a fresh
   * connection to continue exactly where the output stopped (the output so
   * far travels with the request), and keep applying into the same stream.
   */
  | { readonly type: 'resume'; readonly delayMs: number }
  /** Send `response.steer` to the active response, with the current region and the new instruction. */
  | { readonly type: 'steer'; readonly responseId: string }
  /** The steered response's successor started: stream it into the region from its current text. */
  | { readonly type: 'beginSuccessor' }
  | { readonly type: 'appendOutput'; readonly text: string }
  /** The model is done: make the buffer exactly its output, then report `outputApplied`. */
  | { readonly type: 'finishOutput' }
  /** The stream ended early: land what is pending, then report `outputApplied`; `wholeLinesOnly` removes the model's unfinished line. */
  | { readonly type: 'landPartialOutput'; readonly wholeLinesOnly: boolean }
  /** Stop all model edits now: nothing pending may land. */
  | { readonly type: 'discardPending' }
  | { readonly type: 'cancelResponse' }
  | { readonly type: 'startRedirectTimer'; readonly ms: number }
  /** Put the original back: every pending hunk's original text (the whole region when there are none), one undo step. */
  | { readonly type: 'restoreOriginal' }
  /** Undo the preview's one undo step (or, if the step is no longer on top, restore the original as an edit). */
  | { readonly type: 'undoPreview' }
  /** A live redirect abandoned: put the region back to its base, then the run goes to review. */
  | { readonly type: 'restoreBase' }
  /** Put one hunk's original text back, one undo step (mid-stream: within the run's step). */
  | { readonly type: 'rejectHunk'; readonly hunkId: string }
  /** A finished hunk accepted while the stream goes on: it will not be pending in review. */
  | { readonly type: 'acceptLiveHunk'; readonly hunkId: string }
  | { readonly type: 'clearMarks' }
  | { readonly type: 'report'; readonly level: 'info' | 'warning' | 'error'; readonly message: string };

export interface Transition {
  readonly state: RunState;
  readonly effects: readonly Effect[];
}

export function initialRunState(instruction: string, onType: OnTypePolicy, redirectPauseMs: number, preview = false): Transition {
  const state: RunState = {
    phase: 'connecting',
    preview,
    rewrite: preview ? 'original' : 'current',
    beforeRedirect: undefined,
    instruction,
    history: [],
    onType,
    redirectPauseMs,
    activeResponseId: undefined,
    lastCompletedResponseId: undefined,
    continued: undefined,
    nonCodeItems: [],
    progress: undefined,
    refusal: undefined,
    queued: false,
    resumes: 0,
    pendingHunks: [],
    endReason: undefined,
    message: undefined,
    wroteText: false,
    deltas: 0,
    sentAt: undefined,
    firstDeltaAt: undefined,
    lastDeltaAt: undefined,
  };
  return { state, effects: [{ type: 'sendRequest', mode: 'initial', previousResponseId: undefined }] };
}

/** A run brought back after a window reload, straight into review (its stream is long gone). */
export function restoredRunState(instruction: string, endReason: EndReason, message: string | undefined, pendingHunks: readonly string[]): RunState {
  const { state } = initialRunState(instruction, 'cancel', 700);
  return { ...state, phase: 'review', endReason, message, wroteText: true, pendingHunks };
}

const stay = (state: RunState): Transition => ({ state, effects: [] });

/** At most this many automatic resumes per run, after these pauses; then the partial result stays as it is. */
export const MAX_RESUMES = 2;
const RESUME_BACKOFF_MS = [100, 500];

/**
 * A connection that dropped (network blip, server restart, connection-limit
 * close) is worth a resume; a frame that was refused, bad data or a stall is not.
 */
const isResumable = (failure: TransportFailure): boolean => failure.kind === 'dropped' && failure.code !== 1009 && failure.code !== 1001;
const STOP_NOW: readonly Effect[] = [{ type: 'discardPending' }, { type: 'cancelResponse' }];

/** Ends a stream early; keeps what landed so the user can review or reject it. */
function endEarly(state: RunState, endReason: EndReason, message: string | undefined, stopFirst: readonly Effect[]): Transition {
  const level = endReason === 'failed' ? 'error' : 'info';
  if (!state.wroteText && state.deltas === 0) {
    const effects: Effect[] = [...stopFirst, { type: 'clearMarks' }];
    if (message) effects.push({ type: 'report', level, message });
    return { state: { ...state, phase: endReason === 'failed' ? 'error' : 'done', endReason, message }, effects };
  }
  const effects: Effect[] = [...stopFirst];
  if (endReason === 'failed') {
    effects.push({ type: 'landPartialOutput', wholeLinesOnly: false });
    message = `${message ?? 'the run failed'}; the text that arrived is kept, marked as partial`;
  }
  if (message) effects.push({ type: 'report', level, message });
  return { state: { ...state, phase: endReason === 'failed' ? 'applying' : 'review', endReason, message }, effects };
}

/**
 * The edit session of one run as a pure reducer. It owns the run's truth,
 * including the response lineage (which response to steer or continue). The
 * rule that matters most: a user edit during a live stream yields
 * `discardPending` first, in the same call, so no model edit can land after
 * the user's keystroke.
 */
export function reduceRun(state: RunState, event: RunEvent): Transition {
  switch (event.type) {
    case 'queued':
      return onWire(state.phase) ? stay({ ...state, queued: true }) : stay(state);

    case 'sent':
      return onWire(state.phase) ? stay({ ...state, sentAt: state.phase === 'steering' ? state.sentAt : event.at, queued: false }) : stay(state);

    case 'server':
      return onServerEvent(state, event.event, event.at);

    case 'transportFailed':
      if (!onWire(state.phase)) return stay(state);
      if (isResumable(event.failure) && state.phase !== 'steering' && state.resumes < MAX_RESUMES) {
        // Nothing else went wrong: carry on by ourselves, unseen but for a word in the status bar.
        return {
          state: { ...state, phase: 'connecting', resumes: state.resumes + 1, activeResponseId: undefined, queued: false },
          effects: [{ type: 'resume', delayMs: RESUME_BACKOFF_MS[state.resumes] ?? 1_000 }],
        };
      }
      return endEarly(state, 'failed', event.failure.message, []);

    case 'steerUnavailable':
      return state.phase === 'steering' ? newRequestAfterSteer(state, 'the response had already ended') : stay(state);

    case 'userEdit': {
      // Someone else changed the document: the preview is an ordinary run from here (its undo step is no longer ours alone to undo).
      if (state.preview) return reduceRun({ ...state, preview: false }, event);
      if (state.phase === 'redirecting') {
        return event.placement === 'inside' || event.placement === 'overlapping'
          ? { state, effects: [{ type: 'startRedirectTimer', ms: state.redirectPauseMs }] }
          : stay(state);
      }
      if (!onWire(state.phase) && state.phase !== 'applying') return stay(state);
      if (state.onType === 'redirect') {
        if (event.placement === 'before' || event.placement === 'after') return stay(state);
        return {
          state: { ...state, phase: 'redirecting', wroteText: state.wroteText || state.deltas > 0 },
          effects: [...STOP_NOW, { type: 'startRedirectTimer', ms: state.redirectPauseMs }],
        };
      }
      if (state.phase === 'applying') {
        // Only the last flush was pending: stop it, keep what landed.
        return { state: { ...state, phase: 'review', endReason: state.endReason ?? 'interrupted' }, effects: [{ type: 'discardPending' }] };
      }
      return endEarly(state, 'interrupted', 'stopped: you typed in the document', STOP_NOW);
    }

    case 'redirectPauseElapsed':
      if (state.phase !== 'redirecting') return stay(state);
      return redirectTo(state, state.instruction, 'continue, keeping the edits I just made', false);

    case 'outputApplied':
      return state.phase === 'applying' ? stay({ ...state, phase: 'review', wroteText: true, pendingHunks: event.hunks }) : stay(state);

    case 'decideHunk': {
      // Hunks above the frontier are final: they can be decided while the stream goes on below them.
      if (state.phase === 'streaming') {
        return { state, effects: [event.decision === 'reject' ? { type: 'rejectHunk', hunkId: event.hunkId } : { type: 'acceptLiveHunk', hunkId: event.hunkId }] };
      }
      if (state.phase !== 'review' || !state.pendingHunks.includes(event.hunkId)) return stay(state);
      const pendingHunks = state.pendingHunks.filter((h) => h !== event.hunkId);
      const effects: Effect[] = event.decision === 'reject' ? [{ type: 'rejectHunk', hunkId: event.hunkId }] : [];
      // The last decision ends the review: every hunk is now the model's text or the original, as chosen.
      if (pendingHunks.length === 0) return { state: { ...state, phase: 'done', pendingHunks }, effects: [...effects, { type: 'clearMarks' }] };
      return { state: { ...state, pendingHunks }, effects };
    }

    case 'cancel':
      return isLive(state.phase) ? endEarly({ ...state, preview: false }, 'cancelled', 'cancelled', STOP_NOW) : stay(state);

    case 'revise':
      return state.preview && state.phase !== 'done' && state.phase !== 'error' ? revise(state, event.instruction, event.canSteer) : stay(state);

    case 'keep':
      return state.preview ? stay({ ...state, preview: false, beforeRedirect: undefined }) : stay(state);

    case 'abandon':
      if (!state.preview || state.phase === 'done' || state.phase === 'error') return stay(state);
      if (state.beforeRedirect) {
        // A live redirect: back to the run it redirected, its text and instruction; a stream it interrupted stays partial.
        const before = state.beforeRedirect;
        const message = 'redirect abandoned: the text is back as it was when the redirect began';
        const ended = before.wasLive ? { endReason: 'cancelled' as const, message } : { endReason: before.endReason, message: before.message };
        return {
          state: { ...state, ...ended, preview: false, phase: 'applying', instruction: before.instruction, history: before.history, beforeRedirect: undefined },
          effects: [...STOP_NOW, { type: 'restoreBase' }, { type: 'report', level: 'info', message }],
        };
      }
      return { state: { ...state, preview: false, phase: 'done', endReason: 'cancelled' }, effects: [...STOP_NOW, { type: 'undoPreview' }, { type: 'clearMarks' }] };

    case 'stopForSave':
      if (state.preview) return reduceRun({ ...state, preview: false }, event);
      // Nobody typed: what arrived may land, so the saved text holds every finished line of the rewrite and no half line.
      if (!onWire(state.phase)) return stay(state);
      return {
        state: { ...state, phase: 'applying', endReason: 'cancelled', message: 'stopped to save: the finished lines are kept, marked as partial' },
        effects: [{ type: 'cancelResponse' }, { type: 'landPartialOutput', wholeLinesOnly: true }, { type: 'report', level: 'info', message: 'stopped to save: the finished lines are kept, marked as partial' }],
      };

    case 'redirect':
      if (state.phase === 'done' || state.phase === 'error') return stay(state);
      if (state.preview) return revise(state, event.instruction, event.canSteer);
      return redirectTo(state, event.instruction, undefined, event.canSteer, event.live ?? false);

    case 'regionText':
      // Undo back to the original ends the review (nothing to accept or reject); redo brings it back.
      if (state.phase === 'review' && event.matches === 'original' && state.endReason !== 'refused') return stay({ ...state, phase: 'reverted' });
      if (state.phase === 'reverted' && event.matches === 'output') return stay({ ...state, phase: 'review' });
      return stay(state);

    case 'accept':
      if (state.phase !== 'review' && state.phase !== 'reverted') return stay(state);
      return { state: { ...state, phase: 'done' }, effects: [{ type: 'clearMarks' }] };

    case 'reject':
      if (state.phase === 'done' || state.phase === 'error') return stay(state);
      if (state.preview) return reduceRun(state, { type: 'abandon' });
      // A refusal changed nothing, and an undone run is the original already: nothing to restore,
      // and no edit that would clear a redo stack this run does not own.
      if (state.endReason === 'refused' || state.phase === 'reverted') return { state: { ...state, phase: 'done' }, effects: [{ type: 'clearMarks' }] };
      // Reject works while streaming too: stop first, then restore.
      return { state: { ...state, phase: 'done', endReason: state.endReason ?? 'cancelled' }, effects: [...STOP_NOW, { type: 'restoreOriginal' }, { type: 'clearMarks' }] };

    case 'documentClosed':
      if (state.phase === 'done' || state.phase === 'error') return stay(state);
      return {
        state: { ...state, phase: 'error', message: 'the document was closed; the run stopped' },
        effects: [...STOP_NOW, { type: 'clearMarks' }, { type: 'report', level: 'warning', message: 'the document was closed; the run stopped' }],
      };
  }
}

/** Fresh per-stream counters for the output of a new request or successor. */
const freshStream = (state: RunState): RunState => ({
  ...state,
  endReason: undefined,
  message: undefined,
  wroteText: state.wroteText || state.deltas > 0,
  deltas: 0,
  nonCodeItems: [],
  progress: undefined,
  refusal: undefined,
  sentAt: undefined,
  firstDeltaAt: undefined,
  lastDeltaAt: undefined,
});

function redirectTo(state: RunState, instruction: string, note: string | undefined, canSteer: boolean, live = false): Transition {
  const next: RunState = {
    ...freshStream(state),
    history: [...state.history, state.instruction],
    instruction: note ? `${instruction} (${note})` : instruction,
    rewrite: 'current',
    preview: live,
    beforeRedirect: live ? { instruction: state.instruction, history: state.history, endReason: state.endReason, message: state.message, wasLive: isLive(state.phase) } : undefined,
  };
  // Native steering: the same socket, the server's cached state kept; the old response's output is ignored from here on.
  // What already arrived still lands (no keystroke forbids it), so the region the successor rewrites is the region as shown.
  if (canSteer && (state.phase === 'connecting' || state.phase === 'streaming') && state.activeResponseId !== undefined) {
    return { state: { ...next, phase: 'steering', sentAt: state.sentAt }, effects: [{ type: 'steer', responseId: state.activeResponseId }] };
  }
  const stop: Effect[] = onWire(state.phase) || state.phase === 'applying' ? [{ type: 'cancelResponse' }] : [];
  // After a completed response the model holds the file already: continue it.
  const previous = state.phase === 'review' || state.phase === 'applying' ? state.lastCompletedResponseId : undefined;
  return {
    state: { ...next, phase: 'connecting', activeResponseId: undefined, continued: previous },
    effects: [...stop, { type: 'sendRequest', mode: 'redirect', previousResponseId: previous }],
  };
}

/**
 * A new instruction for a preview: the previous one is replaced, not kept as
 * history, and the model rewrites what the preview started from again (the
 * original, or a live redirect's base). A response still on the wire is
 * steered (one response per region); otherwise a new request goes out, never
 * continuing the earlier preview's response.
 */
function revise(state: RunState, instruction: string, canSteer: boolean): Transition {
  const redirect = state.beforeRedirect !== undefined;
  const next: RunState = { ...freshStream(state), history: redirect ? state.history : [], instruction, continued: undefined, rewrite: redirect ? 'base' : 'original' };
  if (canSteer && (state.phase === 'connecting' || state.phase === 'streaming') && state.activeResponseId !== undefined) {
    return { state: { ...next, phase: 'steering', sentAt: state.sentAt }, effects: [{ type: 'steer', responseId: state.activeResponseId }] };
  }
  const stop: Effect[] = onWire(state.phase) ? [{ type: 'cancelResponse' }] : [];
  return { state: { ...next, phase: 'connecting', activeResponseId: undefined }, effects: [...stop, { type: 'sendRequest', mode: 'redirect', previousResponseId: undefined }] };
}

/** The steer did not take: cancel the old response and send the redirect as a new request. */
function newRequestAfterSteer(state: RunState, why: string): Transition {
  return {
    state: { ...freshStream(state), phase: 'connecting', activeResponseId: undefined, continued: undefined },
    effects: [
      { type: 'cancelResponse' },
      { type: 'report', level: 'info', message: `steering not used (${why}); redirecting with a new request` },
      { type: 'sendRequest', mode: 'redirect', previousResponseId: undefined },
    ],
  };
}

const itemKeys = (itemId: string | null | undefined, outputIndex: number | undefined): string[] => {
  const keys: string[] = [];
  if (itemId) keys.push(itemId);
  if (outputIndex !== undefined) keys.push(`#${outputIndex}`);
  return keys;
};

function isNonCode(state: RunState, itemId: string | null | undefined, outputIndex: number | undefined): boolean {
  // A delta naming its item is judged by the item alone; the index is the fallback for servers that omit ids.
  if (itemId) return state.nonCodeItems.includes(itemId);
  return outputIndex !== undefined && state.nonCodeItems.includes(`#${outputIndex}`);
}

const PROGRESS_CHARS = 160;
const appendProgress = (progress: string | undefined, text: string): string => ((progress ?? '') + text).slice(-PROGRESS_CHARS);

function onServerEvent(state: RunState, event: KnownServerEvent, at: number): Transition {
  if (state.phase === 'steering') return whileSteering(state, event);
  if (!onWire(state.phase)) return stay(state);
  switch (event.type) {
    case 'response.created':
      return stay({ ...state, activeResponseId: event.response.id });
    case 'response.output_item.added': {
      const { item } = event;
      // Only final-answer (or phase-less) message text is code.
      const code = item.type === 'message' && (item.phase === 'final_answer' || item.phase === undefined || item.phase === null);
      return code ? stay(state) : stay({ ...state, nonCodeItems: [...state.nonCodeItems, ...itemKeys(item.id, event.output_index)] });
    }
    case 'response.output_text.delta': {
      if (isNonCode(state, event.item_id, event.output_index)) return stay({ ...state, progress: appendProgress(state.progress, event.delta) });
      const next: RunState = {
        ...state,
        phase: 'streaming',
        deltas: state.deltas + 1,
        firstDeltaAt: state.firstDeltaAt ?? at,
        lastDeltaAt: at,
      };
      return { state: next, effects: [{ type: 'appendOutput', text: event.delta }] };
    }
    case 'response.reasoning_summary_text.delta':
      return stay({ ...state, progress: appendProgress(state.progress, event.delta) });
    case 'response.refusal.delta':
      return stay({ ...state, refusal: (state.refusal ?? '') + event.delta });
    case 'response.refusal.done':
      return stay({ ...state, refusal: event.refusal ?? state.refusal ?? '' });
    case 'response.completed':
      if (state.refusal !== undefined) return refused(state);
      return {
        state: { ...state, phase: 'applying', endReason: 'completed', lastCompletedResponseId: event.response.id, activeResponseId: undefined },
        effects: [{ type: 'finishOutput' }],
      };
    case 'response.incomplete': {
      if (state.refusal !== undefined) return refused(state);
      return endEarly(state, 'failed', `the model stopped early (${incompleteReason(event) ?? 'no reason given'})`, []);
    }
    case 'response.failed': {
      const detail = event.response.error?.message ?? 'no detail given';
      const code = event.response.error?.code;
      return endEarly(state, 'failed', `the request failed${code ? ` [${code}]` : ''}: ${detail}`, []);
    }
    case 'error': {
      const { code, message } = errorDetails(event);
      if (code === 'previous_response_not_found' && state.continued !== undefined) {
        return {
          state: { ...state, continued: undefined, lastCompletedResponseId: undefined },
          effects: [{ type: 'sendRequest', mode: 'fullContextRetry', previousResponseId: undefined }],
        };
      }
      return endEarly(state, 'failed', `the server reported an error${code ? ` [${code}]` : ''}: ${message}`, []);
    }
    default:
      return stay(state);
  }
}

/** The model declined: nothing of its answer is code; the region stays as it was. */
function refused(state: RunState): Transition {
  const text = (state.refusal ?? '').trim() || 'the model declined without a reason';
  const message = `the model refused: ${text}`;
  if (state.deltas > 0 || state.wroteText) {
    return { state: { ...state, phase: 'done', endReason: 'refused', message }, effects: [...STOP_NOW, { type: 'restoreOriginal' }, { type: 'clearMarks' }, { type: 'report', level: 'warning', message }] };
  }
  return { state: { ...state, phase: 'review', endReason: 'refused', message, activeResponseId: undefined }, effects: [{ type: 'report', level: 'warning', message }] };
}

function whileSteering(state: RunState, event: KnownServerEvent): Transition {
  switch (event.type) {
    case 'response.created':
      // The successor commits the steer: from here its output is the run's.
      if (event.response.id === state.activeResponseId) return stay(state);
      return { state: { ...state, phase: 'connecting', activeResponseId: event.response.id }, effects: [{ type: 'beginSuccessor' }] };
    case 'response.steer.failed': {
      const code = event.error?.code ?? undefined;
      return newRequestAfterSteer(state, `${code ?? 'steer failed'}${event.error?.message ? `: ${event.error.message}` : ''}`);
    }
    case 'response.failed':
    case 'error':
      return newRequestAfterSteer(state, 'the steered response failed');
    default:
      // The old response's tail, its steered end, the acknowledgement: none of it reaches the buffer.
      return stay(state);
  }
}
