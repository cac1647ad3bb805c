import OpenAI from 'openai';
import type { ResponsesServerEvent } from 'openai/resources/responses/responses';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { describe, expect, it } from 'vitest';
import type { SparkServer } from '../../../src/server/server';
import { useReferenceServers } from '../support/referenceServers';

/*
 * The official SDK's own WebSocket client (`ResponsesWS`) against the
 * reference server: the protocol's oracle is code we did not write.
 */

const { cleanups, serve } = useReferenceServers(20_000);

/** An SDK client (its socket opening), with every server event it receives. */
function sdkClient(server: SparkServer): { ws: ResponsesWS; events: ResponsesServerEvent[]; until: (predicate: (e: ResponsesServerEvent) => boolean) => Promise<ResponsesServerEvent> } {
  const client = new OpenAI({ apiKey: 'sk-test-not-a-real-key', baseURL: server.url.replace(/^ws:/, 'http:').replace(/\/responses$/, '') });
  const ws = new ResponsesWS(client);
  cleanups.push(() => ws.close({ code: 1000, reason: 'test over' }));
  const events: ResponsesServerEvent[] = [];
  const waiters: { predicate: (e: ResponsesServerEvent) => boolean; resolve: (e: ResponsesServerEvent) => void }[] = [];
  ws.on('event', (event: ResponsesServerEvent) => {
    events.push(event);
    for (const w of [...waiters]) {
      if (w.predicate(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  ws.on('error', () => undefined);
  const until = (predicate: (e: ResponsesServerEvent) => boolean): Promise<ResponsesServerEvent> => {
    const seen = events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ predicate, resolve });
      setTimeout(() => reject(new Error(`no such event within 5 s; saw ${events.map((e) => e.type).join(', ')}`)), 5_000).unref();
    });
  };
  return { ws, events, until };
}

const outputText = (events: readonly ResponsesServerEvent[], responseId?: string): string => {
  let current: string | undefined;
  let text = '';
  for (const e of events) {
    if (e.type === 'response.created') current = e.response.id;
    if (e.type === 'response.output_text.delta' && (responseId === undefined || current === responseId)) text += e.delta;
  }
  return text;
};

describe('the official SDK client (ResponsesWS) against the reference server', () => {
  it('a plain request, string input, no <rewrite> framing: completes with a full Response', async () => {
    const server = await serve();
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'gpt-5.3-codex-spark', input: 'Instruction: uppercase\nconst total = 1;\n', instructions: null, store: false, metadata: null, temperature: null });
    const completed = await until((e) => e.type === 'response.completed');
    if (completed.type !== 'response.completed') throw new Error('unreachable');
    const r = completed.response;
    expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5.3-codex-spark', error: null, incomplete_details: null });
    expect(typeof r.created_at).toBe('number');
    expect(r.output).toHaveLength(1);
    expect(r.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'CONST TOTAL = 1;\n', annotations: [] }] });
    expect(r.usage).toMatchObject({ input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(outputText(events)).toBe('CONST TOTAL = 1;\n');
    const delta = events.find((e) => e.type === 'response.output_text.delta');
    expect(delta).toMatchObject({ logprobs: [] });
    const itemDone = events.find((e) => e.type === 'response.output_item.done');
    expect(itemDone).toMatchObject({ item: { content: [{ type: 'output_text', text: 'CONST TOTAL = 1;\n' }] } });
    // sequence_number runs 0, 1, 2, … within the response.
    expect(events.map((e) => ('sequence_number' in e ? e.sequence_number : -1))).toEqual(events.map((_, i) => i));
  });

  it('a prompt it cannot interpret gets an answer in text, never response.failed', async () => {
    const server = await serve();
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: [{ role: 'user', content: 'Hello there!' }] });
    await until((e) => e.type === 'response.completed');
    expect(events.some((e) => e.type === 'response.failed')).toBe(false);
    expect(outputText(events)).toMatch(/Spark Edit reference server/);
  });

  it('a fenced block with the instruction around it is understood', async () => {
    const server = await serve();
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'rename a to b\n```ts\nconst a = a + 1;\n```' }] }] });
    await until((e) => e.type === 'response.completed');
    expect(outputText(events)).toBe('const b = b + 1;\n');
  });

  it('prompt_cache_key: a repeated long prefix under one key comes back as cached_tokens, in whole 128-token blocks; no key, nothing cached', async () => {
    const server = await serve();
    const { ws, until } = sdkClient(server);
    const file = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i});`).join('\n') + '\n';
    // Each request's own completion: the first one not seen before.
    const seen = new Set<string>();
    const usageOf = async (instruction: string, key: string | undefined): Promise<{ input: number; cached: number }> => {
      ws.send({ type: 'response.create', model: 'm', input: `${file}Instruction: ${instruction}\n`, store: false, ...(key ? { prompt_cache_key: key } : {}) });
      const done = await until((e) => e.type === 'response.completed' && !seen.has(e.response.id));
      if (done.type !== 'response.completed') throw new Error('unreachable');
      seen.add(done.response.id);
      return { input: done.response.usage!.input_tokens, cached: done.response.usage!.input_tokens_details.cached_tokens };
    };
    const first = await usageOf('uppercase', 'run-1');
    expect(first.input).toBeGreaterThan(1_024);
    expect(first.cached).toBe(0);
    const second = await usageOf('lowercase', 'run-1');
    expect(second.cached).toBeGreaterThanOrEqual(1_024);
    expect(second.cached % 128).toBe(0);
    expect(second.cached).toBeLessThanOrEqual(second.input);
    expect((await usageOf('lowercase', undefined)).cached).toBe(0);
    expect((await usageOf('uppercase', 'run-2')).cached).toBe(0);
  });

  it('continues the latest response by previous_response_id; an older one is previous_response_not_found', async () => {
    const server = await serve();
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: uppercase\nabc\n', store: false });
    const first = await until((e) => e.type === 'response.completed');
    const firstId = first.type === 'response.completed' ? first.response.id : '';
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: reverse lines\nx\ny\n', previous_response_id: firstId, store: false });
    const second = await until((e) => e.type === 'response.completed' && e.response.id !== firstId);
    expect(second.type === 'response.completed' && second.response.previous_response_id).toBe(firstId);
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: uppercase\nq\n', previous_response_id: firstId, store: false });
    const error = await until((e) => e.type === 'error');
    expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', code: 'previous_response_not_found', param: 'previous_response_id' } });
    expect(events.filter((e) => e.type === 'response.failed')).toHaveLength(0);
  });

  it('steer: accepted → the response ends incomplete (steered) → the automatic successor completes with the new input', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 300 } });
    const { ws, events, until } = sdkClient(server);
    const region = 'alpha\nbeta\n'.repeat(30);
    ws.send({ type: 'response.create', model: 'm', input: `Instruction: uppercase\n${region}`, store: false });
    const created = await until((e) => e.type === 'response.created');
    const firstId = created.type === 'response.created' ? created.response.id : '';
    await until((e) => e.type === 'response.output_text.delta');
    ws.send({ type: 'response.steer', previous_response_id: firstId, input: [{ type: 'message', role: 'user', content: 'instead reverse lines' }] });
    const accepted = await until((e) => e.type === 'response.steer.accepted');
    expect(accepted).toMatchObject({ steer: { previous_response_id: firstId } });
    const incomplete = await until((e) => e.type === 'response.incomplete');
    expect(incomplete).toMatchObject({ response: { id: firstId, status: 'incomplete', incomplete_details: { reason: 'steered' } } });
    const successor = await until((e) => e.type === 'response.created' && e.response.id !== firstId);
    const successorId = successor.type === 'response.created' ? successor.response.id : '';
    const done = await until((e) => e.type === 'response.completed');
    expect(done).toMatchObject({ response: { id: successorId, previous_response_id: firstId } });
    // The successor rewrote the steered response's region with the new input.
    expect(outputText(events, successorId)).toBe(region.split('\n').slice(0, -1).reverse().join('\n') + '\n');
  });

  it('steer refusals carry the documented codes and return the input', async () => {
    const server = await serve({ steering: false, timing: { ttftMs: 0, tokensPerSecond: 300 } });
    const { ws, until, events } = sdkClient(server);
    ws.send({ type: 'response.steer', previous_response_id: 'resp_nope', input: 'x' });
    expect(await until((e) => e.type === 'response.steer.failed')).toMatchObject({ error: { type: 'invalid_request_error', code: 'response_not_found' }, steer: { previous_response_id: 'resp_nope', input: 'x' } });
    ws.send({ type: 'response.create', model: 'm', input: `Instruction: uppercase\n${'x'.repeat(300)}\n` });
    const created = await until((e) => e.type === 'response.created');
    const id = created.type === 'response.created' ? created.response.id : '';
    ws.send({ type: 'response.steer', previous_response_id: id, input: 'y' });
    await until((e) => e.type === 'response.steer.failed' && e.error.code === 'steering_not_supported');
    await until((e) => e.type === 'response.completed');
    ws.send({ type: 'response.steer', previous_response_id: id, input: 'z' });
    await until((e) => e.type === 'response.steer.failed' && e.error.code === 'response_already_completed');
    expect(events.filter((e) => e.type === 'response.steer.failed').map((e) => (e.type === 'response.steer.failed' ? e.error.code : ''))).toEqual([
      'response_not_found',
      'steering_not_supported',
      'response_already_completed',
    ]);
  });

  it('two lanes run side by side; every event carries its lane', async () => {
    const server = await serve({ timing: { ttftMs: 0, tokensPerSecond: 400 } });
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: `Instruction: uppercase\n${'a'.repeat(200)}\n`, stream_id: 'left' });
    ws.send({ type: 'response.create', model: 'm', input: `Instruction: uppercase\n${'b'.repeat(200)}\n`, stream_id: 'right' });
    await until((e) => e.type === 'response.completed' && e.stream_id === 'left');
    await until((e) => e.type === 'response.completed' && e.stream_id === 'right');
    expect(events.every((e) => 'stream_id' in e && (e.stream_id === 'left' || e.stream_id === 'right'))).toBe(true);
    // Side by side: the right lane's first delta came before the left lane finished.
    const leftDone = events.findIndex((e) => e.type === 'response.completed' && e.stream_id === 'left');
    const rightFirst = events.findIndex((e) => e.type === 'response.output_text.delta' && e.stream_id === 'right');
    expect(rightFirst).toBeLessThan(leftDone);
  });

  it('documented errors: a missing model, bad JSON and an injected flat error, each in the official shape', async () => {
    const server = await serve({ control: true });
    const { ws, until } = sdkClient(server);
    ws.sendRaw('{"type":"response.create","input":"x"}');
    expect(await until((e) => e.type === 'error')).toMatchObject({ error: { type: 'invalid_request_error', code: 'missing_required_parameter', param: 'model' } });
    ws.sendRaw('{not json');
    expect(await until((e) => e.type === 'error' && 'error' in e && e.error.code === 'invalid_json')).toMatchObject({ status: 400 });
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: uppercase\nabcdefgh\n', metadata: { spark_fault: 'error_flat:1' } });
    const flat = await until((e) => e.type === 'error' && 'code' in e && e.code === 'server_error');
    expect(flat).toMatchObject({ type: 'error', code: 'server_error', param: null });
    expect((flat as { message: string }).message).toMatch(/flat error event/);
  });

  it('codex shape: reasoning, commentary, then the final answer, each a complete item', async () => {
    const server = await serve({ shape: 'codex' });
    const { ws, events, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: uppercase\nabc\n' });
    const completed = await until((e) => e.type === 'response.completed');
    const output = completed.type === 'response.completed' ? completed.response.output : [];
    expect(output.map((i) => (i.type === 'message' ? `message:${i.phase ?? ''}` : i.type))).toEqual(['reasoning', 'message:commentary', 'message:final_answer']);
    expect(completed.type === 'response.completed' && completed.response.output_text).toBe('ABC\n');
    expect(events.some((e) => e.type === 'response.reasoning_summary_text.delta')).toBe(true);
  });

  it('refusal shape: the message content is a refusal part', async () => {
    const server = await serve({ shape: 'refusal' });
    const { ws, until } = sdkClient(server);
    ws.send({ type: 'response.create', model: 'm', input: 'Instruction: uppercase\nabc\n' });
    const done = await until((e) => e.type === 'response.refusal.done');
    expect(done.type === 'response.refusal.done' && done.refusal).toMatch(/can't help/);
    const completed = await until((e) => e.type === 'response.completed');
    expect(completed.type === 'response.completed' && completed.response.output[0]).toMatchObject({ type: 'message', content: [{ type: 'refusal' }] });
  });
});
