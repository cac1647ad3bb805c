import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeServerFrame, encodeClientMessage } from '../../../src/core/protocol/codec';

/** Frames written out by hand, as the Responses WebSocket mode documents them. */
const FRAMES = {
  created: '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"gpt-5.3-codex-spark"}}',
  inProgress: '{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}',
  itemAdded: '{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}',
  partAdded: '{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}}',
  delta: '{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"const"}',
  textDone: '{"type":"response.output_text.done","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"text":"const"}',
  partDone: '{"type":"response.content_part.done","sequence_number":6,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"const"}}',
  itemDone: '{"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed"}}',
  completed: '{"type":"response.completed","sequence_number":8,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":10,"output_tokens":1,"total_tokens":11}}}',
  failed: '{"type":"response.failed","sequence_number":8,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"}}}',
  incomplete: '{"type":"response.incomplete","sequence_number":8,"response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}',
  error: '{"type":"error","status":400,"error":{"type":"invalid_request_error","code":"previous_response_not_found","message":"Previous response not found.","param":"previous_response_id"}}',
};

describe('server frame codec', () => {
  it.each(['partAdded', 'partDone'] as const)('passes %s through as ignorable (the client reads nothing of it)', (name) => {
    const result = decodeServerFrame(FRAMES[name]);
    expect(result).toEqual({ ok: true, value: { kind: 'unknown', event: { type: (JSON.parse(FRAMES[name]) as { type: string }).type, unknown: true } } });
  });

  it.each(Object.entries(FRAMES).filter(([name]) => name !== 'partAdded' && name !== 'partDone'))('decodes %s', (_name, frame) => {
    const result = decodeServerFrame(frame);
    expect(result.ok).toBe(true);
    if (result.ok && result.value.kind === 'event') expect(result.value.event.type).toBe((JSON.parse(frame) as { type: string }).type);
    else throw new Error('expected a known event');
  });

  it('gives typed fields of a delta', () => {
    const r = decodeServerFrame(FRAMES.delta);
    expect(r.ok && r.value.kind === 'event' && r.value.event.type === 'response.output_text.delta' && r.value.event.delta).toBe('const');
  });

  it('passes unknown event types through as ignorable', () => {
    const r = decodeServerFrame('{"type":"response.reasoning_summary.delta","delta":"x"}');
    expect(r).toEqual({ ok: true, value: { kind: 'unknown', event: { type: 'response.reasoning_summary.delta', unknown: true } } });
  });

  it('rejects malformed JSON, missing type, wrong schema and oversized frames with typed errors', () => {
    const bad = decodeServerFrame('{"type":"response.output_text.delta",');
    expect(bad.ok === false && bad.error.kind).toBe('malformed_json');
    const noType = decodeServerFrame('{"delta":"x"}');
    expect(noType.ok === false && noType.error.kind).toBe('schema');
    const wrong = decodeServerFrame('{"type":"response.output_text.delta","delta":5,"item_id":"i","output_index":0,"content_index":0,"sequence_number":1}');
    expect(wrong.ok === false && wrong.error.kind === 'schema' && wrong.error.detail).toMatch(/delta/);
    const big = decodeServerFrame('x'.repeat(101), 100);
    expect(big).toEqual({ ok: false, error: { kind: 'oversized', bytes: 101, limit: 100 } });
  });

  it('decodes binary frames as UTF-8', () => {
    const r = decodeServerFrame(new TextEncoder().encode(FRAMES.delta));
    expect(r.ok).toBe(true);
  });
});

describe('client frame codec', () => {
  it('round-trips response.create', () => {
    const msg = { type: 'response.create' as const, model: 'm', instructions: 'i', input: [{ type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: 'hi' }] }], store: false as const };
    const r = decodeClientFrame(encodeClientMessage(msg));
    expect(r).toEqual({ ok: true, value: msg });
  });

  it('names the bad parameter', () => {
    const r = decodeClientFrame('{"type":"response.create","input":[]}');
    expect(r.ok === false && r.error.kind === 'schema' && (r.error as { param?: string }).param).toBe('model');
  });
});
