import { describe, expect, it } from 'vitest';
import { DocumentSync } from '../../../src/core/edit/documentSync';
import type { RunView } from '../../../src/core/session/runController';
import { FakeClock, settle } from '../support/fakeClock';
import { ScriptedSender } from '../support/fakeSender';
import { MemoryDocument } from '../support/memoryDocument';
import { startRun } from '../support/startRun';

describe('probe', () => {
  for (const tps of [25, 1000, 20000]) {
    for (const canSteer of [false, true]) {
    it(`redirect at ${tps} tok/s steer=${canSteer}`, async () => {
      const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of the region\n`).join('');
      const doc = new MemoryDocument(lines, '\n', false);
      const clock = new FakeClock();
      const RT = 40;
      const origApply = doc.apply.bind(doc);
      doc.apply = (e, v, s) => { const p = origApply(e, v, s); clock.setTimeout(() => doc.deliver(), RT); return p; };
      const sync = new DocumentSync(doc, clock, 16, doc.version);
      doc.onChange((v, c) => sync.onDocumentChange(v, c));
      const sender = new ScriptedSender();
      sender.canSteer = canSteer;
      const view: RunView = { update: () => undefined, report: () => undefined, ended: () => undefined };
      const run = startRun({ id: 'r', instruction: 'uppercase', region: { start: 0, end: lines.length }, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream' }, doc, sync, sender, view, clock);
      await settle();
      const out = lines.toUpperCase();
      let i = 0;
      const gap = 1000 / tps;
      const perTick = Math.max(1, Math.round(tps / 1000));
      let stop = false;
      const tick = () => { if (stop) return; for (let k = 0; k < perTick && i < out.length; k++) { sender.delta(out.slice(i, i + 4)); i += 4; } clock.setTimeout(tick, Math.max(1, gap)); };
      tick();
      await clock.advance(500);
      const at = clock.now();
      run.redirect('reverse');
      let t = 0;
      while (sender.requests.length < 2 && sender.steers.length < 1 && t < 5000) { await clock.advance(1); t++; }
      stop = true;
      console.log(`tps ${tps} steer ${canSteer}: request after ${clock.now() - at} ms`);
      expect(clock.now() - at).toBeLessThan(100);
    });
    }
  }
});
