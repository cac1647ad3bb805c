import { describe, expect, it } from 'vitest';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import { initialRunState, isLive, reduceRun, type Effect, type RunEvent, type RunState } from '../../../src/core/session/reducer';

const server = (event: KnownServerEvent): RunEvent => ({ type: 'server', at: 1, event });
const delta = (text: string, item_id = 'msg_final'): RunEvent => server({ type: 'response.output_text.delta', item_id, output_index: 0, content_index: 0, delta: text });
const created = (id: string): RunEvent => server({ type: 'response.created', response: { id } });
const response = (type: 'response.completed' | 'response.failed' | 'response.incomplete', extra: object = {}, id = 'resp_1'): RunEvent =>
  server({ type, response: { id, ...extra } });

const STOP: Effect[] = [{ type: 'discardPending' }, { type: 'cancelResponse' }];
const SEND_INITIAL: Effect = { type: 'sendRequest', mode: 'initial', previousResponseId: undefined };

function play(events: RunEvent[], onType: 'cancel' | 'redirect' = 'cancel'): { state: RunState; effects: (readonly Effect[])[] } {
  let t = initialRunState('rename x to y', onType, 500);
  const effects: (readonly Effect[])[] = [t.effects];
  for (const e of events) {
    t = reduceRun(t.state, e);
    effects.push(t.effects);
  }
  return { state: t.state, effects };
}

describe('run reducer', () => {
  it('sends on start, streams deltas, finishes into review, accept ends it', () => {
    const { state, effects } = play([{ type: 'sent', at: 0 }, created('resp_1'), delta('a'), delta('b'), response('response.completed'), { type: 'outputApplied', hunks: [] }, { type: 'accept' }]);
    expect(effects).toEqual([
      [SEND_INITIAL],
      [],
      [],
      [{ type: 'appendOutput', text: 'a' }],
      [{ type: 'appendOutput', text: 'b' }],
      [{ type: 'finishOutput' }],
      [],
      [{ type: 'clearMarks' }],
    ]);
    expect(state).toMatchObject({ phase: 'done', deltas: 2, endReason: 'completed', lastCompletedResponseId: 'resp_1', activeResponseId: undefined });
  });

  it('a user keystroke while streaming discards pending edits first, then cancels on the wire', () => {
    const { state, effects } = play([delta('a'), { type: 'userEdit', placement: 'inside' }, delta('late')]);
    expect(effects[2]).toEqual([...STOP, { type: 'report', level: 'info', message: 'stopped: you typed in the document' }]);
    expect(effects[3]).toEqual([]);
    expect(state).toMatchObject({ phase: 'review', endReason: 'interrupted' });
  });

  it('an interrupt before any output ends the run with nothing to review', () => {
    const { state, effects } = play([{ type: 'userEdit', placement: 'before' }]);
    expect(effects[1]).toEqual([...STOP, { type: 'clearMarks' }, { type: 'report', level: 'info', message: 'stopped: you typed in the document' }]);
    expect(state.phase).toBe('done');
  });

  it('with onType=redirect, typing inside the region redirects after a pause; outside it streaming goes on', () => {
    const outside = play([delta('a'), { type: 'userEdit', placement: 'after' }, delta('b')], 'redirect');
    expect(outside.state.phase).toBe('streaming');
    expect(outside.effects[3]).toEqual([{ type: 'appendOutput', text: 'b' }]);

    const inside = play([delta('a'), { type: 'userEdit', placement: 'inside' }, { type: 'userEdit', placement: 'inside' }, { type: 'redirectPauseElapsed' }], 'redirect');
    expect(inside.effects[2]).toEqual([...STOP, { type: 'startRedirectTimer', ms: 500 }]);
    expect(inside.effects[3]).toEqual([{ type: 'startRedirectTimer', ms: 500 }]);
    expect(inside.effects[4]).toEqual([{ type: 'sendRequest', mode: 'redirect', previousResponseId: undefined }]); // already stopped when the user typed
    expect(inside.state).toMatchObject({ phase: 'connecting', history: ['rename x to y'], instruction: 'rename x to y (continue, keeping the edits I just made)' });
  });

  it('redirect without steering stops, then restarts with the old instruction in history', () => {
    const { state, effects } = play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'use z instead', canSteer: false }]);
    // What arrived still lands (nobody typed); the response stops on the wire.
    expect(effects[3]).toEqual([{ type: 'cancelResponse' }, { type: 'sendRequest', mode: 'redirect', previousResponseId: undefined }]);
    expect(state).toMatchObject({ phase: 'connecting', instruction: 'use z instead', history: ['rename x to y'], wroteText: true, deltas: 0 });
  });

  it('redirect after a completed response continues it by previous_response_id; not found falls back to full context', () => {
    const done = play([created('resp_1'), delta('a'), response('response.completed'), { type: 'outputApplied', hunks: [] }, { type: 'redirect', instruction: 'again', canSteer: true }]);
    expect(done.effects[5]).toEqual([{ type: 'sendRequest', mode: 'redirect', previousResponseId: 'resp_1' }]);
    expect(done.state.continued).toBe('resp_1');
    const notFound = reduceRun(done.state, server({ type: 'error', error: { code: 'previous_response_not_found', message: 'gone' } }));
    expect(notFound.effects).toEqual([{ type: 'sendRequest', mode: 'fullContextRetry', previousResponseId: undefined }]);
    expect(notFound.state).toMatchObject({ phase: 'connecting', continued: undefined, lastCompletedResponseId: undefined });
  });

  describe('native steering', () => {
    const steering = () => play([created('resp_1'), delta('a'), { type: 'redirect', instruction: 'use z', canSteer: true }]);

    it('a redirect while streaming steers the active response: stop applying, no socket closed', () => {
      const { state, effects } = steering();
      expect(effects[3]).toEqual([{ type: 'steer', responseId: 'resp_1' }]);
      expect(state).toMatchObject({ phase: 'steering', instruction: 'use z', history: ['rename x to y'], activeResponseId: 'resp_1' });
      expect(isLive(state.phase)).toBe(true);
    });

    it("the old response's tail and its steered end are ignored; the successor's output is the run's", () => {
      let t = { state: steering().state, effects: [] as readonly Effect[] };
      for (const e of [server({ type: 'response.steer.accepted', steer: { id: 's', previous_response_id: 'resp_1' } }), delta('old tail'), response('response.incomplete', { incomplete_details: { reason: 'steered' } })]) {
        t = reduceRun(t.state, e);
        expect(t.effects).toEqual([]);
        expect(t.state.phase).toBe('steering');
      }
      t = reduceRun(t.state, created('resp_2'));
      expect(t.effects).toEqual([{ type: 'beginSuccessor' }]);
      expect(t.state).toMatchObject({ phase: 'connecting', activeResponseId: 'resp_2' });
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
        { type: 'sendRequest', mode: 'redirect', previousResponseId: undefined },
      ]);
      expect(failed.state).toMatchObject({ phase: 'connecting', instruction: 'use z', history: ['rename x to y'] });
      const gone = reduceRun(steering().state, { type: 'steerUnavailable' });
      expect(gone.effects.at(-1)).toEqual({ type: 'sendRequest', mode: 'redirect', previousResponseId: undefined });
    });

    it('without an active response id (nothing created yet), redirect is a new request', () => {
      const { effects } = play([{ type: 'redirect', instruction: 'x', canSteer: true }]);
      expect(effects[1]).toEqual([{ type: 'cancelResponse' }, { type: 'sendRequest', mode: 'redirect', previousResponseId: undefined }]);
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
      expect(state).toMatchObject({ progress: 'Thinking. I will rename.', deltas: 1 });
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
      expect(state).toMatchObject({ phase: 'review', endReason: 'refused', refusal: "I can't help." });
      expect(reduceRun(state, { type: 'reject' }).effects).toEqual([{ type: 'clearMarks' }]);
    });

    it('a refusal after some code restores the original', () => {
      const { state, effects } = play([delta('x'), server({ type: 'response.refusal.done', refusal: 'No.' }), response('response.completed')]);
      expect(effects[3]).toEqual([...STOP, { type: 'restoreOriginal' }, { type: 'clearMarks' }, { type: 'report', level: 'warning', message: 'the model refused: No.' }]);
      expect(state.phase).toBe('done');
    });
  });

  it('errors in either shape show the server message verbatim', () => {
    const nested = play([server({ type: 'error', error: { code: 'rate_limit_exceeded', message: 'Slow down.' } })]);
    const flat = play([server({ type: 'error', code: 'server_error', message: 'Flat trouble.', param: null })]);
    expect(nested.state).toMatchObject({ phase: 'error', message: 'the server reported an error [rate_limit_exceeded]: Slow down.' });
    expect(flat.state).toMatchObject({ phase: 'error', message: 'the server reported an error [server_error]: Flat trouble.' });
  });

  it('a failure mid-stream keeps the partial text for review and says so', () => {
    const { state, effects } = play([delta('a'), { type: 'transportFailed', failure: { kind: 'stalled', afterMs: 8_000, message: 'the server sent nothing for 8 s' } }, { type: 'outputApplied', hunks: [] }]);
    const message = 'the server sent nothing for 8 s; the text that arrived is kept, marked as partial';
    expect(effects[2]).toEqual([{ type: 'landPartialOutput', wholeLinesOnly: false }, { type: 'report', level: 'error', message }]);
    expect(state).toMatchObject({ phase: 'review', endReason: 'failed', message });
  });

  it('a dropped connection resumes twice by itself, then keeps the partial text', () => {
    const drop: RunEvent = { type: 'transportFailed', failure: { kind: 'dropped', code: 1006, message: 'the connection dropped' } };
    const { state, effects } = play([delta('a'), drop, delta('b'), drop, delta('c'), drop]);
    expect(effects[2]).toEqual([{ type: 'resume', delayMs: 100 }]);
    expect(effects[4]).toEqual([{ type: 'resume', delayMs: 500 }]);
    expect(effects[6]).toEqual([{ type: 'landPartialOutput', wholeLinesOnly: false }, { type: 'report', level: 'error', message: 'the connection dropped; the text that arrived is kept, marked as partial' }]);
    expect(state).toMatchObject({ resumes: 2, deltas: 3, phase: 'applying' });
    // A frame over the size limit or a shut-down channel is no blip: no resume.
    expect(play([delta('a'), { type: 'transportFailed', failure: { kind: 'dropped', code: 1009, message: 'too big' } }]).effects[2]![0]).toEqual({ type: 'landPartialOutput', wholeLinesOnly: false });
  });

  it('incomplete and failed responses end the stream with their reason; incomplete with {} details too', () => {
    expect(play([delta('a'), response('response.incomplete', { incomplete_details: { reason: 'max_output_tokens' } })]).state.message).toBe(
      'the model stopped early (max_output_tokens); the text that arrived is kept, marked as partial',
    );
    expect(play([delta('a'), response('response.incomplete', { incomplete_details: {} })]).state.message).toBe(
      'the model stopped early (no reason given); the text that arrived is kept, marked as partial',
    );
    expect(play([delta('a'), response('response.failed', { error: { code: 'server_error', message: 'boom' } })]).state.message).toBe(
      'the request failed [server_error]: boom; the text that arrived is kept, marked as partial',
    );
  });

  it('reject works while streaming: stops, then restores', () => {
    const { state, effects } = play([delta('a'), { type: 'reject' }]);
    expect(effects[2]).toEqual([...STOP, { type: 'restoreOriginal' }, { type: 'clearMarks' }]);
    expect(state).toMatchObject({ phase: 'done', endReason: 'cancelled' });
  });

  it('cancel and document close stop a live run; events after the end change nothing', () => {
    expect(play([delta('a'), { type: 'cancel' }]).state).toMatchObject({ phase: 'review', endReason: 'cancelled' });
    const closed = play([delta('a'), { type: 'documentClosed' }, delta('b')]);
    expect(closed.state.phase).toBe('error');
    expect(closed.effects[3]).toEqual([]);
  });

  it('queued until sent: the run says it waits for a connection', () => {
    const { state } = play([{ type: 'queued' }]);
    expect(state.queued).toBe(true);
    expect(reduceRun(state, { type: 'sent', at: 5 }).state).toMatchObject({ queued: false, sentAt: 5 });
  });

  it('isLive covers every phase in which the buffer may still change', () => {
    expect(['connecting', 'streaming', 'steering', 'redirecting', 'applying'].every((p) => isLive(p as RunState['phase']))).toBe(true);
    expect(['review', 'done', 'error'].some((p) => isLive(p as RunState['phase']))).toBe(false);
  });
});
