import { describe, expect, it } from 'vitest';
import { parseEditRequest, PATCH_FORMAT_LINE, PATCH_SYSTEM_INSTRUCTIONS } from '../../../src/core/prompt/buildRequest';
import { outcomeOf } from '../../../src/core/session/runState';
import { answerFormatFor } from '../../../src/core/config/settings';
import { memoryRun } from '../support/memoryRun';

const REGION = Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n') + '\n';
const FILE = `head\n${REGION}tail\n`;
const region = { start: 5, end: 5 + REGION.length };
const PATCH = ['*** Begin Patch', '*** Update File: f.txt', '@@', ' line 2', ' line 3', '-line 4', '+LINE FOUR', ' line 5', '@@', ' line 9', '-line 10', '+LINE TEN', '+LINE TEN AND A HALF', ' line 11', '*** End Patch', ''].join('\n');
const PATCHED = FILE.replace('line 4\n', 'LINE FOUR\n').replace('line 10\n', 'LINE TEN\nLINE TEN AND A HALF\n');

const patchRun = () => memoryRun(FILE, region, { format: 'patch' });

describe('a run in patch form', () => {
  it('asks for a patch, applies each hunk where its context puts it as the patch streams, reviews its hunks, one Undo', async () => {
    const { doc, clock, sender, run } = await patchRun();
    const request = sender.requests[0]!;
    expect(request.instructions).toBe(PATCH_SYSTEM_INSTRUCTIONS);
    expect(request.input[0]!.content[0]!.text).toContain(PATCH_FORMAT_LINE);
    expect(parseEditRequest(request)).toMatchObject({ region: REGION, format: 'patch' });
    sender.delta('*** Begin Patch\n*** Update File: f.txt\n@@\n line 2\n line 3\n-line 4\n+LINE');
    await clock.advance(32);
    // Located: the added line is being written above line 4, which it replaces once finished.
    expect(doc.text).toBe(FILE.replace('line 4\n', 'LINE\nline 4\n'));
    sender.delta(PATCH.slice(PATCH.indexOf(' FOUR')));
    sender.complete();
    await clock.advance(64);
    expect(doc.text).toBe(PATCHED);
    expect(run.snapshot.state.phase).toBe('review');
    expect(run.snapshot.hunks.map((h) => h.originalText)).toEqual(['line 4\n', 'line 10\n']);
    run.dispatch({ type: 'accept' });
    doc.undo();
    expect(doc.text).toBe(FILE);
  });

  it('a keystroke mid-patch: no model edit lands after it; what applied and the keystroke stay', async () => {
    const { doc, clock, sender, run } = await patchRun();
    sender.delta(PATCH.slice(0, PATCH.indexOf('@@\n line 9')));
    await clock.advance(32);
    expect(doc.text).toBe(FILE.replace('line 4\n', 'LINE FOUR\n'));
    doc.userEdit(0, 0, 'typed ');
    const after = doc.text;
    sender.delta(PATCH.slice(PATCH.indexOf('@@\n line 9')));
    sender.complete();
    await clock.advance(64);
    expect(doc.text).toBe(after);
    expect(outcomeOf(run.snapshot.state)?.endReason).toBe('interrupted');
  });

  it('a redirect mid-patch asks for a patch against the region as it now reads (a new request, or a steer)', async () => {
    const { doc, clock, sender, run } = await patchRun();
    sender.delta(PATCH.slice(0, PATCH.indexOf('@@\n line 9')) + '@@\n line 9\n-line 10\n+LINE T');
    await clock.advance(32);
    run.redirect('lowercase');
    await clock.advance(32);
    const asked = parseEditRequest(sender.requests[1]!);
    // The half-written added line is taken out (line 10, which it would have replaced, stays); the applied hunk stays; a patch is asked for again.
    expect(asked).toMatchObject({ format: 'patch', instruction: 'lowercase', region: REGION.replace('line 4\n', 'LINE FOUR\n') });
    sender.delta('*** Begin Patch\n@@\n-LINE FOUR\n+line four\n line 5\n*** End Patch\n');
    sender.complete();
    await clock.advance(64);
    expect(doc.text).toBe(FILE.replace('line 4\n', 'line four\n'));

    const steered = await patchRun();
    steered.sender.canSteer = true;
    steered.sender.delta(PATCH.slice(0, 60));
    await steered.clock.advance(32);
    steered.run.redirect('lowercase');
    await steered.clock.advance(32);
    const steer = steered.sender.steers[0]!.input[0]!.content[0]!.text;
    expect(steer).toContain('Answer with a new patch against the region as it now reads');
    expect(steer).toContain(PATCH_FORMAT_LINE);
  });

  it('a hunk whose context does not fit ends the run at once: what applied stays for review (partial), the reason is said, Reject restores the original', async () => {
    const { doc, clock, sender, run, reports } = await patchRun();
    sender.delta(PATCH.slice(0, PATCH.indexOf('@@\n line 9')) + '@@\n line 99\n-line 100\n+x\n');
    await clock.advance(64);
    expect(doc.text).toBe(FILE.replace('line 4\n', 'LINE FOUR\n'));
    expect(sender.cancelled).toEqual([0]);
    expect(run.snapshot.state.phase).toBe('review');
    expect(outcomeOf(run.snapshot.state)).toMatchObject({ endReason: 'failed' });
    expect(reports.at(-1)).toMatch(/the patch could not be applied: hunk 2: its context does not match the region after the previous hunk .*partial/);
    run.dispatch({ type: 'reject' });
    await clock.advance(64);
    expect(doc.text).toBe(FILE);
  });

  it('an answer that is not a patch is a clear error and never text in the file', async () => {
    const { doc, clock, sender, run, reports } = await patchRun();
    sender.delta('line 0\nline 1\n');
    await clock.advance(64);
    expect(doc.text).toBe(FILE);
    expect(run.snapshot.state.phase).toBe('error');
    expect(reports.at(-1)).toMatch(/the patch could not be applied: line 1 of the patch is not a patch/);
  });

  it('a patch that ends ambiguous (its context matches twice after the previous hunk) fails when the answer completes, keeping what applied', async () => {
    const file = 'a\nb\nsame\nc\nsame\n';
    const { doc, clock, sender, run, reports } = await memoryRun(file, { start: 0, end: file.length }, { format: 'patch' });
    sender.delta('*** Begin Patch\n@@\n a\n-b\n+B\n@@\n-same\n+other\n*** End Patch');
    sender.complete();
    await clock.advance(64);
    expect(doc.text).toBe('a\nB\nsame\nc\nsame\n');
    expect(run.snapshot.state.phase).toBe('review');
    expect(reports.at(-1)).toMatch(/hunk 2: its context matches 2 places in the region; the patch is ambiguous; what applied is kept, marked as partial/);
  });
});

describe('when patch form is used', () => {
  it('auto: regions of patchMinLines lines or more, whole lines only; always / never force it', () => {
    const big = 'x\n'.repeat(200);
    expect(answerFormatFor(big, true, { patchMode: 'auto', patchMinLines: 200 })).toBe('patch');
    expect(answerFormatFor('x\n'.repeat(199), true, { patchMode: 'auto', patchMinLines: 200 })).toBe('rewrite');
    expect(answerFormatFor(big, false, { patchMode: 'auto', patchMinLines: 200 })).toBe('rewrite');
    expect(answerFormatFor(big.slice(0, -1), true, { patchMode: 'always', patchMinLines: 200 })).toBe('rewrite');
    expect(answerFormatFor('x\n', true, { patchMode: 'always', patchMinLines: 200 })).toBe('patch');
    expect(answerFormatFor(big, true, { patchMode: 'never', patchMinLines: 200 })).toBe('rewrite');
  });
});
