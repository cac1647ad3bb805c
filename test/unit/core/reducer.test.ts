import { describe, expect, it } from 'vitest';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import { initialRunState, isLive, outcomeOf, reduceRun, type Effect, type RunEvent, type RunState, type Transition } from '../../../src/core/session/reducer';

/** Events of request `request` (the first request is 1). */
const server = (event: KnownServerEvent, request = 1): RunEvent => ({ type: 'server', request, at: 1, event });
const delta = (text: string, item_id = 'msg_final', request = 1): RunEvent => server({ type: 'response.output_text.delta', item_id, output_index: 0, content_index: 0, delta: text }, request);
const created = (id: string, request = 1): RunEvent => server({ type: 'response.created', response: { id } }, request);
const response = (type: 'response.completed' | 'response.failed' | 'response.incomplete', extra: object = {}, id = 'resp_1', request = 1): RunEvent =>
  server({ type, response: { id, ...extra } }, request);

const STOP: Effect[] = [{ type: 'stopApplying' }, { type: 'cancelResponse' }];
const SEND_INITIAL: Effect = { type: 'sendRequest', request: 1, mode: 'initial', previousResponseId: undefined, rewrite: 'shown' };

function play(events: RunEvent[], onType: 'cancel' | 'redirect' = 'cancel'): { state: RunState; effects: (readonly Effect[])[] } {
  let t: Transition = initialRunState({ instruction: 'rename x to y', policy: { onType, redirectPauseMs: 500 }, preview: false });
  const effects: (readonly Effect[])[] = [t.effects];
  for (const e of events) {
    t = reduceRun(t.state, e);
    effects.push(t.effects);
  }
  return { state: t.state, effects };
}

const landed = (step: number, hunks: string[] = [], unchanged = false): RunEvent => ({ type: 'landed', step, hunks, unchanged });

describe('run reducer', () => {
  it('sends on start, streams deltas, lands the output, review; accept ends it', () => {
    const { state, effects } = play([{ type: 'sent', request: 1, at: 0 }, created('resp_1'), delta('a'), delta('b'), response('response.completed'), landed(1, ['h1']), { type: 'accept' }]);
    expect(effects).toEqual([
      [SEND_INITIAL],
      [],
      [],
      [{ type: 'appendOutput', text: 'a' }],
      [{ type: 'appendOutput', text: 'b' }],
      [{ type: 'land', step: 1, how: 'complete', closeUndoGroup: true }],
      [],
      [],
    ]);
    expect(state).toMatchObject({ phase: 'done', lastCompletedResponseId: 'resp_1', stream: { deltas: 2 } });
    expect(outcomeOf(state)?.endReason).toBe('completed');
  });

  it('leaving the wire retires the request: its late send, events and timers are dropped', () => {
    const streaming = play([created('resp_1'), delta('a')]).state;
    const cancelled = reduceRun(streaming, { type: 'cancel' }).state;
    expect(cancelled.request).toBe(2);
    expect(reduceRun(cancelled, { type: 'sent', request: 1, at: 9 }).state).toBe(cancelled);
  });

  it('events of an older request and completions of an older step are dropped', () => {
    const { state } = play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'again', canSteer: false }]);
    expect(state.request).toBe(2);
    expect(reduceRun(state, delta('late', 'msg_final', 1)).effects).toEqual([]);
    expect(reduceRun(state, response('response.completed', {}, 'resp_1', 1)).state).toBe(state);
    const applying = play([created('resp_1'), delta('a'), response('response.completed')]).state;
    expect(reduceRun(applying, landed(7)).state).toBe(applying);
    expect(reduceRun(applying, landed(1)).state.phase).toBe('review');
  });

  it('a user keystroke while streaming stops applying first, then cancels on the wire', () => {
    const { state, effects } = play([delta('a'), { type: 'userEdit', placement: 'inside' }, delta('late')]);
    expect(effects[2]).toEqual([...STOP, { type: 'report', level: 'info', message: 'stopped: you typed in the document' }]);
    expect(effects[3]).toEqual([]);
    expect(state.phase).toBe('review');
    expect(outcomeOf(state)?.endReason).toBe('interrupted');
  });

  it('an interrupt before any output ends the run with nothing to review', () => {
    const { state, effects } = play([{ type: 'userEdit', placement: 'before' }]);
    expect(effects[1]).toEqual([...STOP, { type: 'report', level: 'info', message: 'stopped: you typed in the document' }]);
    expect(state.phase).toBe('done');
  });

  it('with onType=redirect, typing inside the region redirects after a pause; outside it streaming goes on', () => {
    const outside = play([delta('a'), { type: 'userEdit', placement: 'after' }, delta('b')], 'redirect');
    expect(outside.state.phase).toBe('streaming');
    expect(outside.effects[3]).toEqual([{ type: 'appendOutput', text: 'b' }]);

    const pause: Effect = { type: 'setTimer', timer: 'redirectPause', ms: 500, request: 2 };
    const inside = play([delta('a'), { type: 'userEdit', placement: 'inside' }, { type: 'userEdit', placement: 'inside' }, { type: 'timerFired', timer: 'redirectPause', request: 2 }], 'redirect');
    expect(inside.effects[2]).toEqual([...STOP, pause]);
    expect(inside.effects[3]).toEqual([pause]);
    // Already stopped when the user typed: only the new request.
    // The interrupted request was retired when the run left the wire: the redirect is request 3.
    expect(inside.effects[4]).toEqual([{ type: 'sendRequest', request: 3, mode: 'redirect', previousResponseId: undefined, rewrite: 'shown' }]);
    expect(inside.state).toMatchObject({ phase: 'connecting', history: ['rename x to y'], instruction: 'rename x to y (continue, keeping the edits I just made)' });
  });

  it('redirect without steering cancels and sends a new request at once, with the old instruction in history', () => {
    const { state, effects } = play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'use z instead', canSteer: false }]);
    expect(effects[3]).toEqual([{ type: 'cancelResponse' }, { type: 'sendRequest', request: 2, mode: 'redirect', previousResponseId: undefined, rewrite: 'shown' }]);
    expect(state).toMatchObject({ phase: 'connecting', instruction: 'use z instead', history: ['rename x to y'], wroteText: true, stream: { deltas: 0 } });
  });

  it('a follow-up on an edit under review is told the earlier edit is done; a redirect mid-stream is not; an abandoned live follow-up puts that back', () => {
    const reviewed = [created('resp_1'), delta('a'), response('response.completed'), landed(1)];
    const followUp = play([...reviewed, { type: 'redirect', instruction: 'again', canSteer: true }]);
    expect(followUp.state).toMatchObject({ instruction: 'again', history: ['rename x to y'], earlierDone: true });
    // Its fallback to full context keeps saying so.
    const retried = reduceRun(followUp.state, server({ type: 'error', error: { code: 'previous_response_not_found', message: 'gone' } }, 3));
    expect(retried.state).toMatchObject({ earlierDone: true });
    expect(play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'again', canSteer: false }]).state).toMatchObject({ earlierDone: false });
    // A live follow-up, revised, then abandoned: the run is back under review as it was.
    const live = play([...reviewed, { type: 'redirect', instruction: 'ag', canSteer: true, live: true }, { type: 'redirect', instruction: 'again', canSteer: true }]);
    expect(live.state).toMatchObject({ instruction: 'again', history: ['rename x to y'], earlierDone: true });
    const abandoned = reduceRun(live.state, { type: 'abandon' });
    expect(abandoned.state).toMatchObject({ phase: 'applying', instruction: 'rename x to y', history: [], earlierDone: false });
  });

  it('redirect after a completed response continues it by previous_response_id; not found falls back to full context', () => {
    const done = play([created('resp_1'), delta('a'), response('response.completed'), landed(1), { type: 'redirect', instruction: 'again', canSteer: true }]);
    expect(done.effects[5]).toEqual([{ type: 'sendRequest', request: 3, mode: 'redirect', previousResponseId: 'resp_1', rewrite: 'shown' }]);
    expect(done.state).toMatchObject({ wire: { continued: 'resp_1' } });
    const notFound = reduceRun(done.state, server({ type: 'error', error: { code: 'previous_response_not_found', message: 'gone' } }, 3));
    expect(notFound.effects).toEqual([{ type: 'sendRequest', request: 4, mode: 'fullContextRetry', previousResponseId: undefined, rewrite: 'shown' }]);
    expect(notFound.state).toMatchObject({ phase: 'connecting', lastCompletedResponseId: undefined, wire: { continued: undefined } });
  });

  describe('native steering', () => {
    const steering = () => play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'use z', canSteer: true }]);

    it('a redirect while streaming steers the active response at once: no socket closed, no wait', () => {
      const { state, effects } = steering();
      expect(effects[3]).toEqual([{ type: 'steer', request: 1, responseId: 'resp_1', rewrite: 'shown' }]);
      expect(state).toMatchObject({ phase: 'steering', instruction: 'use z', history: ['rename x to y'], wire: { activeResponseId: 'resp_1' } });
      expect(isLive(state.phase)).toBe(true);
    });

    it("the old response's tail and its steered end are ignored; the successor's output is the run's", () => {
      let t: Transition = { state: steering().state, effects: [] };
      for (const e of [server({ type: 'response.steer.accepted', steer: { id: 's', previous_response_id: 'resp_1' } }), delta('old tail'), response('response.incomplete', { incomplete_details: { reason: 'steered' } })]) {
        t = reduceRun(t.state, e);
        expect(t.effects).toEqual([]);
        expect(t.state.phase).toBe('steering');
      }
      t = reduceRun(t.state, created('resp_2'));
      expect(t.effects).toEqual([{ type: 'beginSuccessor' }]);
      expect(t.state).toMatchObject({ phase: 'connecting', wire: { activeResponseId: 'resp_2' } });
      t = reduceRun(t.state, delta('Z'));
      expect(t.effects).toEqual([{ type: 'appendOutput', text: 'Z' }]);
      t = reduceRun(t.state, response('response.completed', {}, 'resp_2'));
      expect(t.state).toMatchObject({ phase: 'applying', lastCompletedResponseId: 'resp_2' });
    });

    it('steer.failed falls back to cancel + a new request, transparently', () => {
      const failed = reduceRun(steering().state, server({ type: 'response.steer.failed', error: { code: 'steering_not_supported', message: 'no' } }));
      expect(failed.effects).toEqual([
        { type: 'cancelResponse' },
        { type: 'report', level: 'info', message: 'steering not used (steering_not_supported: no); redirecting with a new request' },
        { type: 'sendRequest', request: 2, mode: 'redirect', previousResponseId: undefined, rewrite: 'shown' },
      ]);
      expect(failed.state).toMatchObject({ phase: 'connecting', instruction: 'use z', history: ['rename x to y'] });
      const gone = reduceRun(steering().state, { type: 'steerUnavailable', request: 1 });
      expect(gone.effects.at(-1)).toEqual({ type: 'sendRequest', request: 2, mode: 'redirect', previousResponseId: undefined, rewrite: 'shown' });
    });

    it('without an active response id (nothing created yet), redirect is a new request', () => {
      const { effects } = play([{ type: 'redirect', instruction: 'x', canSteer: true }]);
      expect(effects[1]).toEqual([{ type: 'cancelResponse' }, { type: 'sendRequest', request: 2, mode: 'redirect', previousResponseId: undefined, rewrite: 'shown' }]);
    });
  });

  describe('only final-answer text is code', () => {
    it('commentary and reasoning become progress; final-answer and phase-less text are code', () => {
      const events: RunEvent[] = [
        created('resp_1'),
        server({ type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning' } }),
        server({ type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', delta: 'Thinking. ' }),
        server({ type: 'response.output_item.added', output_index: 1, item: { id: 'msg_c', type: 'message', phase: 'commentary' } }),
        delta('I will rename.', 'msg_c'),
        server({ type: 'response.output_item.added', output_index: 2, item: { id: 'msg_final', type: 'message', phase: 'final_answer' } }),
        delta('code'),
      ];
      const { state, effects } = play(events);
      expect(effects.slice(1, 6).every((e) => e.length === 0)).toBe(true);
      expect(effects[7]).toEqual([{ type: 'appendOutput', text: 'code' }]);
      expect(state.stream).toMatchObject({ progress: 'Thinking. I will rename.', deltas: 1 });
    });

    it('a delta without an item id is judged by its output index', () => {
      const { effects } = play([
        server({ type: 'response.output_item.added', output_index: 0, item: { type: 'message', phase: 'commentary' } }),
        server({ type: 'response.output_text.delta', output_index: 0, delta: 'prose' }),
        server({ type: 'response.output_text.delta', output_index: 1, delta: 'code' }),
      ]);
      expect(effects[2]).toEqual([]);
      expect(effects[3]).toEqual([{ type: 'appendOutput', text: 'code' }]);
    });
  });

  describe('refusal', () => {
    it('ends the run as refused with the text shown; the region is untouched; reject restores nothing', () => {
      const { state, effects } = play([
        created('resp_1'),
        server({ type: 'response.refusal.delta', item_id: 'msg', delta: "I can't " }),
        server({ type: 'response.refusal.delta', item_id: 'msg', delta: 'help.' }),
        response('response.completed'),
      ]);
      expect(effects[4]).toEqual([{ type: 'report', level: 'warning', message: "the model refused: I can't help." }]);
      expect(state.phase).toBe('review');
      expect(outcomeOf(state)).toEqual({ endReason: 'refused', message: "the model refused: I can't help." });
      expect(reduceRun(state, { type: 'reject' })).toMatchObject({ state: { phase: 'done' }, effects: [] });
    });

    it('a refusal after some code restores the original, then the run is done', () => {
      const { state, effects } = play([delta('x'), server({ type: 'response.refusal.done', refusal: 'No.' }), response('response.completed')]);
      expect(effects[3]).toEqual([...STOP, { type: 'report', level: 'warning', message: 'the model refused: No.' }, { type: 'restore', step: 1, what: 'region' }]);
      expect(state.phase).toBe('restoring');
      expect(reduceRun(state, { type: 'restored', step: 1 }).state.phase).toBe('done');
    });
  });

  it('errors in either shape show the server message verbatim', () => {
    const nested = play([server({ type: 'error', error: { code: 'rate_limit_exceeded', message: 'Slow down.' } })]);
    const flat = play([server({ type: 'error', code: 'server_error', message: 'Flat trouble.', param: null })]);
    expect(nested.state.phase).toBe('error');
    expect(outcomeOf(nested.state)?.message).toBe('the server reported an error [rate_limit_exceeded]: Slow down.');
    expect(outcomeOf(flat.state)?.message).toBe('the server reported an error [server_error]: Flat trouble.');
  });

  it('a failure mid-stream lands the whole lines that arrived, for review, and says so', () => {
    const { state, effects } = play([delta('a'), { type: 'transportFailed', request: 1, failure: { kind: 'stalled', afterMs: 8_000, message: 'the server sent nothing for 8 s' } }, landed(1)]);
    const message = 'the server sent nothing for 8 s; the text that arrived is kept, marked as partial';
    expect(effects[2]).toEqual([{ type: 'land', step: 1, how: 'wholeLines', closeUndoGroup: true }, { type: 'report', level: 'error', message }]);
    expect(state.phase).toBe('review');
    expect(outcomeOf(state)).toEqual({ endReason: 'failed', message });
  });

  it('a connect failure ends the run at once with what the user can do', () => {
    const { state, effects } = play([{ type: 'transportFailed', request: 1, failure: { kind: 'connect', message: 'Spark Edit needs an API key.', reason: 'needsKey' } }]);
    expect(state.phase).toBe('error');
    expect(effects[1]).toEqual([{ type: 'report', level: 'error', message: 'Spark Edit needs an API key.', reason: 'needsKey' }]);
  });

  it('a dropped connection resumes twice by itself after a pause, then keeps the partial text', () => {
    const drop = (request: number): RunEvent => ({ type: 'transportFailed', request, failure: { kind: 'dropped', code: 1006, message: 'the connection dropped' }, jitter: 0.5 });
    const { state, effects } = play([
      delta('a'),
      drop(1),
      { type: 'timerFired', timer: 'resume', request: 2 },
      delta('b', 'msg_final', 2),
      drop(2),
      { type: 'timerFired', timer: 'resume', request: 3 },
      delta('c', 'msg_final', 3),
      drop(3),
    ]);
    // The retry policy's backoff: half of 250 ms, then half of 500 ms (jitter 0.5).
    expect(effects[2]).toEqual([{ type: 'setTimer', timer: 'resume', ms: 125, request: 2 }]);
    expect(effects[3]).toEqual([{ type: 'sendRequest', request: 2, mode: 'resume', previousResponseId: undefined, rewrite: 'original' }]);
    expect(effects[5]).toEqual([{ type: 'setTimer', timer: 'resume', ms: 250, request: 3 }]);
    expect(effects[8]).toEqual([
      { type: 'land', step: 1, how: 'wholeLines', closeUndoGroup: true },
      { type: 'report', level: 'error', message: 'the connection dropped; the text that arrived is kept, marked as partial' },
    ]);
    expect(state).toMatchObject({ resumes: 2, stream: { deltas: 3 }, phase: 'applying' });
    // A frame over the size limit or a shut-down channel is no blip: no resume.
    expect(play([delta('a'), { type: 'transportFailed', request: 1, failure: { kind: 'dropped', code: 1009, message: 'too big' } }]).effects[2]![0]).toEqual({
      type: 'land',
      step: 1,
      how: 'wholeLines',
      closeUndoGroup: true,
    });
  });

  it('time to first token after a resume is measured from the first request', () => {
    const { state } = play([
      { type: 'sent', request: 1, at: 100 },
      { type: 'transportFailed', request: 1, failure: { kind: 'dropped', code: 1006, message: 'dropped' } },
      { type: 'timerFired', timer: 'resume', request: 2 },
      { type: 'sent', request: 2, at: 900 },
    ]);
    expect(state.stream.sentAt).toBe(100);
  });

  it('incomplete and failed responses end the stream with their reason; incomplete with {} details too', () => {
    const message = (events: RunEvent[]): string | undefined => outcomeOf(play(events).state)?.message;
    expect(message([delta('a'), response('response.incomplete', { incomplete_details: { reason: 'max_output_tokens' } })])).toBe(
      'the model stopped early (max_output_tokens); the text that arrived is kept, marked as partial',
    );
    expect(message([delta('a'), response('response.incomplete', { incomplete_details: {} })])).toBe('the model stopped early (no reason given); the text that arrived is kept, marked as partial');
    expect(message([delta('a'), response('response.failed', { error: { code: 'server_error', message: 'boom' } })])).toBe(
      'the request failed [server_error]: boom; the text that arrived is kept, marked as partial',
    );
  });

  it('reject works while streaming: stops, restores, and the run ends once the restore has landed', () => {
    const { state, effects } = play([delta('a'), { type: 'reject' }]);
    expect(effects[2]).toEqual([...STOP, { type: 'restore', step: 1, what: 'region' }]);
    expect(state.phase).toBe('restoring');
    expect(isLive(state.phase)).toBe(true);
    expect(reduceRun(state, { type: 'restored', step: 1 }).state.phase).toBe('done');
  });

  it('a restore, land or undo that fails ends the run visibly, never stuck in its phase', () => {
    const restoring = play([delta('a'), { type: 'reject' }]).state;
    const failed = reduceRun(restoring, { type: 'stepFailed', step: 1, message: 'the editor threw' });
    expect(failed.state.phase).toBe('error');
    expect(failed.effects.at(-1)).toEqual({ type: 'report', level: 'error', message: 'the editor threw; the run stopped' });
    const applying = play([delta('a'), response('response.completed')]).state;
    expect(reduceRun(applying, { type: 'stepFailed', step: 1, message: 'boom' }).state.phase).toBe('error');
    expect(reduceRun(applying, { type: 'editFailed', message: 'bad range' }).state.phase).toBe('error');
  });

  it('after hunks were decided, Reject restores only the pending ones; Accept waits for a hunk restore still landing', () => {
    const review = play([delta('a'), response('response.completed'), landed(1, ['h1', 'h2', 'h3'])]).state;
    // Landing was step 1; review began after it (step 2 retired it), so the hunk's restore is step 3.
    const oneRejected = reduceRun(review, { type: 'decideHunk', hunkId: 'h1', decision: 'reject' });
    expect(oneRejected.effects).toEqual([{ type: 'rejectHunk', hunkId: 'h1', step: 3 }]);
    expect(reduceRun(oneRejected.state, { type: 'reject' }).effects).toEqual([{ type: 'restore', step: 4, what: { hunks: ['h2', 'h3'] } }]);
    const accepting = reduceRun(oneRejected.state, { type: 'accept' }).state;
    expect(accepting.phase).toBe('restoring');
    expect(reduceRun(accepting, { type: 'restored', step: 3 }).state.phase).toBe('done');
  });

  it('an output identical to the region ends quietly: no review, "no changes"', () => {
    const { state, effects } = play([delta('same'), response('response.completed'), landed(1, [], true)]);
    // Whatever the stream edited on the way is undone as a step, so the document is as it was (not dirty, undo stack unchanged).
    expect(state.phase).toBe('restoring');
    expect(effects.at(-1)).toEqual([{ type: 'undoPreview', step: 2 }]);
    const undone = reduceRun(state, { type: 'previewUndone', step: 2, exact: true });
    expect([undone.state.phase, outcomeOf(undone.state)?.endReason]).toEqual(['done', 'unchanged']);
    // Said once the run has ended, so the status bar shows it.
    expect(undone.effects).toEqual([{ type: 'report', level: 'info', message: 'no changes: the model answered with the region as it was' }]);
    // When the undo could not be exact, the text still reads as the original: nothing is rewritten by an edit.
    const inexact = reduceRun(state, { type: 'previewUndone', step: 2, exact: false, why: 'the document changed after the preview' });
    expect(inexact.state.phase).toBe('done');
    expect(inexact.effects).toEqual([{ type: 'report', level: 'info', message: 'no changes: the model answered with the region as it was (the document changed after the preview, so its edits stay on the undo stack)' }]);
  });

  it('Ctrl+Enter while streaming accepts early: stop now, keep what is there, done', () => {
    const { state, effects } = play([delta('a'), { type: 'accept' }]);
    expect(effects[2]).toEqual(STOP);
    expect(state.phase).toBe('done');
  });

  it('save mid-stream: cancel on the wire, land whole lines, close the undo group', () => {
    const { state, effects } = play([delta('a'), { type: 'stopForSave' }]);
    expect(effects[2]).toEqual([
      { type: 'cancelResponse' },
      { type: 'land', step: 1, how: 'wholeLines', closeUndoGroup: true },
      { type: 'report', level: 'info', message: 'stopped to save: the finished lines are kept, marked as partial' },
    ]);
    expect(state.phase).toBe('applying');
  });

  it('cancel and document close stop a live run; events after the end change nothing', () => {
    const cancelled = play([delta('a'), { type: 'cancel' }]).state;
    expect(cancelled.phase).toBe('review');
    expect(outcomeOf(cancelled)?.endReason).toBe('cancelled');
    const closed = play([delta('a'), { type: 'documentClosed' }, delta('b')]);
    expect(closed.state.phase).toBe('error');
    expect(closed.effects[3]).toEqual([]);
  });

  it('queued until sent: the run says it waits for a connection', () => {
    const { state } = play([{ type: 'queued', request: 1 }]);
    expect(state).toMatchObject({ wire: { queued: true } });
    expect(reduceRun(state, { type: 'sent', request: 1, at: 5 }).state).toMatchObject({ wire: { queued: false }, stream: { sentAt: 5 } });
  });

  it('isLive covers every phase in which the buffer may still change', () => {
    expect(['connecting', 'streaming', 'steering', 'redirecting', 'applying', 'restoring'].every((p) => isLive(p as RunState['phase']))).toBe(true);
    expect(['review', 'reverted', 'done', 'error'].some((p) => isLive(p as RunState['phase']))).toBe(false);
  });
});
