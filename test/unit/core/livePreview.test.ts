import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../../src/core/session/runState';
import { parseEditRequest, parseEditText } from '../../../src/core/prompt/buildRequest';
import { settle } from '../support/fakeClock';
import { ScriptedSender } from '../support/fakeSender';
import { memoryRun } from '../support/memoryRun';

const TEXT = 'head\nalpha\nbeta\ntail\n';
const ORIGINAL = 'alpha\nbeta\n';

/**
 * A preview over `alpha\nbeta\n` in a document where the user had typed
 * first (one undo step of theirs below the preview's), edits landing on the
 * next microtask.
 */
async function previewRun(options: { canSteer?: boolean } = {}) {
  const sender = new ScriptedSender();
  sender.canSteer = options.canSteer ?? false;
  const setup = await memoryRun('head\nalpha\nbeta\ntail', { start: 5, end: 16 }, {
    preview: true,
    sender,
    prepare: (doc) => doc.userEdit(doc.text.length, 0, '\n'), // the user's own step: TEXT
  });
  const stream = async (output: string, complete = true): Promise<void> => {
    sender.delta(output);
    if (complete) sender.complete();
    await setup.clock.advance(50);
  };
  return { ...setup, ended: setup.endedRuns, stream };
}

describe('live-instruction previews', () => {
  it('every request of a box carries the run’s prompt_cache_key, and its prompts differ only at the end (the instruction)', async () => {
    const { run, sender, stream } = await previewRun();
    await stream('ALPHA\nBETA\n');
    run.redirect('reverse the lines');
    await settle();
    expect(sender.requests.map((r) => r.prompt_cache_key)).toEqual(['run-r1', 'run-r1']);
    const [first, second] = sender.requests.map((r) => `${r.instructions}\n${r.input[0]!.content[0]!.text}`);
    let common = 0;
    while (first![common] === second![common]) common++;
    expect(first!.slice(common)).toMatch(/^uppercase$/);
  });

  it('a revision rewrites the original, not the preview, without the earlier instruction as history', async () => {
    const { doc, sender, run, stream } = await previewRun();
    expect(parseEditRequest(sender.requests[0]!)).toEqual({ region: ORIGINAL, instruction: 'uppercase', history: [] });
    await stream('ALPHA\nBETA\n');
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', preview: { rewrite: 'original' } });
    run.redirect('reverse the lines');
    await settle();
    expect(parseEditRequest(sender.requests[1]!)).toEqual({ region: ORIGINAL, instruction: 'reverse the lines', history: [] });
    await stream('beta\nalpha\n');
    expect(doc.text).toBe('head\nbeta\nalpha\ntail\n');
  });

  it('Enter right after a revision, before its request went out: the request still rewrites the original', async () => {
    const { doc, sender, run, stream } = await previewRun();
    await stream('ALPHA\nBETA\n');
    run.redirect('reverse the lines');
    run.dispatch({ type: 'keep' });
    await settle();
    expect(parseEditRequest(sender.requests[1]!)).toEqual({ region: ORIGINAL, instruction: 'reverse the lines', history: [] });
    await stream('beta\nalpha\n');
    expect(doc.text).toBe('head\nbeta\nalpha\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', preview: undefined });
  });

  it('Escape undoes every preview at once: the original byte-exact, the undo stack as it was', async () => {
    const { doc, run, clock, stream, ended } = await previewRun();
    const depth = doc.undoDepth;
    await stream('ALPHA\nBETA\n');
    run.redirect('reverse the lines');
    await settle();
    await stream('beta\nalpha\n');
    expect(doc.undoDepth).toBe(depth + 1); // every preview in one step
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    expect(doc.text).toBe(TEXT);
    expect(doc.undoDepth).toBe(depth);
    expect(ended.map((s) => outcomeOf(s.state)?.endReason)).toEqual(['cancelled']);
    // The next Undo is the user's own step from before the box opened.
    doc.undo();
    expect(doc.text).toBe('head\nalpha\nbeta\ntail');
  });

  it('Escape mid-stream: nothing more lands, and the partial preview is undone', async () => {
    const { doc, run, clock, stream, sender } = await previewRun();
    await stream('ALPHA\nBE', false);
    expect(doc.text).not.toBe(TEXT);
    run.dispatch({ type: 'abandon' });
    sender.delta('TA\n');
    await clock.advance(50);
    expect(doc.text).toBe(TEXT);
    expect(sender.cancelled).toEqual([0]);
  });

  it('Escape before any output: no undo at all (the user step stays on top)', async () => {
    const { doc, run, clock } = await previewRun();
    const depth = doc.undoDepth;
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    expect(doc.text).toBe(TEXT);
    expect(doc.undoDepth).toBe(depth);
  });

  it('Enter keeps it: an ordinary run from then on, and one Undo restores the original', async () => {
    const { doc, run, clock, stream } = await previewRun();
    await stream('ALPHA\nBE', false);
    run.dispatch({ type: 'keep' });
    expect(run.snapshot.state.preview).toBeUndefined();
    await stream('TA\n');
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    expect(run.snapshot.state.phase).toBe('review');
    run.dispatch({ type: 'abandon' }); // no longer a preview: abandon does nothing
    await clock.advance(50);
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    run.dispatch({ type: 'accept' });
    doc.undo();
    expect(doc.text).toBe(TEXT);
  });

  it('a keystroke in the document during a preview interrupts it; the user text stays and the run is an ordinary one', async () => {
    const { doc, run, clock, stream, sender } = await previewRun();
    await stream('ALPHA\n', false);
    doc.userEdit(0, 0, '// typed\n');
    sender.delta('BETA\n');
    await clock.advance(50);
    expect(doc.text).toBe('// typed\nhead\nALPHA\nbeta\ntail\n');
    expect(run.snapshot.state).toMatchObject({ preview: undefined, phase: 'review', outcome: { endReason: 'interrupted' } });
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    expect(doc.text).toBe('// typed\nhead\nALPHA\nbeta\ntail\n');
  });

  it('a revision while the preview streams steers it, sending the original region', async () => {
    const { doc, run, sender, stream, clock } = await previewRun({ canSteer: true });
    await stream('ALPHA\n', false);
    run.redirect('reverse the lines');
    await settle();
    expect(sender.requests).toHaveLength(1);
    expect(parseEditText(sender.steers[0]!.input[0]!.content[0]!.text)).toEqual({
      region: ORIGINAL,
      instruction: 'reverse the lines',
      history: [],
    });
    sender.steered('resp_successor');
    await stream('beta\nalpha\n');
    await clock.advance(50);
    expect(doc.text).toBe('head\nbeta\nalpha\ntail\n');
  });

  it('a keystroke that races the undo: what the undo took is redone, the keystroke stays, the original comes back by an edit', async () => {
    const { doc, run, clock, stream } = await previewRun();
    await stream('ALPHA\nBETA\n');
    const undo = doc.undoStep.bind(doc);
    doc.undoStep = () => {
      doc.userEdit(0, 0, 'k'); // lands first: the Undo then takes the keystroke, not the preview
      return undo();
    };
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    await settle();
    await clock.advance(50);
    expect(doc.text).toBe('k' + TEXT);
  });

  it('when the undo cannot run, the original comes back by an edit instead', async () => {
    const { doc, run, clock, stream, reports } = await previewRun();
    await stream('ALPHA\nBETA\n');
    doc.undoStep = () => Promise.resolve(false);
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    await settle();
    await clock.advance(50);
    expect(doc.text).toBe(TEXT);
    expect(reports).toEqual(['undoing the preview did not bring back the original: the original is restored by an edit instead']);
  });
});

/** An ordinary run over `alpha\nbeta\n`, whose redirect box is then typed into (a live redirect). */
async function redirectRun(options: { canSteer?: boolean } = {}) {
  const sender = new ScriptedSender();
  sender.canSteer = options.canSteer ?? false;
  const setup = await memoryRun(TEXT, { start: 5, end: 16 }, { sender });
  const stream = async (output: string, complete = true): Promise<void> => {
    sender.delta(output);
    if (complete) sender.complete();
    await setup.clock.advance(50);
  };
  return { ...setup, stream };
}

describe('live redirect previews', () => {
  it('every revision rewrites the text as it was when the redirect began; Escape puts it back and the run is reviewed with its first instruction', async () => {
    const { doc, sender, run, clock, stream } = await redirectRun();
    await stream('ALPHA\nBETA\n');
    expect(run.snapshot.state.phase).toBe('review');
    run.redirect('reverse the lines', true);
    await settle();
    expect(parseEditRequest(sender.requests[1]!)).toMatchObject({ region: 'ALPHA\nBETA\n', instruction: 'reverse the lines' });
    await stream('BETA\nALPHA\n');
    expect(doc.text).toBe('head\nBETA\nALPHA\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', preview: { rewrite: 'base' } });
    run.redirect('lowercase', true);
    await settle();
    // The base again, not the previous revision, and the run's own instruction as history: finished, so a follow-up.
    expect(parseEditRequest(sender.requests[2]!)).toEqual({ region: 'ALPHA\nBETA\n', instruction: 'lowercase', history: ['uppercase'], earlierDone: true });
    await stream('alpha\nbeta\n');
    expect(doc.text).toBe(TEXT);
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    expect(doc.text).toBe('head\nALPHA\nBETA\ntail\n');
    // It had completed before the redirect: it is not marked partial now.
    expect(run.snapshot.state).toMatchObject({ phase: 'review', preview: undefined, instruction: 'uppercase', history: [], outcome: { endReason: 'completed' } });
    // The run is what it was: Reject restores the true original.
    run.dispatch({ type: 'reject' });
    await clock.advance(50);
    expect(doc.text).toBe(TEXT);
  });

  it('begun mid-stream it steers, with the region as shown as the base; Enter keeps the revision', async () => {
    const { doc, sender, run, clock, stream } = await redirectRun({ canSteer: true });
    await stream('ALPHA\n', false);
    run.redirect('reverse the lines', true);
    await settle();
    expect(sender.requests).toHaveLength(1);
    expect(parseEditText(sender.steers[0]!.input[0]!.content[0]!.text)).toEqual({ region: 'ALPHA\nbeta\n', instruction: 'reverse the lines', history: ['uppercase'] });
    sender.steered('resp_2');
    await stream('beta\nALPHA\n', false);
    run.redirect('lowercase', true);
    await settle();
    expect(parseEditText(sender.steers[1]!.input[0]!.content[0]!.text)).toEqual({ region: 'ALPHA\nbeta\n', instruction: 'lowercase', history: ['uppercase'] });
    sender.steered('resp_3');
    run.dispatch({ type: 'keep' });
    await stream('alpha\nbetA\n');
    await clock.advance(50);
    expect(doc.text).toBe(TEXT.replace('beta', 'betA'));
    expect(run.snapshot.state).toMatchObject({ phase: 'review', preview: undefined, instruction: 'lowercase' });
  });
});

describe('live redirect abandoned mid-stream', () => {
  it('the interrupted stream stays partial: its text as the redirect found it, marked cancelled', async () => {
    const { doc, sender, run, clock, stream } = await redirectRun();
    await stream('ALPHA\n', false);
    run.redirect('reverse the lines', true);
    await settle();
    expect(parseEditRequest(sender.requests[1]!)).toMatchObject({ region: 'ALPHA\nbeta\n', instruction: 'reverse the lines' });
    await stream('beta\nALPHA\n');
    expect(doc.text).toBe('head\nbeta\nALPHA\ntail\n');
    run.dispatch({ type: 'abandon' });
    await clock.advance(50);
    expect(doc.text).toBe('head\nALPHA\nbeta\ntail\n');
    expect(run.snapshot.state).toMatchObject({ phase: 'review', instruction: 'uppercase', outcome: { endReason: 'cancelled' } });
  });
});
