import type { KnownServerEvent } from '../protocol/serverEvents';
import type { ChangePlacement } from '../edit/regionTracker';
import type { TransportFailure } from '../transport/responseChannel';

export type OnTypePolicy = 'cancel' | 'redirect';

export type Phase = 'connecting' | 'streaming' | 'redirecting' | 'applying' | 'review' | 'done' | 'error';

/** Why the stream stopped before the model finished, when it did. */
export type EndReason = 'completed' | 'interrupted' | 'cancelled' | 'failed';

export interface RunState {
  readonly phase: Phase;
  readonly instruction: string;
  /** Earlier instructions of this run, oldest first (redirects keep them). */
  readonly history: readonly string[];
  readonly onType: OnTypePolicy;
  readonly redirectPauseMs: number;
  /** The latest response id on the wire, for `previous_response_id`. */
  readonly responseId: string | undefined;
  /** Whether the request in flight continued `responseId` (so a not-found error can fall back). */
  readonly continued: boolean;
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
  | { readonly type: 'sent'; readonly at: number }
  | { readonly type: 'server'; readonly event: KnownServerEvent; readonly at: number }
  | { readonly type: 'transportFailed'; readonly failure: TransportFailure }
  | { readonly type: 'userEdit'; readonly placement: ChangePlacement }
  | { readonly type: 'outputApplied' }
  | { readonly type: 'redirectPauseElapsed' }
  | { readonly type: 'cancel' }
  | { readonly type: 'redirect'; readonly instruction: string }
  | { readonly type: 'accept' }
  | { readonly type: 'reject' }
  | { readonly type: 'documentClosed' };

export type RequestMode = 'initial' | 'redirect' | 'fullContextRetry';

export type Effect =
  | { readonly type: 'sendRequest'; readonly mode: RequestMode }
  | { readonly type: 'appendOutput'; readonly text: string }
  /** The model is done: make the buffer exactly its output, then report `outputApplied`. */
  | { readonly type: 'finishOutput' }
  /** The stream ended early: land what is pending as it is, then report `outputApplied`. */
  | { readonly type: 'flushPartialOutput' }
  /** Stop all model edits now: nothing pending may land. */
  | { readonly type: 'discardPending' }
  | { readonly type: 'cancelResponse' }
  | { readonly type: 'startRedirectTimer'; readonly ms: number }
  | { readonly type: 'restoreOriginal' }
  | { readonly type: 'clearMarks' }
  | { readonly type: 'report'; readonly level: 'info' | 'warning' | 'error'; readonly message: string };

export interface Transition {
  readonly state: RunState;
  readonly effects: readonly Effect[];
}

export function initialRunState(instruction: string, onType: OnTypePolicy, redirectPauseMs: number): Transition {
  const state: RunState = {
    phase: 'connecting',
    instruction,
    history: [],
    onType,
    redirectPauseMs,
    responseId: undefined,
    continued: false,
    endReason: undefined,
    message: undefined,
    wroteText: false,
    deltas: 0,
    sentAt: undefined,
    firstDeltaAt: undefined,
    lastDeltaAt: undefined,
  };
  return { state, effects: [{ type: 'sendRequest', mode: 'initial' }] };
}

const isLive = (phase: Phase): boolean => phase === 'connecting' || phase === 'streaming';
const stay = (state: RunState): Transition => ({ state, effects: [] });

/** Ends a live stream early; keeps what landed so the user can review or reject it. */
function endEarly(state: RunState, endReason: EndReason, message: string | undefined, stopFirst: readonly Effect[]): Transition {
  if (!state.wroteText && state.deltas === 0) {
    const phase: Phase = endReason === 'failed' ? 'error' : 'done';
    const effects: Effect[] = [...stopFirst, { type: 'clearMarks' }];
    if (message) effects.push({ type: 'report', level: endReason === 'failed' ? 'error' : 'info', message });
    return { state: { ...state, phase, endReason, message }, effects };
  }
  const effects: Effect[] = [...stopFirst];
  if (endReason === 'failed') {
    effects.push({ type: 'flushPartialOutput' });
    message = `${message ?? 'the run failed'}; the text that arrived is kept, marked as partial`;
  }
  if (message) effects.push({ type: 'report', level: endReason === 'failed' ? 'error' : 'info', message });
  const phase: Phase = endReason === 'failed' ? 'applying' : 'review';
  return { state: { ...state, phase, endReason, message }, effects };
}

const STOP_NOW: readonly Effect[] = [{ type: 'discardPending' }, { type: 'cancelResponse' }];

/**
 * The edit session of one run as a pure reducer. The rule that matters most:
 * a user edit during a live stream yields `discardPending` first, in the same
 * call, so no model edit can land after the user's keystroke.
 */
export function reduceRun(state: RunState, event: RunEvent): Transition {
  switch (event.type) {
    case 'sent':
      return isLive(state.phase) ? stay({ ...state, sentAt: event.at }) : stay(state);

    case 'server':
      return onServerEvent(state, event.event, event.at);

    case 'transportFailed':
      if (!isLive(state.phase)) return stay(state);
      return endEarly(state, 'failed', event.failure.message, []);

    case 'userEdit': {
      if (state.phase === 'redirecting') {
        return event.placement === 'inside' || event.placement === 'overlapping'
          ? { state, effects: [{ type: 'startRedirectTimer', ms: state.redirectPauseMs }] }
          : stay(state);
      }
      if (!isLive(state.phase) && state.phase !== 'applying') return stay(state);
      if (state.onType === 'redirect') {
        if (event.placement === 'before' || event.placement === 'after') return stay(state);
        return {
          state: { ...state, phase: 'redirecting' },
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
      return redirectTo(state, state.instruction, 'continue, keeping the edits I just made');

    case 'outputApplied':
      return state.phase === 'applying' ? stay({ ...state, phase: 'review', wroteText: true }) : stay(state);

    case 'cancel':
      if (isLive(state.phase) || state.phase === 'redirecting' || state.phase === 'applying') {
        return endEarly(state, 'cancelled', 'cancelled', STOP_NOW);
      }
      return stay(state);

    case 'redirect':
      if (state.phase === 'done' || state.phase === 'error') return stay(state);
      return redirectTo(state, event.instruction, undefined);

    case 'accept':
      if (state.phase !== 'review') return stay(state);
      return { state: { ...state, phase: 'done' }, effects: [{ type: 'clearMarks' }] };

    case 'reject':
      if (state.phase === 'done' || state.phase === 'error') return stay(state);
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

function redirectTo(state: RunState, instruction: string, note: string | undefined): Transition {
  const next: RunState = {
    ...state,
    phase: 'connecting',
    history: [...state.history, state.instruction],
    instruction: note ? `${instruction} (${note})` : instruction,
    endReason: undefined,
    message: undefined,
    wroteText: state.wroteText || state.deltas > 0,
    deltas: 0,
    sentAt: undefined,
    firstDeltaAt: undefined,
    lastDeltaAt: undefined,
  };
  const stop: Effect[] = isLive(state.phase) || state.phase === 'applying' ? [...STOP_NOW] : [];
  return { state: next, effects: [...stop, { type: 'sendRequest', mode: 'redirect' }] };
}

function onServerEvent(state: RunState, event: KnownServerEvent, at: number): Transition {
  if (!isLive(state.phase)) return stay(state);
  switch (event.type) {
    case 'response.created':
      return stay({ ...state, responseId: event.response.id });
    case 'response.output_text.delta': {
      const next: RunState = {
        ...state,
        phase: 'streaming',
        deltas: state.deltas + 1,
        firstDeltaAt: state.firstDeltaAt ?? at,
        lastDeltaAt: at,
      };
      return { state: next, effects: [{ type: 'appendOutput', text: event.delta }] };
    }
    case 'response.completed':
      return { state: { ...state, phase: 'applying', endReason: 'completed', responseId: event.response.id }, effects: [{ type: 'finishOutput' }] };
    case 'response.incomplete': {
      const reason = event.response.incomplete_details?.reason ?? 'unknown reason';
      return endEarly(state, 'failed', `the model stopped early (${reason})`, []);
    }
    case 'response.failed': {
      const detail = event.response.error?.message ?? 'no detail given';
      return endEarly(state, 'failed', `the request failed: ${detail}`, []);
    }
    case 'error': {
      if (event.error.code === 'previous_response_not_found' && state.continued) {
        return { state: { ...state, continued: false, responseId: undefined }, effects: [{ type: 'sendRequest', mode: 'fullContextRetry' }] };
      }
      const code = event.error.code ? ` [${event.error.code}]` : '';
      return endEarly(state, 'failed', `the server reported an error${code}: ${event.error.message}`, []);
    }
    default:
      return stay(state);
  }
}

/** The controller records whether the request it sent continued the previous response. */
export const markContinued = (state: RunState, continued: boolean): RunState => ({ ...state, continued });
