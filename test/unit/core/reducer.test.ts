import { describe, expect, it } from 'vitest';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import { initialRunState, reduceRun, type RunEvent, type RunState } from '../../../src/core/session/reducer';

const delta = (text: string): RunEvent => ({
  type: 'server',
  at: 1,
  event: { type: 'response.output_text.delta', item_id: 'i', output_index: 0, content_index: 0, delta: text, sequence_number: 1 },
});
const response = (type: 'response.completed' | 'response.failed' | 'response.incomplete', extra: object = {}): RunEvent => ({
  type: 'server',
  at: 2,
  event: { type, sequence_number: 9, response: { id: 'resp_1', status: type === 'response.completed' ? 'completed' : type === 'response.failed' ? 'failed' : 'incomplete', ...extra } } as KnownServerEvent,
});

function play(events: RunEvent[], onType: 'cancel' | 'redirect' = 'cancel'): { state: RunState; effects: string[][] } {
  let t = initialRunState('rename x to y', onType, 500);
  const effects = [t.effects.map((e) => e.type)];
  for (const e of events) {
    t = reduceRun(t.state, e);
    effects.push(t.effects.map((x) => x.type));
  }
  return { state: t.state, effects };
}

describe('run reducer', () => {
  it('sends on start, streams deltas, finishes into review, accept ends it', () => {
    const { state, effects } = play([{ type: 'sent', at: 0 }, delta('a'), delta('b'), response('response.completed'), { type: 'outputApplied' }, { type: 'accept' }]);
    expect(effects).toEqual([['sendRequest'], [], ['appendOutput'], ['appendOutput'], ['finishOutput'], [], ['clearMarks']]);
    expect(state.phase).toBe('done');
    expect(state.deltas).toBe(2);
  });

  it('a user keystroke while streaming discards pending edits first, then cancels on the wire', () => {
    const { state, effects } = play([delta('a'), { type: 'userEdit', placement: 'inside' }, delta('late')]);
    expect(effects[2]!.slice(0, 2)).toEqual(['discardPending', 'cancelResponse']);
    expect(effects[3]).toEqual([]); // a late delta does nothing
    expect(state.phase).toBe('review');
    expect(state.endReason).toBe('interrupted');
  });

  it('an interrupt before any output ends the run with nothing to review', () => {
    const { state } = play([{ type: 'userEdit', placement: 'before' }]);
    expect(state.phase).toBe('done');
  });

  it('with onType=redirect, typing inside the region redirects after a pause; outside it streaming goes on', () => {
    const outside = play([delta('a'), { type: 'userEdit', placement: 'after' }, delta('b')], 'redirect');
    expect(outside.state.phase).toBe('streaming');
    expect(outside.effects[3]).toEqual(['appendOutput']);

    const inside = play([delta('a'), { type: 'userEdit', placement: 'inside' }, { type: 'userEdit', placement: 'inside' }, { type: 'redirectPauseElapsed' }], 'redirect');
    expect(inside.effects[2]).toEqual(['discardPending', 'cancelResponse', 'startRedirectTimer']);
    expect(inside.effects[3]).toEqual(['startRedirectTimer']);
    expect(inside.effects[4]).toEqual(['sendRequest']);
    expect(inside.state.history).toEqual(['rename x to y']);
    expect(inside.state.phase).toBe('connecting');
  });

  it('redirect while streaming stops, then restarts with the old instruction in history', () => {
    const { state, effects } = play([delta('a'), { type: 'redirect', instruction: 'use z instead' }]);
    expect(effects[2]).toEqual(['discardPending', 'cancelResponse', 'sendRequest']);
    expect(state.instruction).toBe('use z instead');
    expect(state.history).toEqual(['rename x to y']);
    expect(state.wroteText).toBe(true);
  });

  it('a failure mid-stream keeps the partial text for review and says so', () => {
    const { state, effects } = play([delta('a'), { type: 'transportFailed', failure: { kind: 'dropped', code: 1006, message: 'the connection dropped' } }, { type: 'outputApplied' }]);
    expect(effects[2]).toEqual(['flushPartialOutput', 'report']);
    expect(state.phase).toBe('review');
    expect(state.endReason).toBe('failed');
    expect(state.message).toMatch(/partial/);
  });

  it('a server error before output ends in error; previous_response_not_found falls back to full context', () => {
    const error = (code: string): RunEvent => ({ type: 'server', at: 1, event: { type: 'error', status: 400, error: { type: 'invalid_request_error', code, message: 'nope' } } });
    expect(play([error('rate_limit_exceeded')]).state.phase).toBe('error');
    let t = initialRunState('x', 'cancel', 500);
    t = { state: { ...t.state, continued: true }, effects: [] };
    const retry = reduceRun(t.state, error('previous_response_not_found'));
    expect(retry.effects).toEqual([{ type: 'sendRequest', mode: 'fullContextRetry' }]);
    expect(retry.state.phase).toBe('connecting');
  });

  it('incomplete and failed responses end the stream with a reason', () => {
    expect(play([delta('a'), response('response.incomplete', { incomplete_details: { reason: 'max_output_tokens' } })]).state.message).toMatch(/max_output_tokens/);
    expect(play([delta('a'), response('response.failed', { error: { message: 'boom' } })]).state.message).toMatch(/boom/);
  });

  it('reject works while streaming: stops, then restores', () => {
    const { state, effects } = play([delta('a'), { type: 'reject' }]);
    expect(effects[2]).toEqual(['discardPending', 'cancelResponse', 'restoreOriginal', 'clearMarks']);
    expect(state.phase).toBe('done');
  });

  it('cancel and document close stop a live run; events after the end change nothing', () => {
    expect(play([delta('a'), { type: 'cancel' }]).state.phase).toBe('review');
    const closed = play([delta('a'), { type: 'documentClosed' }, delta('b')]);
    expect(closed.state.phase).toBe('error');
    expect(closed.effects[3]).toEqual([]);
  });
});
