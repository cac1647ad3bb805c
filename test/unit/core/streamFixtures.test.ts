import { startRun } from '../support/startRun';
import type { Response, ResponsesServerEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { DocumentSync } from '../../../src/core/edit/documentSync';
import { decodeServerFrame } from '../../../src/core/protocol/codec';
import type { OutgoingResponseCreate, OutgoingResponseSteer } from '../../../src/core/protocol/clientEvents';
import { type RequestSender, type RunView } from '../../../src/core/session/runController';
import type { ResponseHandle, ResponseListener } from '../../../src/core/transport/responseChannel';
import { FakeClock, settle } from '../support/fakeClock';
import { MemoryDocument } from '../support/memoryDocument';

/*
 * Whole streams in the official shapes (typed by the SDK's own
 * `ResponsesServerEvent`, sent as JSON frames through the real codec) driven
 * through the real reducer, streaming diff and an in-memory document.
 */

const response = (id: string, status: Response['status'], extra: Partial<Response> = {}): Response => ({
  id,
  object: 'response',
  created_at: 1_700_000_000,
  status,
  model: 'gpt-5.3-codex',
  output: [],
  output_text: '',
  error: null,
  incomplete_details: null,
  instructions: null,
  metadata: null,
  parallel_tool_calls: false,
  temperature: null,
  top_p: null,
  tool_choice: 'auto',
  tools: [],
  access_programs: null,
  ...extra,
});

class Stream {
  readonly frames: ResponsesServerEvent[] = [];
  private seq = 0;
  constructor(readonly id = 'resp_1') {}
  private get n(): number {
    return this.seq++;
  }
  created(): this {
    this.frames.push({ type: 'response.created', sequence_number: this.n, response: response(this.id, 'in_progress') });
    this.frames.push({ type: 'response.in_progress', sequence_number: this.n, response: response(this.id, 'in_progress') });
    return this;
  }
  reasoning(index: number, text: string): this {
    const id = `rs_${index}`;
    this.frames.push({ type: 'response.output_item.added', sequence_number: this.n, output_index: index, item: { id, type: 'reasoning', summary: [] } });
    this.frames.push({ type: 'response.reasoning_summary_text.delta', sequence_number: this.n, item_id: id, output_index: index, summary_index: 0, delta: text });
    this.frames.push({ type: 'response.output_item.done', sequence_number: this.n, output_index: index, item: { id, type: 'reasoning', summary: [{ type: 'summary_text', text }] } });
    return this;
  }
  message(index: number, phase: 'commentary' | 'final_answer' | undefined, pieces: readonly string[]): this {
    const id = `msg_${index}`;
    this.frames.push({ type: 'response.output_item.added', sequence_number: this.n, output_index: index, item: { id, type: 'message', role: 'assistant', status: 'in_progress', content: [], ...(phase ? { phase } : {}) } });
    this.frames.push({ type: 'response.content_part.added', sequence_number: this.n, item_id: id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of pieces) this.frames.push({ type: 'response.output_text.delta', sequence_number: this.n, item_id: id, output_index: index, content_index: 0, delta, logprobs: [] });
    const text = pieces.join('');
    this.frames.push({ type: 'response.output_text.done', sequence_number: this.n, item_id: id, output_index: index, content_index: 0, text, logprobs: [] });
    this.frames.push({ type: 'response.output_item.done', sequence_number: this.n, output_index: index, item: { id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }], ...(phase ? { phase } : {}) } });
    return this;
  }
  refusal(index: number, pieces: readonly string[]): this {
    const id = `msg_${index}`;
    this.frames.push({ type: 'response.output_item.added', sequence_number: this.n, output_index: index, item: { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    for (const delta of pieces) this.frames.push({ type: 'response.refusal.delta', sequence_number: this.n, item_id: id, output_index: index, content_index: 0, delta });
    this.frames.push({ type: 'response.refusal.done', sequence_number: this.n, item_id: id, output_index: index, content_index: 0, refusal: pieces.join('') });
    return this;
  }
  unknown(): this {
    // An event type this client has never heard of: ignorable by contract.
    this.frames.push({ type: 'response.queued', sequence_number: this.n, response: response(this.id, 'queued') });
    this.frames.push(JSON.parse('{"type":"response.future_thing.delta","sequence_number":99,"whatever":[1,2]}') as ResponsesServerEvent);
    return this;
  }
  completed(): this {
    this.frames.push({ type: 'response.completed', sequence_number: this.n, response: response(this.id, 'completed') });
    return this;
  }
  incomplete(details: Response['incomplete_details']): this {
    this.frames.push({ type: 'response.incomplete', sequence_number: this.n, response: response(this.id, 'incomplete', { incomplete_details: details }) });
    return this;
  }
  flatError(code: string, message: string): this {
    this.frames.push({ type: 'error', sequence_number: this.n, code, message, param: null });
    return this;
  }
  nestedError(code: string, message: string): this {
    this.frames.push({ type: 'error', status: 400, error: { type: 'invalid_request_error', code, message, param: null } });
    return this;
  }
}

/** Plays frames through the real codec into the run, as the channel would. */
class FixtureSender implements RequestSender {
  readonly requests: OutgoingResponseCreate[] = [];
  readonly steers: OutgoingResponseSteer[] = [];
  canSteer = true;
  private listener: ResponseListener | undefined;

  request(body: OutgoingResponseCreate, listener: ResponseListener): ResponseHandle {
    this.requests.push(body);
    this.listener = listener;
    listener.onSent(0);
    return {
      cancel: () => undefined,
      steer: (steer) => {
        this.steers.push(steer);
        return true;
      },
    };
  }

  play(frames: readonly ResponsesServerEvent[]): void {
    for (const frame of frames) {
      const decoded = decodeServerFrame(JSON.stringify(frame));
      if (!decoded.ok) throw new Error(`fixture frame did not decode: ${JSON.stringify(decoded.error)}`);
      if (decoded.value.kind === 'event') this.listener?.onEvent(decoded.value.event);
    }
  }
}

async function start(text: string, region: { start: number; end: number }) {
  const doc = new MemoryDocument(text, '\n', true);
  const clock = new FakeClock();
  const sync = new DocumentSync(doc, clock, 16, doc.version);
  doc.onChange((v, c) => sync.onDocumentChange(v, c));
  const sender = new FixtureSender();
  const reports: { level: string; message: string }[] = [];
  const view: RunView = { update: () => undefined, report: (level, message) => reports.push({ level, message }), ended: () => undefined };
  const run = startRun(
    { id: 'r1', instruction: 'uppercase', region, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream' },
    doc,
    sync,
    sender,
    view,
    clock,
  );
  await settle();
  const drain = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await clock.advance(20);
  };
  return { doc, clock, sender, run, reports, drain };
}

const FILE = 'head\nalpha\nbeta\ntail\n';
const REGION = { start: 5, end: 16 };

describe('official-shape streams through reducer, diff and document', () => {
  it('commentary, then the final answer: the buffer equals the final answer exactly, and no commentary ever reached it', async () => {
    const { doc, sender, run, drain } = await start(FILE, REGION);
    const versions: string[] = [];
    doc.onChange(() => versions.push(doc.text));
    sender.play(new Stream().created().message(0, 'commentary', ['I will ', 'uppercase it.']).message(1, 'final_answer', ['ALP', 'HA\nBE', 'TA\n']).completed().frames);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    expect(run.snapshot.state.phase).toBe('review');
    expect(run.snapshot.state.stream.progress).toBe('I will uppercase it.');
    expect(versions.every((t) => !t.includes('uppercase it'))).toBe(true);
  });

  it('reasoning first, then a phase-less message, with unknown events mixed in', async () => {
    const { doc, sender, drain } = await start(FILE, REGION);
    sender.play(new Stream().created().unknown().reasoning(0, 'Looking at two lines.').message(1, undefined, ['ALPHA\n', 'BETA\n']).unknown().completed().frames);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
  });

  it('several messages: commentary before and after the final answer', async () => {
    const { doc, sender, drain } = await start(FILE, REGION);
    sender.play(new Stream().created().message(0, 'commentary', ['Plan.']).message(1, 'final_answer', ['ALPHA\nBETA\n']).message(2, 'commentary', ['Done.']).completed().frames);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
  });

  it('a refusal leaves the region byte-identical and says why', async () => {
    const { doc, sender, run, reports, drain } = await start(FILE, REGION);
    sender.play(new Stream().created().refusal(0, ["I'm sorry, ", "I can't help with that."]).completed().frames);
    await drain();
    expect(doc.text).toBe(FILE);
    expect(doc.applyCalls).toBe(0);
    expect(run.snapshot.state).toMatchObject({ phase: 'review', outcome: { endReason: 'refused' } });
    expect(reports).toEqual([{ level: 'warning', message: "the model refused: I'm sorry, I can't help with that." }]);
  });

  it('a flat error shows the server message verbatim; so does a nested one', async () => {
    const flat = await start(FILE, REGION);
    flat.sender.play(new Stream().created().flatError('server_error', 'The engine overheated.').frames);
    await flat.drain();
    expect(flat.reports).toEqual([{ level: 'error', message: 'the server reported an error [server_error]: The engine overheated.' }]);
    expect(flat.doc.text).toBe(FILE);

    const nested = await start(FILE, REGION);
    nested.sender.play(new Stream().created().nestedError('rate_limit_exceeded', 'Too many requests.').frames);
    await nested.drain();
    expect(nested.reports[0]?.message).toBe('the server reported an error [rate_limit_exceeded]: Too many requests.');
  });

  it('incomplete with {} details keeps the partial text and says so', async () => {
    const { doc, sender, run, drain } = await start(FILE, REGION);
    sender.play(new Stream().created().message(0, 'final_answer', ['ALPHA\n']).incomplete({}).frames);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nbeta\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', outcome: { endReason: 'failed', message: 'the model stopped early (no reason given); the text that arrived is kept, marked as partial' } });
  });

  it('an emoji split across deltas (a surrogate pair cut in two) lands whole', async () => {
    const { doc, sender, drain } = await start('x\nsmile\ny\n', { start: 2, end: 8 });
    sender.play(new Stream().created().message(0, undefined, ['smile \ud83d', '\ude00 \ud83c\uddef', '\ud83c\uddf5\n']).completed().frames);
    await drain();
    expect(doc.text).toBe('x\nsmile 😀 🇯🇵\ny\n');
    expect(doc.text).not.toContain('\ufffd');
  });

  it('steer: the old tail never lands; the successor rewrites the region from its current text, one undo step for the run', async () => {
    const { doc, sender, run, drain } = await start(FILE, REGION);
    const first = new Stream('resp_1').created();
    first.frames.push({ type: 'response.output_item.added', sequence_number: 90, output_index: 0, item: { id: 'msg_0', type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
    sender.play(first.frames);
    sender.play([{ type: 'response.output_text.delta', sequence_number: 91, item_id: 'msg_0', output_index: 0, content_index: 0, delta: 'ALPHA\nBE', logprobs: [] }]);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nBE\nbeta\ntail\n'); // the unfinished line is shown on its own line
    run.redirect('reverse lines');
    await drain();
    // The unfinished model line was removed before the steer read the region.
    expect(doc.text).toBe('head\nALPHA\nbeta\ntail\n');
    expect(sender.steers).toHaveLength(1);
    expect(sender.steers[0]!.previous_response_id).toBe('resp_1');
    expect(sender.steers[0]!.input[0]!.content[0]!.text).toContain('<rewrite>\nALPHA\nbeta\n</rewrite>');
    expect(sender.requests).toHaveLength(1);
    sender.play([
      { type: 'response.steer.accepted', sequence_number: 92, steer: { id: 'steer_1', previous_response_id: 'resp_1' } },
      { type: 'response.output_text.delta', sequence_number: 93, item_id: 'msg_0', output_index: 0, content_index: 0, delta: 'TA\nOLD TAIL\n', logprobs: [] },
      { type: 'response.incomplete', sequence_number: 94, response: response('resp_1', 'incomplete', { incomplete_details: { reason: 'steered' } }) },
    ]);
    await drain();
    expect(doc.text).toBe('head\nALPHA\nbeta\ntail\n');
    sender.play(new Stream('resp_2').created().message(0, undefined, ['beta\n', 'ALPHA\n']).completed().frames);
    await drain();
    expect(doc.text).toBe('head\nbeta\nALPHA\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', lastCompletedResponseId: 'resp_2', history: ['uppercase'] });
    doc.undo();
    expect(doc.text).toBe(FILE);
  });

  it('steer.failed falls back to a new request that reads the region without the unfinished line', async () => {
    const { doc, sender, run, drain } = await start(FILE, REGION);
    sender.play([...new Stream('resp_1').created().frames, { type: 'response.output_text.delta', sequence_number: 9, item_id: 'm', output_index: 0, content_index: 0, delta: 'ALPHA\nBE', logprobs: [] }]);
    await drain();
    run.redirect('reverse lines');
    await drain();
    sender.play([{ type: 'response.steer.failed', sequence_number: 10, error: { type: 'invalid_request_error', code: 'steering_not_supported', message: 'not here' }, steer: { previous_response_id: 'resp_1', input: 'x' } }]);
    await drain();
    expect(sender.requests).toHaveLength(2);
    const region = /<rewrite>\n([\s\S]*?)<\/rewrite>/.exec(sender.requests[1]!.input[0]!.content[0]!.text)?.[1];
    expect(region).toBe('ALPHA\nbeta\n');
    sender.play(new Stream('resp_2').created().message(0, undefined, ['beta\nALPHA\n']).completed().frames);
    await drain();
    expect(doc.text).toBe('head\nbeta\nALPHA\ntail\n');
    expect(doc.text.match(/ALPHA/g)).toHaveLength(1);
  });
});
