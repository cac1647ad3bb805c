import { describe, expect, it } from 'vitest';
import { buildEditRequest, parseEditRequest, type EditContext } from '../../../src/core/prompt/buildRequest';
import type { OutgoingResponseCreate } from '../../../src/core/protocol/clientEvents';
import type { KnownServerEvent } from '../../../src/core/protocol/serverEvents';
import { initialRunState, reduceRun, type RunEvent, type Transition } from '../../../src/core/session/reducer';
import { takeRequest, Takes } from '../../../src/core/session/takes';
import type { ResponseListener } from '../../../src/core/transport/responseChannel';
import { ok } from '../../../src/core/result';
import { settle } from '../support/fakeClock';

const context: EditContext = { fileName: 'a.ts', languageId: 'typescript', before: '', region: 'let a = 1;\n', after: '' };
const body = (): OutgoingResponseCreate => buildEditRequest(context, 'rename a to b', [], { model: 'm', contextTokens: 32_000 }).request;

/** A pool that records each request's listener, so a test plays each take's stream. */
function pool() {
  const sent: { body: OutgoingResponseCreate; listener: ResponseListener; cancelled: boolean }[] = [];
  const connector = {
    connect: () =>
      Promise.resolve(ok({
        canSteer: false,
        request: (b: OutgoingResponseCreate, listener: ResponseListener) => {
          const entry = { body: b, listener, cancelled: false };
          sent.push(entry);
          return { cancel: () => (entry.cancelled = true), steer: () => false };
        },
      })),
  };
  return { sent, connector };
}
const event = (e: Omit<KnownServerEvent, 'sequence_number'>): KnownServerEvent => ({ sequence_number: 0, ...e }) as KnownServerEvent;

describe('alternatives (takes)', () => {
  it('a take is the same request, marked with its number, which the reference server reads back', () => {
    const marked = takeRequest(body(), 2, 3);
    expect(parseEditRequest(marked)).toEqual({ region: 'let a = 1;\n', instruction: 'rename a to b', history: [], take: { index: 2, count: 3 } });
    expect({ ...marked, input: undefined }).toEqual({ ...body(), input: undefined });
  });

  it('streams takes 2…n in parallel, applies each to the original in memory (reasoning and fences left out), and reports each as it ends', async () => {
    const { sent, connector } = pool();
    let changes = 0;
    const takes = new Takes(connector, 'let a = 1;\n', '\n', 'rewrite', () => changes++);
    takes.start(body(), 3);
    await settle();
    expect(sent.map((s) => parseEditRequest(s.body).take)).toEqual([{ index: 2, count: 3 }, { index: 3, count: 3 }]);
    expect([takes.status(2), takes.status(3)]).toEqual([{ state: 'streaming' }, { state: 'streaming' }]);
    const two = sent[0]!.listener;
    two.onEvent(event({ type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', id: 'rs_1' } } as never));
    two.onEvent(event({ type: 'response.output_text.delta', item_id: 'rs_1', output_index: 0, content_index: 0, delta: 'thinking' } as never));
    for (const delta of ['```ts\nlet b', ' = 1;\n```\n']) two.onEvent(event({ type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta } as never));
    two.onEvent(event({ type: 'response.completed', response: { id: 'resp_2', status: 'completed' } } as never));
    sent[1]!.listener.onFailure({ kind: 'dropped', code: 1006, message: 'the connection dropped' });
    expect(takes.status(2)).toEqual({ state: 'done', text: 'let b = 1;\n' });
    expect(takes.status(3)).toEqual({ state: 'failed', message: 'the connection dropped' });
    expect(changes).toBe(2);
    takes.dispose();
    expect(sent.every((s) => s.cancelled)).toBe(true);
  });

  it('the reducer: takes are asked for with the first request, shown one at a time as a step under review, and dropped by a redirect', () => {
    let t: Transition = initialRunState({ instruction: 'x', policy: { onType: 'cancel', redirectPauseMs: 500 }, preview: false, takes: 3 });
    expect(t.effects.map((e) => e.type)).toEqual(['sendRequest', 'startTakes']);
    const play = (...events: RunEvent[]): void => {
      for (const e of events) t = reduceRun(t.state, e);
    };
    const server = (e: object): RunEvent => ({ type: 'server', request: 1, at: 0, event: event(e as never) });
    play(server({ type: 'response.created', response: { id: 'r1' } }), server({ type: 'response.output_text.delta', item_id: 'm', output_index: 0, content_index: 0, delta: 'y' }), server({ type: 'response.completed', response: { id: 'r1' } }), { type: 'landed', step: 1, hunks: ['h1'], unchanged: false });
    expect(t.state).toMatchObject({ phase: 'review', takes: { count: 3, shown: 1 } });
    play({ type: 'showTake', take: 2 });
    const step = t.state.step;
    expect(t.effects).toEqual([{ type: 'showTake', step, take: 2 }]);
    play({ type: 'showTake', take: 3 }); // a swap under way: the next waits for it
    expect(t.effects).toEqual([]);
    play({ type: 'landed', step, hunks: ['h2'], unchanged: false });
    expect(t.state).toMatchObject({ phase: 'review', takes: { shown: 2 }, review: { pending: ['h2'] } });
    // Once a hunk is decided, another take would throw that away.
    play({ type: 'decideHunk', hunkId: 'h2', decision: 'accept' });
    expect(t.state.phase).toBe('done');
    let r: Transition = initialRunState({ instruction: 'x', policy: { onType: 'cancel', redirectPauseMs: 500 }, preview: true, takes: 2 });
    expect(r.effects.map((e) => e.type)).toEqual(['sendRequest']); // a preview asks on Enter
    r = reduceRun(r.state, { type: 'keep' });
    expect(r.effects).toEqual([{ type: 'startTakes', count: 2 }]);
    r = reduceRun(r.state, { type: 'redirect', instruction: 'z', canSteer: false });
    expect(r.effects).toContainEqual({ type: 'dropTakes' });
    expect(r.state.takes).toBeUndefined();
  });
});
