import { describe, expect, it } from 'vitest';
import { DocumentSync } from '../../../src/core/edit/documentSync';
import { parseEditText } from '../../../src/core/prompt/buildRequest';
import type { RunController, RunSnapshot, RunView } from '../../../src/core/session/runController';
import { outcomeOf } from '../../../src/core/session/runState';
import { FakeClock, settle } from '../support/fakeClock';
import { ScriptedSender } from '../support/fakeSender';
import { MemoryDocument } from '../support/memoryDocument';
import { startRun } from '../support/startRun';

/**
 * A decision never waits for the stream to pause: redirect, a live
 * revision, Enter, Cancel and Save reach the sender within one editor round
 * trip, against a stream that never pauses, at 25, 1,000 and 20,000 tok/s,
 * with every edit taking ROUND_TRIP_MS to land (the editor is slower than
 * the gap between tokens at the two higher rates, the case that starved
 * decisions before).
 */
const ROUND_TRIP_MS = 40;
const RATES = [25, 1_000, 20_000];
const REGION = Array.from({ length: 200 }, (_, i) => `line ${i} of the region`).join('\n') + '\n';

interface Busy {
  readonly doc: MemoryDocument;
  readonly clock: FakeClock;
  readonly sender: ScriptedSender;
  readonly run: RunController;
  readonly ended: RunSnapshot[];
  readonly reports: string[];
  stop(): void;
}

/** A run on REGION whose stream never pauses (until `stop`), every edit landing one round trip after it is sent. */
async function busyRun(tokensPerSecond: number, options: { canSteer?: boolean; preview?: boolean } = {}): Promise<Busy> {
  const doc = new MemoryDocument(`head\n${REGION}tail\n`, '\n', false);
  const clock = new FakeClock();
  const apply = doc.apply.bind(doc);
  doc.apply = (edits, version, stops) => {
    const landed = apply(edits, version, stops);
    clock.setTimeout(() => doc.deliver(), ROUND_TRIP_MS);
    return landed;
  };
  const sync = new DocumentSync(doc, clock, 16, doc.version);
  doc.onChange((v, c) => sync.onDocumentChange(v, c));
  const sender = new ScriptedSender();
  sender.canSteer = options.canSteer ?? false;
  const ended: RunSnapshot[] = [];
  const reports: string[] = [];
  const view: RunView = { update: () => undefined, report: (_l, m) => reports.push(m), ended: (s) => ended.push(s) };
  const run = startRun(
    { id: 'r', instruction: 'uppercase', region: { start: 5, end: 5 + REGION.length }, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream', preview: options.preview ?? false },
    doc,
    sync,
    sender,
    view,
    clock,
  );
  await settle();
  // Tokens of four characters, never ending: more lines than the region, forever.
  let line = 0;
  let pending = '';
  let stopped = false;
  const perMs = tokensPerSecond / 1000;
  let owed = 0;
  const tick = (): void => {
    if (stopped) return;
    owed += perMs;
    for (; owed >= 1; owed--) {
      if (pending.length < 4) pending += `LINE ${line++} OF THE REWRITE\n`;
      sender.delta(pending.slice(0, 4));
      pending = pending.slice(4);
    }
    clock.setTimeout(tick, 1);
  };
  tick();
  await clock.advance(600); // well into the stream: edits in flight and pending
  return { doc, clock, sender, run, ended, reports, stop: () => (stopped = true) };
}

/** Advances fake time a millisecond at a time until `done`, returning how long that took (at most `limit`). */
async function msUntil(clock: FakeClock, done: () => boolean, limit = 1_000): Promise<number> {
  const from = clock.now();
  while (!done() && clock.now() - from < limit) await clock.advance(1);
  return clock.now() - from;
}

describe('decisions never wait for the stream to pause', () => {
  for (const rate of RATES) {
    describe(`at ${rate.toLocaleString('en-US')} tok/s`, () => {
      it('a redirect goes out as response.steer within one round trip', async () => {
        const b = await busyRun(rate, { canSteer: true });
        b.run.redirect('reverse the lines');
        const ms = await msUntil(b.clock, () => b.sender.steers.length === 1);
        b.stop();
        expect(ms).toBeLessThanOrEqual(ROUND_TRIP_MS);
        expect(parseEditText(b.sender.steers[0]!.input[0]!.content[0]!.text).instruction).toBe('reverse the lines');
      });

      it('a redirect where steering is refused goes out as a new request within one round trip', async () => {
        const b = await busyRun(rate, { canSteer: false });
        b.run.redirect('reverse the lines');
        const ms = await msUntil(b.clock, () => b.sender.requests.length === 2);
        b.stop();
        expect(ms).toBeLessThanOrEqual(ROUND_TRIP_MS);
        expect(b.sender.cancelled).toEqual([0]);
      });

      it('a live revision, then Enter, send the final instruction within one round trip', async () => {
        const b = await busyRun(rate, { canSteer: false, preview: true });
        b.run.redirect('uppercase every line'); // a revision of the preview
        const revised = await msUntil(b.clock, () => b.sender.requests.length === 2);
        b.run.redirect('uppercase every line, twice'); // Enter on a box that changed since
        b.run.dispatch({ type: 'keep' });
        const kept = await msUntil(b.clock, () => b.sender.requests.length === 3);
        b.stop();
        expect([revised, kept].every((ms) => ms <= ROUND_TRIP_MS)).toBe(true);
        expect(parseEditText(b.sender.requests[2]!.input[0]!.content[0]!.text).instruction).toBe('uppercase every line, twice');
        expect(b.run.snapshot.state.preview).toBeUndefined();
      });

      it('Cancel reaches the sender at once, and nothing lands after the edit already in flight', async () => {
        const b = await busyRun(rate);
        const cancelledAt = b.clock.now();
        b.run.dispatch({ type: 'cancel' });
        expect(b.sender.cancelled).toEqual([0]);
        await b.clock.advance(ROUND_TRIP_MS);
        const versions = b.doc.modelEditVersions.length;
        await b.clock.advance(500);
        b.stop();
        expect(b.doc.modelEditVersions.length).toBe(versions);
        expect(b.clock.now() - cancelledAt).toBeGreaterThan(ROUND_TRIP_MS);
        expect(b.run.snapshot.state.phase).toBe('review');
      });

      it('Save stops the stream at once and the run settles, whole lines kept, within two round trips', async () => {
        const b = await busyRun(rate);
        b.run.dispatch({ type: 'stopForSave' });
        expect(b.sender.cancelled).toEqual([0]);
        const ms = await msUntil(b.clock, () => b.run.snapshot.state.phase === 'review');
        b.stop();
        expect(ms).toBeLessThanOrEqual(2 * ROUND_TRIP_MS + 16);
        const region = b.doc.text.slice(5, b.doc.text.lastIndexOf('tail\n'));
        // Every line of the region is whole: a line of the rewrite or of the original, never half of one.
        expect(region.split('\n').slice(0, -1).every((l) => /^LINE \d+ OF THE REWRITE$|^line \d+ of the region$/.test(l))).toBe(true);
      });
    });
  }
});

describe('a step that fails ends the run visibly', () => {
  it('an editor that throws on an edit: the run ends with an error that says so', async () => {
    const b = await busyRun(1_000);
    b.doc.apply = () => Promise.reject(new Error('the editor is gone'));
    await b.clock.advance(200);
    b.stop();
    expect(b.ended.map((s) => s.state.phase)).toEqual(['error']);
    expect(b.reports.at(-1)).toMatch(/the editor refused an edit \(the editor is gone\)/);
  });

  it('an editor that refuses every edit while nobody changes the document: the run ends, never retries forever', async () => {
    const b = await busyRun(1_000);
    b.doc.apply = () => Promise.resolve('stale');
    await b.clock.advance(2_000);
    b.stop();
    expect(b.ended.map((s) => s.state.phase)).toEqual(['error']);
    expect(b.reports.at(-1)).toMatch(/refused the edit 10 times in a row/);
  });

  it('a restore whose edit throws ends the run in error, not in "restoring"', async () => {
    const b = await busyRun(1_000);
    b.stop();
    b.sender.complete();
    await b.clock.advance(500);
    expect(b.run.snapshot.state.phase).toBe('review');
    b.doc.apply = () => Promise.reject(new Error('read-only now'));
    b.run.dispatch({ type: 'reject' });
    await b.clock.advance(200);
    expect(b.ended.map((s) => s.state.phase)).toEqual(['error']);
    expect(outcomeOf(b.ended[0]!.state)?.message).toMatch(/read-only now/);
  });

  it("an Undo that throws while abandoning a preview: the original comes back by an edit instead", async () => {
    const b = await busyRun(1_000, { preview: true });
    b.stop();
    b.sender.complete();
    await b.clock.advance(500);
    b.doc.undoStep = () => Promise.reject(new Error('no editor'));
    b.run.dispatch({ type: 'abandon' });
    await b.clock.advance(500);
    expect(b.doc.text).toBe(`head\n${REGION}tail\n`);
    expect(b.ended.map((s) => s.state.phase)).toEqual(['done']);
    expect(b.reports.at(-1)).toMatch(/could not undo the preview \(no editor\): the original is restored by an edit instead/);
  });
});
