import type { ChangePlacement } from '../edit/regionTracker';
import type { KnownServerEvent } from '../protocol/serverEvents';
import type { ConnectReason, TransportFailure } from '../transport/responseChannel';
import type { Rewrite, RunState } from './runState';

/**
 * What happens to a run. Events from the wire carry the number of the
 * request they belong to; completions of asynchronous steps carry the number
 * of the step they served. The reducer drops any whose number is not current.
 */
export type RunEvent =
  // The wire.
  | { readonly type: 'queued'; readonly request: number }
  | { readonly type: 'sent'; readonly request: number; readonly at: number }
  | { readonly type: 'server'; readonly request: number; readonly event: KnownServerEvent; readonly at: number }
  /** `jitter` (0 to 1) spreads the retry policy's backoff; the reducer itself draws no random numbers. */
  | { readonly type: 'transportFailed'; readonly request: number; readonly failure: TransportFailure; readonly jitter?: number }
  /** A steer could not be sent: its response is no longer on the wire. */
  | { readonly type: 'steerUnavailable'; readonly request: number }
  // Completions of the interpreter's asynchronous steps.
  /** The model's answer cannot be applied (a patch that does not fit the region, or is not a patch): the run stops, keeping what applied. */
  | { readonly type: 'outputUnusable'; readonly request: number; readonly message: string }
  /**
   * What the stream wrote has landed. `hunks`: the changed hunks; `unchanged`: the region reads as its original;
   * `failure`: the answer's end could not be applied (what applied stays, partial).
   */
  | { readonly type: 'landed'; readonly step: number; readonly hunks: readonly string[]; readonly unchanged: boolean; readonly failure?: string }
  /** A restore (Reject, a hunk's Reject) has landed. */
  | { readonly type: 'restored'; readonly step: number }
  /** Abandoning a preview: its undo step was undone (or there was nothing to undo), or that could not be done exactly. */
  | { readonly type: 'previewUndone'; readonly step: number; readonly exact: boolean; readonly why?: string }
  /** A step threw or could not be carried out. */
  | { readonly type: 'stepFailed'; readonly step: number; readonly message: string }
  | { readonly type: 'timerFired'; readonly timer: RunTimer; readonly request: number }
  // The document.
  /** Someone other than Spark Edit changed the document (typing, paste, undo, another extension). */
  | { readonly type: 'userEdit'; readonly placement: ChangePlacement }
  /** After a user edit in review: what the region now holds. */
  | { readonly type: 'regionText'; readonly matches: 'original' | 'output' | 'neither' }
  | { readonly type: 'documentClosed' }
  /** The editor threw on an edit of this run. */
  | { readonly type: 'editFailed'; readonly message: string }
  // The user.
  /** `canSteer`: the endpoint has not said it cannot steer. `live`: from the redirect box while it is open; a preview until Enter. */
  | { readonly type: 'redirect'; readonly instruction: string; readonly canSteer: boolean; readonly live?: boolean }
  /** Enter on a preview: it becomes an ordinary run. */
  | { readonly type: 'keep' }
  /** Escape, the box dismissed or its focus lost: what the preview started from comes back. */
  | { readonly type: 'abandon' }
  | { readonly type: 'cancel' }
  | { readonly type: 'accept' }
  | { readonly type: 'reject' }
  /** Accept or Reject one hunk; the last decided hunk ends the review. */
  | { readonly type: 'decideHunk'; readonly hunkId: string; readonly decision: 'accept' | 'reject' }
  /** The user saves mid-stream and the run did not land in time: stop, keep whole lines only, close the undo group. */
  | { readonly type: 'stopForSave' }
  /** Show take `take` of the run's alternatives in the region (the interpreter only asks for a take that is ready). */
  | { readonly type: 'showTake'; readonly take: number }
  /** An Undo or Redo brought take `take` back into the region: its hunks are the review's now. */
  | { readonly type: 'takeInRegion'; readonly take: number; readonly hunks: readonly string[] };

export type RunTimer = 'redirectPause' | 'resume';

export type RequestMode = 'initial' | 'redirect' | 'fullContextRetry' | 'resume';

/** How `land` brings the buffer to its final text for this stream. */
export type LandHow =
  /** The model finished: the buffer becomes exactly its output. */
  | 'complete'
  /** The stream stopped early: what arrived lands, without the model's unfinished line. */
  | 'wholeLines'
  /** A live redirect abandoned: the region goes back to the text the redirect began from. */
  | 'base';

export type Effect =
  /** Send a request (connecting first when needed); its events carry `request`. `previousResponseId` continues that response. */
  | { readonly type: 'sendRequest'; readonly request: number; readonly mode: RequestMode; readonly previousResponseId: string | undefined; readonly rewrite: Rewrite }
  /** Send `response.steer` to the active response, with the region to rewrite and the new instruction. */
  | { readonly type: 'steer'; readonly request: number; readonly responseId: string; readonly rewrite: Rewrite }
  /** A live redirect begins: the region as shown now is its base. */
  | { readonly type: 'captureBase' }
  /** The steered response's successor started: stream it into the region from its current text. */
  | { readonly type: 'beginSuccessor' }
  | { readonly type: 'appendOutput'; readonly text: string }
  /** Land the stream (see LandHow), then report `landed`; a preview's undo step stays open. */
  | { readonly type: 'land'; readonly step: number; readonly how: LandHow; readonly closeUndoGroup: boolean }
  /** Nothing pending of this run may land, from this instant (a keystroke, a cancel). */
  | { readonly type: 'stopApplying' }
  | { readonly type: 'cancelResponse' }
  /** Arm a timer (re-arming replaces it); its firing carries `request`. */
  | { readonly type: 'setTimer'; readonly timer: RunTimer; readonly ms: number; readonly request: number }
  /** Put original text back, one undo step: the whole region, or only these hunks (some were decided already). */
  | { readonly type: 'restore'; readonly step: number; readonly what: 'region' | { readonly hunks: readonly string[] } }
  /** Undo the preview's one undo step (where that cannot be done exactly, report it: the reducer restores by an edit). */
  | { readonly type: 'undoPreview'; readonly step: number }
  /** Put one hunk's original text back: within the stream while it goes on, else one undo step reporting `restored`. */
  | { readonly type: 'rejectHunk'; readonly hunkId: string; readonly step: number | undefined }
  /** Ask for the run's other takes (alternatives), in parallel, from its original and instruction. */
  | { readonly type: 'startTakes'; readonly count: number }
  /** The other takes answer an instruction that no longer holds: stop them and forget them. */
  | { readonly type: 'dropTakes' }
  /** Replace the region by take `take`, one undo step, then report `landed` with its hunks. */
  | { readonly type: 'showTake'; readonly step: number; readonly take: number }
  /** Tell the user; `reason` says what they can do about a connection that could not be made. */
  | { readonly type: 'report'; readonly level: 'info' | 'warning' | 'error'; readonly message: string; readonly reason?: ConnectReason };

export interface Transition {
  readonly state: RunState;
  readonly effects: readonly Effect[];
}
