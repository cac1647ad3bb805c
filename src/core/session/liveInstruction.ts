/**
 * Live instruction: what the instruction box does while the user types in it,
 * as a pure reducer. Each pause in typing asks for a preview of the
 * instruction as it reads then (the first starts a preview run, later ones
 * revise it), and so does typing that goes on without a pause for
 * `maxWaitMs` (a steady typist pauses less than the pause setting between
 * keys, and would otherwise see nothing before Enter). Enter keeps the
 * preview, Escape abandons it. The run itself, its undo step and its stream
 * belong to the run reducer; this one only decides when to ask and what.
 */

export interface LiveOptions {
  /** Quiet time after the last keystroke before a preview is asked for. */
  readonly pauseMs: number;
  /** Typing without a pause asks for a preview this long after the first change not yet previewed; 0: only pauses do. */
  readonly maxWaitMs: number;
  /** Shorter instructions are not previewed ("a", "ad" say nothing yet). */
  readonly minChars: number;
  /** Previews asked per box at most, so a slow typist cannot flood a paid endpoint. */
  readonly maxRequests: number;
}

export interface LiveState {
  readonly options: LiveOptions;
  /** The instruction as the box reads it now (trimmed). */
  readonly text: string;
  /** What the box opened with (a redirect's previous instruction): what the run already does, so not worth a preview. */
  readonly initial: string;
  /** The instruction the preview was last asked for; undefined while there is no preview run. */
  readonly previewed: string | undefined;
  readonly requests: number;
  /** When the first change the next preview will carry was made (the max-wait clock); undefined when none waits. */
  readonly waitingSince: number | undefined;
  /**
   * Previews stopped for this box: the preview run ended by itself or someone
   * else edited the document, which makes the run the user's; Enter then
   * starts an ordinary run.
   */
  readonly stopped: boolean;
  readonly closed: boolean;
}

export type LiveEvent =
  | { readonly type: 'changed'; readonly text: string; readonly at: number }
  | { readonly type: 'paused' }
  /** The preview run is no longer a preview (ended, failed, or taken over by a user edit). */
  | { readonly type: 'previewGone' }
  | { readonly type: 'accepted'; readonly text: string }
  | { readonly type: 'dismissed' };

export type LiveEffect =
  | { readonly type: 'armTimer'; readonly ms: number }
  | { readonly type: 'disarmTimer' }
  /** Start the preview run (`first`) or revise it to `instruction`. */
  | { readonly type: 'preview'; readonly instruction: string; readonly first: boolean }
  | { readonly type: 'capReached'; readonly requests: number }
  /** Enter with a preview: revise it to `revise` first when the box changed since, then keep it. */
  | { readonly type: 'keep'; readonly revise: string | undefined }
  /** Enter with no preview: an ordinary run. */
  | { readonly type: 'start'; readonly instruction: string }
  | { readonly type: 'abandon' };

export interface LiveTransition {
  readonly state: LiveState;
  readonly effects: readonly LiveEffect[];
}

export const initialLiveState = (options: LiveOptions, initial = ''): LiveState => ({
  options,
  text: initial.trim(),
  initial: initial.trim(),
  previewed: undefined,
  requests: 0,
  waitingSince: undefined,
  stopped: false,
  closed: false,
});

const stay = (state: LiveState): LiveTransition => ({ state, effects: [] });

/** The box's text asks for a preview: previews go on, it is long enough, not what is shown already, and under the cap. */
const worthPreviewing = (state: LiveState): boolean =>
  !state.stopped && state.text !== (state.previewed ?? state.initial) && state.text.length >= state.options.minChars && state.requests < state.options.maxRequests;

export function reduceLive(state: LiveState, event: LiveEvent): LiveTransition {
  if (state.closed) return stay(state);
  switch (event.type) {
    case 'changed': {
      const text = event.text.trim();
      const next = { ...state, text };
      if (!worthPreviewing(next)) return { state: { ...next, waitingSince: undefined }, effects: [{ type: 'disarmTimer' }] };
      const { pauseMs, maxWaitMs } = state.options;
      const waitingSince = state.waitingSince ?? event.at;
      const ms = maxWaitMs > 0 ? Math.max(0, Math.min(pauseMs, waitingSince + maxWaitMs - event.at)) : pauseMs;
      return { state: { ...next, waitingSince }, effects: [{ type: 'armTimer', ms }] };
    }
    case 'paused': {
      if (!worthPreviewing(state)) return stay(state);
      const { text } = state;
      const requests = state.requests + 1;
      const effects: LiveEffect[] = [{ type: 'preview', instruction: text, first: state.previewed === undefined }];
      if (requests === state.options.maxRequests) effects.push({ type: 'capReached', requests });
      return { state: { ...state, previewed: text, requests, waitingSince: undefined }, effects };
    }
    case 'previewGone':
      return { state: { ...state, previewed: undefined, stopped: true }, effects: [{ type: 'disarmTimer' }] };
    case 'accepted': {
      const text = event.text.trim();
      const closed = { ...state, text, closed: true };
      if (text.length === 0) return { state: closed, effects: [{ type: 'disarmTimer' }, ...(state.previewed !== undefined ? [{ type: 'abandon' } as const] : [])] };
      if (state.previewed === undefined) return { state: closed, effects: [{ type: 'disarmTimer' }, { type: 'start', instruction: text }] };
      return { state: closed, effects: [{ type: 'disarmTimer' }, { type: 'keep', revise: text === state.previewed ? undefined : text }] };
    }
    case 'dismissed':
      return { state: { ...state, closed: true }, effects: [{ type: 'disarmTimer' }, ...(state.previewed !== undefined ? [{ type: 'abandon' } as const] : [])] };
  }
}
