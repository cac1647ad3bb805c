import { errorDetails, incompleteReason, isAmong, isCodeItem, itemKeys, type KnownServerEvent } from '../protocol/serverEvents';
import type { ConnectReason, TransportFailure } from '../transport/responseChannel';
import { retryDelay, type RetryCause } from '../transport/retryPolicy';
import type { Effect, RunEvent, Transition } from './runEvents';
import { isEnded, onWire, outcomeOf, type Outcome, type Preview, type Rewrite, type RunPolicy, type RunState, type StreamFacts, type Wire, type WireState } from './runState';

export * from './runState';
export type { Effect, LandHow, RequestMode, RunEvent, RunTimer, Transition } from './runEvents';

/** What every phase carries over. */
type Common = Omit<RunState, 'phase' | 'wire' | 'outcome' | 'then' | 'review'>;

const common = (s: RunState): Common => ({
  instruction: s.instruction,
  history: s.history,
  earlierDone: s.earlierDone,
  policy: s.policy,
  preview: s.preview,
  request: s.request,
  step: s.step,
  lastCompletedResponseId: s.lastCompletedResponseId,
  resumes: s.resumes,
  wroteText: s.wroteText,
  stream: s.stream,
  acceptedHunks: s.acceptedHunks,
  takes: s.takes,
});

const FRESH_STREAM: StreamFacts = { deltas: 0, sentAt: undefined, firstDeltaAt: undefined, lastDeltaAt: undefined, progress: undefined };
const freshWire = (continued: string | undefined): Wire => ({ activeResponseId: undefined, continued, queued: false, resumeDue: false, nonCodeItems: [], refusal: undefined });

export interface RunStart {
  readonly instruction: string;
  readonly policy: RunPolicy;
  /** A live-instruction preview (the instruction box is still open). */
  readonly preview: boolean;
  /** Alternatives: how many takes to ask for (1: none besides the run's own). */
  readonly takes?: number;
}

/** A run before its first request: on its way to the wire. */
function freshRunState(start: RunStart): WireState {
  return {
    phase: 'connecting',
    instruction: start.instruction,
    history: [],
    earlierDone: false,
    policy: start.policy,
    preview: start.preview ? { rewrite: 'original', beforeRedirect: undefined } : undefined,
    request: 1,
    step: 0,
    lastCompletedResponseId: undefined,
    resumes: 0,
    wroteText: false,
    stream: FRESH_STREAM,
    acceptedHunks: [],
    takes: start.takes !== undefined && start.takes > 1 ? { count: start.takes, shown: 1 } : undefined,
    wire: freshWire(undefined),
  };
}

/** Asks for the other takes once the instruction is final: at once for an ordinary run, on Enter for a preview. */
const startTakes = (s: RunState): Effect[] => (s.takes ? [{ type: 'startTakes', count: s.takes.count }] : []);

/** A new run: its first request goes out at once (the interpreter connects first when it must). */
export function initialRunState(start: RunStart): Transition {
  const state = freshRunState(start);
  const send: Effect = { type: 'sendRequest', request: state.request, mode: 'initial', previousResponseId: undefined, rewrite: rewriteFor(state) };
  return { state, effects: [send, ...(start.preview ? [] : startTakes(state))] };
}

/** A run brought back after a window reload, straight into review (its stream is long gone). */
export function restoredRunState(instruction: string, policy: RunPolicy, outcome: Outcome, hunks: readonly string[]): RunState {
  const state = freshRunState({ instruction, policy, preview: false });
  return { ...common(state), request: 0, wroteText: true, phase: 'review', outcome, review: { hunks, pending: hunks, restoring: undefined } };
}

const stay = (state: RunState): Transition => ({ state, effects: [] });
const wrote = (s: RunState): boolean => s.wroteText || s.stream.deltas > 0;
const rewriteFor = (s: RunState): Rewrite => s.preview?.rewrite ?? 'shown';
const report = (level: 'info' | 'warning' | 'error', message: string, reason?: ConnectReason): Effect => ({ type: 'report', level, message, ...(reason ? { reason } : {}) });

/** Stops everything of the run now: no pending edit lands, and its response (if any) is cancelled on the wire. */
const stopNow = (s: RunState): Effect[] => (onWire(s) ? [{ type: 'stopApplying' }, { type: 'cancelResponse' }] : [{ type: 'stopApplying' }]);

/**
 * A connection that dropped (network blip, server restart) is worth a
 * resume, as the retry policy says; a refused frame, bad data, a stall, a
 * shut-down client, or a connection the pool already gave up on is not.
 */
const retryCause = (failure: TransportFailure): RetryCause =>
  failure.kind === 'dropped' && failure.code !== 1009 && failure.code !== 1001 ? { kind: 'network' } : { kind: 'final' };

const ended = (s: RunState, phase: 'done' | 'error', outcome: Outcome | undefined): RunState => ({ ...common(s), phase, outcome });
const toReview = (s: RunState, outcome: Outcome, hunks: readonly string[]): RunState => {
  const pending = hunks.filter((h) => !s.acceptedHunks.includes(h));
  return { ...common(s), wroteText: wrote(s), phase: 'review', outcome, review: { hunks, pending, restoring: undefined } };
};

/** Ends a stream early; keeps what landed so the user can review or reject it. */
function endEarly(state: RunState, outcome: Outcome, stopFirst: readonly Effect[], reason?: ConnectReason): Transition {
  const failed = outcome.endReason === 'failed';
  if (!wrote(state)) {
    const effects: Effect[] = [...stopFirst];
    if (outcome.message) effects.push(report(failed ? 'error' : 'info', outcome.message, reason));
    return { state: ended(state, failed ? 'error' : 'done', outcome), effects };
  }
  if (failed) {
    // What arrived lands, whole lines only: never the model's half line before the original's line.
    const message = `${outcome.message ?? 'the run failed'}; the text that arrived is kept, marked as partial`;
    const step = state.step + 1;
    return {
      state: { ...common(state), wroteText: true, step, phase: 'applying', outcome: { ...outcome, message }, then: 'review' },
      effects: [...stopFirst, { type: 'land', step, how: 'wholeLines', closeUndoGroup: !state.preview }, report('error', message)],
    };
  }
  const effects: Effect[] = [...stopFirst];
  if (outcome.message) effects.push(report('info', outcome.message));
  return { state: toReview(state, outcome, []), effects };
}

/**
 * The edit session of one run as a pure reducer: it owns the run's truth,
 * including the response lineage (which response to steer or continue) and
 * which request and step count. The rule that matters most: a user edit
 * during a live stream yields `stopApplying` first, in the same call, so no
 * model edit can land after the user's keystroke. The second: a decision
 * (redirect, revision, Enter, cancel, save) never waits for the stream to
 * pause; what the old stream still sends is dropped from that instant.
 */
export function reduceRun(state: RunState, event: RunEvent): Transition {
  const next = reduce(state, event);
  let { request, step } = next.state;
  // Leaving the wire retires the request: whatever of it is still on its way (its connection, its send, a resume's timer) is dropped.
  if (onWire(state) && !onWire(next.state) && request === state.request) request++;
  // Leaving the phase that waits for a step retires the step: a land or restore still under way after that touches nothing.
  if (awaitsStep(state) && next.state.phase !== state.phase && step === state.step) step++;
  return request === next.state.request && step === next.state.step ? next : { ...next, state: { ...next.state, request, step } };
}

const awaitsStep = (state: RunState): boolean => state.phase === 'applying' || state.phase === 'restoring';

function reduce(state: RunState, event: RunEvent): Transition {
  if (isEnded(state.phase)) return stay(state);
  switch (event.type) {
    case 'queued':
      return onWire(state) && event.request === state.request ? stay({ ...state, wire: { ...state.wire, queued: true } }) : stay(state);

    case 'sent':
      if (!onWire(state) || event.request !== state.request) return stay(state);
      // A steer's successor and a resume keep the time the run's request went out, so time-to-first-token stays true.
      return stay({ ...state, wire: { ...state.wire, queued: false }, stream: { ...state.stream, sentAt: state.stream.sentAt ?? event.at } });

    case 'server':
      return onWire(state) && event.request === state.request ? onServerEvent(state, event.event, event.at) : stay(state);

    case 'transportFailed':
      return onWire(state) && event.request === state.request ? onTransportFailed(state, event.failure, event.jitter ?? 0.5) : stay(state);

    case 'steerUnavailable':
      return state.phase === 'steering' && event.request === state.request ? newRequestAfterSteer(state, 'the response had already ended') : stay(state);

    case 'outputUnusable':
      if (!onWire(state) || event.request !== state.request) return stay(state);
      // The response is cancelled; the hunks that applied before it still land.
      return endEarly({ ...state, preview: undefined }, { endReason: 'failed', message: event.message }, [{ type: 'cancelResponse' }]);

    case 'landed':
      if (state.phase !== 'applying' || event.step !== state.step) return stay(state);
      if (state.then === 'done') return { state: ended(state, 'done', state.outcome), effects: [] };
      if (event.failure !== undefined) {
        const message = `${event.failure}; what applied is kept, marked as partial`;
        if (event.unchanged) return { state: ended(state, 'error', { endReason: 'failed', message: event.failure }), effects: [report('error', event.failure)] };
        return { state: toReview({ ...state, preview: undefined }, { endReason: 'failed', message }, event.hunks), effects: [report('error', message)] };
      }
      // A failed run that changed nothing has nothing to review: it ends with its failure, already said.
      if (event.unchanged && state.outcome.endReason === 'failed') return { state: ended(state, 'error', state.outcome), effects: [] };
      if (event.unchanged && !state.preview) {
        // The region reads as it did, but a kept preview's revisions (or a stream that wandered and came back) may have
        // edited it on the way: their undo step is undone, so the document is not dirty and the undo stack is as it was.
        const message = 'no changes: the model answered with the region as it was';
        const step = state.step + 1;
        return {
          state: { ...common(state), step, phase: 'restoring', outcome: { endReason: 'unchanged', message } },
          effects: [{ type: 'undoPreview', step }],
        };
      }
      return stay(toReview(state, state.outcome, event.hunks));

    case 'restored':
      if (state.phase === 'restoring' && event.step === state.step) return { state: ended(state, 'done', state.outcome), effects: [] };
      if (state.phase === 'review' && event.step === state.review.restoring) {
        const review = { ...state.review, restoring: undefined };
        return review.pending.length === 0 ? { state: ended(state, 'done', state.outcome), effects: [] } : stay({ ...state, review });
      }
      return stay(state);

    case 'previewUndone':
      if (state.phase !== 'restoring' || event.step !== state.step) return stay(state);
      if (state.outcome?.endReason === 'unchanged') {
        // Nothing to put back when the run changed nothing: the text already reads as the original.
        const message = event.exact ? state.outcome.message : `${state.outcome.message} (${event.why ?? 'its edits could not be undone'}, so its edits stay on the undo stack)`;
        return { state: ended(state, 'done', state.outcome), effects: message ? [report('info', message)] : [] };
      }
      if (event.exact) return { state: ended(state, 'done', state.outcome), effects: [] };
      return restoring(state, state.outcome, [report('info', `${event.why ?? 'the preview could not be undone exactly'}: the original is restored by an edit instead`)], 'region');

    case 'stepFailed': {
      const current = event.step === state.step || (state.phase === 'review' && event.step === state.review.restoring);
      if (!current) return stay(state);
      const message = `${event.message}; the run stopped`;
      return { state: ended(state, 'error', { endReason: 'failed', message }), effects: [...stopNow(state), report('error', message)] };
    }

    case 'timerFired':
      if (event.timer === 'redirectPause') {
        return state.phase === 'redirecting' ? redirectTo(state, state.instruction, 'continue, keeping the edits I just made', false, false) : stay(state);
      }
      if (!onWire(state) || !state.wire.resumeDue || event.request !== state.request) return stay(state);
      return {
        state: { ...state, wire: { ...state.wire, resumeDue: false } },
        effects: [{ type: 'sendRequest', request: state.request, mode: 'resume', previousResponseId: undefined, rewrite: 'original' }],
      };

    case 'userEdit':
      return onUserEdit(state, event.placement);

    case 'regionText':
      // Undo back to the original ends the review (nothing to accept or reject); redo brings it back.
      if (state.phase === 'review' && event.matches === 'original' && state.outcome.endReason !== 'refused') return stay({ ...state, phase: 'reverted' });
      if (state.phase === 'reverted' && event.matches === 'output') return stay({ ...state, phase: 'review' });
      return stay(state);

    case 'documentClosed': {
      const message = 'the document was closed; the run stopped';
      return { state: ended(state, 'error', { endReason: 'cancelled', message }), effects: [...stopNow(state), report('warning', message)] };
    }

    case 'editFailed': {
      const message = `the editor refused an edit (${event.message}); the run stopped`;
      return { state: ended(state, 'error', { endReason: 'failed', message }), effects: [...stopNow(state), report('error', message)] };
    }

    case 'redirect':
      if (state.phase === 'restoring') return stay(state);
      if (state.preview) return revise(state, event.instruction, event.canSteer);
      return redirectTo(state, event.instruction, undefined, event.canSteer, event.live ?? false);

    case 'keep':
      return state.preview ? keep(state) : stay(state);

    case 'abandon':
      return state.preview && state.phase !== 'restoring' ? abandon(state, state.preview) : stay(state);

    case 'cancel':
      if (state.phase === 'applying' || state.phase === 'restoring') return stay(state);
      if (state.phase === 'review' || state.phase === 'reverted') return stay(state);
      return endEarly({ ...state, preview: undefined }, { endReason: 'cancelled', message: 'cancelled' }, stopNow(state));

    case 'accept':
      return accept(state);

    case 'reject':
      return reject(state);

    case 'decideHunk':
      return decideHunk(state, event.hunkId, event.decision);

    case 'showTake': {
      const takes = state.takes;
      if (state.phase !== 'review' || state.review.restoring !== undefined || !takes || event.take === takes.shown || event.take < 1 || event.take > takes.count) return stay(state);
      // Once hunks were decided one by one, another take would throw those decisions away.
      if (state.review.pending.length < state.review.hunks.length) return { state, effects: [report('info', 'some hunks are decided already: accept or reject the rest before showing another take')] };
      const step = state.step + 1;
      return {
        state: { ...common(state), takes: { ...takes, shown: event.take }, step, phase: 'applying', outcome: state.outcome, then: 'review' },
        effects: [{ type: 'showTake', step, take: event.take }],
      };
    }

    case 'takeInRegion':
      if ((state.phase !== 'review' && state.phase !== 'reverted') || !state.takes) return stay(state);
      return stay(toReview({ ...state, takes: { ...state.takes, shown: event.take } }, state.outcome, event.hunks));

    case 'stopForSave': {
      if (!onWire(state)) return stay(state);
      // Nobody typed: what arrived may land, so the saved text holds every finished line of the rewrite and no half line.
      const message = 'stopped to save: the finished lines are kept, marked as partial';
      const step = state.step + 1;
      return {
        state: { ...common(state), preview: undefined, wroteText: wrote(state), step, phase: 'applying', outcome: { endReason: 'cancelled', message }, then: 'review' },
        effects: [{ type: 'cancelResponse' }, { type: 'land', step, how: 'wholeLines', closeUndoGroup: true }, report('info', message)],
      };
    }
  }
}

function onUserEdit(state: RunState, placement: 'before' | 'after' | 'inside' | 'overlapping'): Transition {
  // Someone else changed the document: a preview is an ordinary run from here (its undo step is no longer ours alone to undo).
  if (state.preview && state.phase !== 'restoring') return onUserEdit({ ...state, preview: undefined }, placement);
  const inRegion = placement === 'inside' || placement === 'overlapping';
  switch (state.phase) {
    case 'redirecting':
      return inRegion ? { state, effects: [{ type: 'setTimer', timer: 'redirectPause', ms: state.policy.redirectPauseMs, request: state.request }] } : stay(state);
    case 'restoring':
      if (!inRegion) return stay(state);
      return { state: ended(state, 'done', state.outcome), effects: [{ type: 'stopApplying' }, report('warning', 'the restore stopped: you edited the region, and your text is kept')] };
    case 'connecting':
    case 'streaming':
    case 'steering':
    case 'applying': {
      if (state.policy.onType === 'redirect') {
        if (!inRegion) return stay(state);
        // The stream stops and its request retires here: the pause belongs to the next one.
        const request = onWire(state) ? state.request + 1 : state.request;
        return {
          state: { ...common(state), request, wroteText: wrote(state), phase: 'redirecting' },
          effects: [...stopNow(state), { type: 'setTimer', timer: 'redirectPause', ms: state.policy.redirectPauseMs, request }],
        };
      }
      const outcome: Outcome = { endReason: 'interrupted', message: 'stopped: you typed in the document' };
      // Applying: only the last flush was pending; it stops, what landed stays.
      if (state.phase === 'applying') return { state: toReview(state, outcome, []), effects: [{ type: 'stopApplying' }, report('info', outcome.message!)] };
      return endEarly(state, outcome, stopNow(state));
    }
    default:
      return stay(state);
  }
}

function onTransportFailed(state: WireState, failure: TransportFailure, jitter: number): Transition {
  const delay = state.phase === 'steering' ? undefined : retryDelay(retryCause(failure), state.resumes, () => jitter);
  if (delay !== undefined) {
    // Nothing else went wrong: carry on by ourselves, unseen but for a word in the status bar.
    const request = state.request + 1;
    return {
      state: { ...state, phase: 'connecting', request, resumes: state.resumes + 1, wire: { ...freshWire(undefined), resumeDue: true } },
      effects: [{ type: 'setTimer', timer: 'resume', ms: delay, request }],
    };
  }
  return endEarly(state, { endReason: 'failed', message: failure.message }, [], failure.kind === 'connect' ? failure.reason : undefined);
}

function keep(state: RunState): Transition {
  const kept = { ...state, preview: undefined };
  // The instruction is final: the other takes are asked for now (a live redirect's revisions never had any).
  const takes = state.preview?.beforeRedirect ? [] : startTakes(state);
  // A finished preview kept its undo step open for later revisions: land again, closing it, so the run is one Undo step.
  if (state.phase === 'review' || state.phase === 'applying') {
    const step = state.step + 1;
    const outcome = outcomeOf(state) ?? { endReason: 'completed', message: undefined };
    return {
      state: { ...common(kept), step, phase: 'applying', outcome, then: 'review' },
      effects: [{ type: 'land', step, how: 'complete', closeUndoGroup: true }, ...takes],
    };
  }
  return { state: kept, effects: takes };
}

function abandon(state: RunState, preview: Preview): Transition {
  const before = preview.beforeRedirect;
  if (before) {
    // A live redirect: back to the run it redirected, its text and instruction; a stream it interrupted stays partial.
    const message = 'redirect abandoned: the text is back as it was when the redirect began';
    const outcome: Outcome = before.wasLive ? { endReason: 'cancelled', message } : (before.outcome ?? { endReason: 'completed', message: undefined });
    const step = state.step + 1;
    return {
      state: { ...common(state), preview: undefined, instruction: before.instruction, history: before.history, earlierDone: before.earlierDone, step, phase: 'applying', outcome, then: 'review' },
      effects: [...stopNow(state), { type: 'land', step, how: 'base', closeUndoGroup: true }, report('info', message)],
    };
  }
  const step = state.step + 1;
  return {
    state: { ...common(state), preview: undefined, step, phase: 'restoring', outcome: { endReason: 'cancelled', message: undefined } },
    effects: [...stopNow(state), { type: 'undoPreview', step }],
  };
}

/** Puts text back (one undo step), then the run is done. */
function restoring(state: RunState, outcome: Outcome | undefined, first: readonly Effect[], what: 'region' | { readonly hunks: readonly string[] }): Transition {
  const step = state.step + 1;
  return { state: { ...common(state), preview: undefined, step, phase: 'restoring', outcome }, effects: [...first, { type: 'restore', step, what }] };
}

function accept(state: RunState): Transition {
  switch (state.phase) {
    case 'review':
    case 'reverted':
      if (state.phase === 'review' && state.review.restoring !== undefined) {
        // A hunk's Reject is still landing: the run ends once it has.
        return stay({ ...common(state), step: state.review.restoring, phase: 'restoring', outcome: state.outcome });
      }
      return { state: ended(state, 'done', state.outcome), effects: [] };
    case 'applying':
      // The output is landing: let it, then the run is done.
      return stay({ ...state, preview: undefined, then: 'done' });
    case 'restoring':
      return stay(state);
    default:
      // Accept while streaming accepts early: the run stops and keeps what is there.
      return { state: ended(state, 'done', { endReason: 'cancelled', message: undefined }), effects: [...stopNow(state)] };
  }
}

function reject(state: RunState): Transition {
  if (state.preview) return state.phase === 'restoring' ? stay(state) : abandon(state, state.preview);
  switch (state.phase) {
    case 'restoring':
      return stay(state);
    case 'reverted':
      // An undone run is the original already: nothing to restore, and no edit that would clear a redo stack this run does not own.
      return { state: ended(state, 'done', state.outcome), effects: [] };
    case 'review': {
      // A refusal changed nothing.
      if (state.outcome.endReason === 'refused') return { state: ended(state, 'done', state.outcome), effects: [] };
      // Once hunks were decided one by one, those decisions stand: only the pending ones get their original back.
      const { hunks, pending } = state.review;
      return restoring(state, state.outcome, [], pending.length < hunks.length ? { hunks: pending } : 'region');
    }
    default:
      // Reject works while streaming too: stop first, then restore.
      return restoring(state, outcomeOf(state) ?? { endReason: 'cancelled', message: undefined }, stopNow(state), 'region');
  }
}

function decideHunk(state: RunState, hunkId: string, decision: 'accept' | 'reject'): Transition {
  // Hunks above the frontier are final: they can be decided while the stream goes on below them.
  if (state.phase === 'streaming' && !state.preview) {
    if (decision === 'reject') return { state, effects: [{ type: 'rejectHunk', hunkId, step: undefined }] };
    return stay({ ...state, acceptedHunks: [...state.acceptedHunks, hunkId] });
  }
  if (state.phase !== 'review' || !state.review.pending.includes(hunkId)) return stay(state);
  const pending = state.review.pending.filter((h) => h !== hunkId);
  if (decision === 'accept') {
    const review = { ...state.review, pending };
    if (pending.length > 0) return stay({ ...state, review });
    return accept({ ...state, review });
  }
  const step = state.step + 1;
  const review = { ...state.review, pending, restoring: step };
  // The last decision ends the review once its restore has landed.
  const next: RunState = pending.length > 0 ? { ...state, step, review } : { ...common(state), step, phase: 'restoring', outcome: state.outcome };
  return { state: next, effects: [{ type: 'rejectHunk', hunkId, step }] };
}

/** Fresh per-stream facts for the output of a new request or successor. */
const freshStream = (state: RunState): Common => ({ ...common(state), wroteText: wrote(state), stream: FRESH_STREAM });

function redirectTo(state: RunState, instruction: string, note: string | undefined, canSteer: boolean, live: boolean): Transition {
  const preview: Preview | undefined = live
    ? { rewrite: 'base', beforeRedirect: { instruction: state.instruction, history: state.history, earlierDone: state.earlierDone, outcome: outcomeOf(state), wasLive: onWire(state) || state.phase === 'redirecting' || state.phase === 'applying' } }
    : undefined;
  const next: Common = {
    ...freshStream(state),
    // The takes answer the earlier instruction: the new one has none.
    takes: undefined,
    history: [...state.history, state.instruction],
    // From review, the earlier edit is finished: a follow-up. The model is told to carry out only the new instruction.
    earlierDone: state.phase === 'review' || state.phase === 'reverted',
    instruction: note ? `${instruction} (${note})` : instruction,
    preview,
  };
  // What already arrived of the old stream lands, without its unfinished line; a live redirect takes that as its base.
  const capture: Effect[] = live ? [{ type: 'captureBase' }] : [];
  // After a completed response the model holds the file already: continue it.
  const previous = state.phase === 'review' || state.phase === 'reverted' || state.phase === 'applying' ? state.lastCompletedResponseId : undefined;
  const drop: Effect[] = state.takes ? [{ type: 'dropTakes' }] : [];
  return sendRedirect(state, next, canSteer, live ? 'base' : 'shown', previous, [...drop, ...capture]);
}

/**
 * Sends a redirect or a revision as `next`: by native steering where a
 * response is on the wire and the endpoint can steer (the same socket, the
 * server's cached state kept; the old response's output is ignored from here
 * on), else as a new request, cancelling the old response first.
 */
function sendRedirect(state: RunState, next: Common, canSteer: boolean, rewrite: Rewrite, previous: string | undefined, first: readonly Effect[]): Transition {
  if (canSteer && (state.phase === 'connecting' || state.phase === 'streaming') && state.wire.activeResponseId !== undefined) {
    return {
      state: { ...next, stream: { ...FRESH_STREAM, sentAt: state.stream.sentAt }, phase: 'steering', wire: state.wire },
      effects: [...first, { type: 'steer', request: state.request, responseId: state.wire.activeResponseId, rewrite }],
    };
  }
  const request = state.request + 1;
  return {
    state: { ...next, request, phase: 'connecting', wire: freshWire(previous) },
    effects: [...(onWire(state) ? [{ type: 'cancelResponse' } as const] : []), ...first, { type: 'sendRequest', request, mode: 'redirect', previousResponseId: previous, rewrite }],
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
  const preview = state.preview!;
  const next: Common = { ...freshStream(state), history: preview.beforeRedirect ? state.history : [], earlierDone: preview.beforeRedirect ? state.earlierDone : false, instruction, preview };
  return sendRedirect(state, next, canSteer, preview.rewrite, undefined, []);
}

/** The steer did not take: cancel the old response and send the redirect as a new request. */
function newRequestAfterSteer(state: WireState, why: string): Transition {
  const request = state.request + 1;
  return {
    state: { ...freshStream(state), request, phase: 'connecting', wire: freshWire(undefined) },
    effects: [
      { type: 'cancelResponse' },
      report('info', `steering not used (${why}); redirecting with a new request`),
      { type: 'sendRequest', request, mode: 'redirect', previousResponseId: undefined, rewrite: rewriteFor(state) },
    ],
  };
}

const PROGRESS_CHARS = 160;
const appendProgress = (progress: string | undefined, text: string): string => ((progress ?? '') + text).slice(-PROGRESS_CHARS);

function onServerEvent(state: WireState, event: KnownServerEvent, at: number): Transition {
  if (state.phase === 'steering') return whileSteering(state, event);
  const wire = state.wire;
  switch (event.type) {
    case 'response.created':
      return stay({ ...state, wire: { ...wire, activeResponseId: event.response.id } });
    case 'response.output_item.added': {
      const { item } = event;
      return isCodeItem(item) ? stay(state) : stay({ ...state, wire: { ...wire, nonCodeItems: [...wire.nonCodeItems, ...itemKeys(item.id, event.output_index)] } });
    }
    case 'response.output_text.delta': {
      if (isAmong(wire.nonCodeItems, event.item_id, event.output_index)) return stay({ ...state, stream: { ...state.stream, progress: appendProgress(state.stream.progress, event.delta) } });
      const stream: StreamFacts = { ...state.stream, deltas: state.stream.deltas + 1, firstDeltaAt: state.stream.firstDeltaAt ?? at, lastDeltaAt: at };
      return { state: { ...state, phase: 'streaming', stream }, effects: [{ type: 'appendOutput', text: event.delta }] };
    }
    case 'response.reasoning_summary_text.delta':
      return stay({ ...state, stream: { ...state.stream, progress: appendProgress(state.stream.progress, event.delta) } });
    case 'response.refusal.delta':
      return stay({ ...state, wire: { ...wire, refusal: (wire.refusal ?? '') + event.delta } });
    case 'response.refusal.done':
      return stay({ ...state, wire: { ...wire, refusal: event.refusal ?? wire.refusal ?? '' } });
    case 'response.completed': {
      if (wire.refusal !== undefined) return refused(state, wire.refusal);
      const step = state.step + 1;
      return {
        state: { ...common(state), lastCompletedResponseId: event.response.id, step, phase: 'applying', outcome: { endReason: 'completed', message: undefined }, then: 'review' },
        // A preview leaves its undo step open: later revisions (and Keep's run) join it, and Escape undoes it whole.
        effects: [{ type: 'land', step, how: 'complete', closeUndoGroup: !state.preview }],
      };
    }
    case 'response.incomplete':
      if (wire.refusal !== undefined) return refused(state, wire.refusal);
      return endEarly(state, { endReason: 'failed', message: `the model stopped early (${incompleteReason(event) ?? 'no reason given'})` }, []);
    case 'response.failed': {
      const detail = event.response.error?.message ?? 'no detail given';
      const code = event.response.error?.code;
      return endEarly(state, { endReason: 'failed', message: `the request failed${code ? ` [${code}]` : ''}: ${detail}` }, []);
    }
    case 'error': {
      const { code, message } = errorDetails(event);
      if (code === 'previous_response_not_found' && wire.continued !== undefined) {
        const request = state.request + 1;
        return {
          state: { ...state, request, lastCompletedResponseId: undefined, phase: 'connecting', wire: freshWire(undefined) },
          effects: [{ type: 'sendRequest', request, mode: 'fullContextRetry', previousResponseId: undefined, rewrite: rewriteFor(state) }],
        };
      }
      return endEarly(state, { endReason: 'failed', message: `the server reported an error${code ? ` [${code}]` : ''}: ${message}` }, []);
    }
    default:
      return stay(state);
  }
}

/** The model declined: nothing of its answer is code; the region stays (or goes back to) as it was. */
function refused(state: WireState, refusal: string): Transition {
  const message = `the model refused: ${refusal.trim() || 'the model declined without a reason'}`;
  const outcome: Outcome = { endReason: 'refused', message };
  if (wrote(state)) return restoring(state, outcome, [...stopNow(state), report('warning', message)], 'region');
  return { state: { ...toReview(state, outcome, []), preview: undefined }, effects: [report('warning', message)] };
}

function whileSteering(state: WireState, event: KnownServerEvent): Transition {
  switch (event.type) {
    case 'response.created':
      // The successor commits the steer: from here its output is the run's.
      if (event.response.id === state.wire.activeResponseId) return stay(state);
      return { state: { ...state, phase: 'connecting', wire: { ...freshWire(undefined), activeResponseId: event.response.id } }, effects: [{ type: 'beginSuccessor' }] };
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
