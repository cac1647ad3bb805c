import { outcomeOf } from '../../../src/core/session/runState';
import { memoryRun } from '../support/memoryRun';
import { quietView, startRun } from '../support/startRun';
import { describe, expect, it } from 'vitest';
import { DocumentSync } from '../../../src/core/edit/documentSync';
import { parseEditRequest, parsePartial } from '../../../src/core/prompt/buildRequest';
import { type RunSnapshot, type RunView } from '../../../src/core/session/runController';
import { FakeClock, settle } from '../support/fakeClock';
import { ScriptedSender } from '../support/fakeSender';
import { MemoryDocument } from '../support/memoryDocument';


const start = (text: string, region: { start: number; end: number }, onType: 'cancel' | 'redirect' = 'cancel', eol: '\n' | '\r\n' = '\n') => memoryRun(text, region, { onType, eol });

describe('RunController with an in-memory document', () => {
  it('streams a rewrite into the region, then review; accept ends the run; one undo reverts it', async () => {
    const { doc, clock, sender, run, endedRuns } = await start('head\nalpha\nbeta\ntail\n', { start: 5, end: 16 });
    expect(parseEditRequest(sender.requests[0]!)).toMatchObject({ region: 'alpha\nbeta\n', instruction: 'uppercase' });
    for (const chunk of ['AL', 'PHA\nBE', 'TA\n']) {
      sender.delta(chunk);
      await clock.advance(16);
    }
    sender.complete();
    await clock.advance(50);
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    expect(run.snapshot.state.phase).toBe('review');
    run.dispatch({ type: 'accept' });
    expect(endedRuns).toHaveLength(1);
    doc.undo();
    expect(doc.text).toBe('head\nalpha\nbeta\ntail\n');
  });

  it('guesses when its stream ends from its pace and what of the region it has not reached; the live marker stops where its text has landed', async () => {
    const region = 'alpha\nbeta\ngamma\ndelta\n'; // 23 characters
    const { doc, clock, sender, run } = await start(`x\n${region}`, { start: 2, end: 2 + region.length });
    expect(run.streamEndsInMs()).toBeUndefined(); // nothing streamed yet: no pace
    sender.delta('ALPHA\n');
    await clock.advance(10);
    // 6 characters in 10 ms; the original's first line (6) is rewritten, 17 to go: about 28 ms.
    expect(run.streamEndsInMs()).toBeCloseTo((17 * 10) / 6, 5);
    expect(run.snapshot.frontier).toBe(0); // the first line is not in the buffer yet
    await clock.advance(6);
    doc.deliverAll();
    await settle();
    expect(run.snapshot.frontier).toBe(6);
    sender.complete();
    await clock.advance(50);
    doc.deliverAll();
    await settle();
    expect(run.streamEndsInMs()).toBeUndefined(); // the stream is over
  });

  it('a user keystroke mid-stream: no model edit lands after it; user text and partial output kept', async () => {
    const { doc, clock, sender, run } = await start('x\nalpha\nbeta\n', { start: 2, end: 13 });
    sender.delta('ALPHA\n');
    await clock.advance(16);
    const landed = doc.text;
    sender.delta('BE');
    doc.userEdit(0, 0, '// typed\n');
    const versionAfterUser = doc.version;
    sender.delta('TA\n');
    sender.complete();
    await clock.advance(200);
    expect(doc.modelEditVersions.every((v) => v < versionAfterUser)).toBe(true);
    expect(doc.text).toBe('// typed\n' + landed);
    expect(sender.cancelled).toEqual([0]);
    expect(outcomeOf(run.snapshot.state)?.endReason).toBe('interrupted');
  });

  it('reject restores the original exactly, keeping user edits outside the region', async () => {
    const { doc, clock, sender, run } = await start('a\nold line\nz\n', { start: 2, end: 11 });
    sender.delta('new line\nmore\n');
    sender.complete();
    await clock.advance(50);
    expect(doc.text).toBe('a\nnew line\nmore\nz\n');
    doc.userEdit(doc.text.length, 0, 'user\n');
    run.dispatch({ type: 'reject' });
    await clock.advance(50);
    expect(doc.text).toBe('a\nold line\nz\nuser\n');
  });

  it('redirect restarts from the current buffer with both instructions', async () => {
    const { doc, clock, sender, run } = await start('one\ntwo\n', { start: 0, end: 8 });
    sender.delta('ONE\n');
    await clock.advance(16);
    run.redirect('reverse');
    await settle();
    expect(sender.cancelled).toEqual([0]);
    const second = parseEditRequest(sender.requests[1]!);
    expect(second).toEqual({ region: 'ONE\ntwo\n', instruction: 'reverse', history: ['uppercase'] });
    sender.delta('owt\neno\n');
    sender.complete();
    await clock.advance(50);
    expect(doc.text).toBe('owt\neno\n');
  });

  it('a redirect does not wait for the edit in flight: it goes out at once, rewriting the region as it will read once that edit lands', async () => {
    const doc = new MemoryDocument('one\ntwo\n', '\n', false);
    const clock = new FakeClock();
    const sync = new DocumentSync(doc, clock, 16, doc.version);
    doc.onChange((v, c) => sync.onDocumentChange(v, c));
    const sender = new ScriptedSender();
    const run = startRun(
      { id: 'r', instruction: 'uppercase', region: { start: 0, end: 8 }, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream' },
      doc, sync, sender, quietView, clock,
    );
    await settle();
    sender.delta('ONE\n');
    await clock.advance(16); // the batch is now in flight, not yet applied
    expect(doc.pending).toHaveLength(1);
    sender.delta('TW'); // pending behind it: the model's unfinished line
    run.redirect('reverse');
    await settle();
    expect(sender.requests).toHaveLength(2); // no round trip waited for
    expect(parseEditRequest(sender.requests[1]!).region).toBe('ONE\ntwo\n');
    doc.deliver();
    sender.delta('two\nONE\n');
    sender.complete();
    for (let i = 0; i < 5; i++) {
      await clock.advance(20);
      doc.deliverAll();
    }
    expect(doc.text).toBe('two\nONE\n');
  });

  it('onType=redirect: typing in the region redirects after the pause, with the user edit in the region', async () => {
    const { doc, clock, sender } = await start('one\ntwo\n', { start: 0, end: 8 }, 'redirect');
    sender.delta('ONE\n');
    await clock.advance(16);
    doc.userEdit(doc.text.indexOf('two'), 0, 'my ');
    await clock.advance(100);
    expect(sender.requests).toHaveLength(1);
    await clock.advance(300);
    expect(sender.requests).toHaveLength(2);
    expect(parseEditRequest(sender.requests[1]!).region).toContain('my two');
  });

  it('a dropped connection resumes by itself: the rest is spliced in, nothing duplicated or lost', async () => {
    const { doc, clock, sender, run, reports } = await start('keep\nold one\nold two\n', { start: 5, end: 21 });
    sender.delta('NEW ONE\nNEW T');
    await clock.advance(20);
    sender.fail({ kind: 'dropped', code: 1006, message: 'the connection dropped mid-response' });
    expect(run.snapshot.state).toMatchObject({ phase: 'connecting', resumes: 1 });
    await clock.advance(99);
    expect(sender.requests).toHaveLength(1); // the resume waits out its backoff
    await clock.advance(1);
    expect(sender.requests).toHaveLength(2);
    const text = sender.requests[1]!.input[0]!.content[0]!.text;
    expect(parseEditRequest(sender.requests[1]!)).toEqual({ region: 'old one\nold two\n', instruction: 'uppercase', history: [] });
    expect(parsePartial(text)).toBe('NEW ONE\nNEW T');
    sender.delta('WO\n');
    sender.complete();
    await clock.advance(50);
    expect(doc.text).toBe('keep\nNEW ONE\nNEW TWO\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', outcome: { endReason: 'completed' }, resumes: 1 });
    expect(reports).toEqual([]);
  });

  it('after two resumes a third drop keeps the partial text, marked partial', async () => {
    const { doc, clock, sender, run, reports } = await start('keep\nold\n', { start: 5, end: 9 });
    sender.delta('NEW\nhalf');
    for (const wait of [100, 500]) {
      sender.fail({ kind: 'dropped', code: 1006, message: 'the connection dropped mid-response' });
      await clock.advance(wait);
    }
    expect(sender.requests).toHaveLength(3);
    sender.fail({ kind: 'dropped', code: 1006, message: 'the connection dropped mid-response' });
    await clock.advance(50);
    expect(doc.text.startsWith('keep\nNEW\n')).toBe(true);
    expect(run.snapshot.state).toMatchObject({ phase: 'review', outcome: { endReason: 'failed' }, resumes: 2 });
    expect(reports.join()).toMatch(/partial/);
  });

  it('a keystroke during the resume wins: no resume request, no model edit after it', async () => {
    const { doc, clock, sender, run } = await start('keep\nold\n', { start: 5, end: 9 });
    sender.delta('NEW\n');
    await clock.advance(20);
    sender.fail({ kind: 'dropped', code: 1006, message: 'the connection dropped mid-response' });
    doc.userEdit(0, 0, 'typed ');
    await clock.advance(600);
    expect(sender.requests).toHaveLength(1);
    expect(doc.text).toBe('typed keep\nNEW\nold\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', outcome: { endReason: 'interrupted' } });
  });

  it('closing the document mid-stream stops the run with a clear message', async () => {
    const { doc, clock, sender, run, reports } = await start('abc\n', { start: 0, end: 4 });
    sender.delta('X');
    doc.close();
    await clock.advance(50);
    await settle();
    expect(run.snapshot.state.phase).toBe('error');
    expect(reports.join()).toMatch(/closed/);
  });

  it('normalizes the model\'s LF output to a CRLF document', async () => {
    const { doc, clock, sender } = await start('a\r\nb\r\n', { start: 0, end: 6 }, 'cancel', '\r\n');
    sender.delta('A\nB\n');
    sender.complete();
    await clock.advance(50);
    expect(doc.text).toBe('A\r\nB\r\n');
  });

  it('a send that throws ends the run visibly, never stuck in connecting', async () => {
    const doc = new MemoryDocument('abc\n', '\n', true);
    const clock = new FakeClock();
    const sync = new DocumentSync(doc, clock, 16, doc.version);
    const reports: string[] = [];
    const ended: RunSnapshot[] = [];
    const throwing = {
      canSteer: false,
      request: (): never => {
        throw new Error('socket exploded');
      },
    };
    const view: RunView = { update: () => undefined, report: (_l, m) => reports.push(m), ended: (s) => ended.push(s) };
    startRun({ id: 'r', instruction: 'uppercase', region: { start: 0, end: 4 }, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream' }, doc, sync, throwing, view, clock);
    await settle();
    expect(ended.map((s) => s.state.phase)).toEqual(['error']);
    expect(reports).toEqual(['could not send: socket exploded']);
    expect(doc.text).toBe('abc\n');
  });

  it('undo back to the original ends the review; redo brings it back; Reject then changes nothing', async () => {
    const { doc, clock, sender, run } = await start('head\nalpha\nbeta\ntail\n', { start: 5, end: 16 });
    sender.delta('ALPHA\nBETA\n');
    sender.complete();
    await clock.advance(50);
    expect(run.snapshot.state.phase).toBe('review');
    doc.undo();
    expect(doc.text).toBe('head\nalpha\nbeta\ntail\n');
    expect(run.snapshot.state.phase).toBe('reverted');
    const versionAfterUndo = doc.version;
    run.dispatch({ type: 'reject' });
    await clock.advance(50);
    expect(doc.version).toBe(versionAfterUndo); // no edit: the redo stack stays the user's
    expect(run.snapshot.state.phase).toBe('done');
  });
});
