import { DocumentSync } from '../../../src/core/edit/documentSync';
import type { RequestSender, RunSnapshot, RunView } from '../../../src/core/session/runController';
import { FakeClock, settle } from './fakeClock';
import { ScriptedSender } from './fakeSender';
import { MemoryDocument } from './memoryDocument';
import { startRun } from './startRun';

/**
 * One run of the real controller on an in-memory document whose edits land
 * on the next microtask, with a scripted sender and fake time: the usual
 * setup of the core tests.
 */
export async function memoryRun<S extends RequestSender = ScriptedSender>(
  text: string,
  region: { start: number; end: number },
  options: { onType?: 'cancel' | 'redirect'; eol?: '\n' | '\r\n'; sender?: S; instruction?: string; preview?: boolean; prepare?: (doc: MemoryDocument) => void; format?: 'rewrite' | 'patch' } = {},
) {
  const doc = new MemoryDocument(text, options.eol ?? '\n', true);
  // What the document went through before the run (the user's own undo steps, say).
  options.prepare?.(doc);
  const clock = new FakeClock();
  const sync = new DocumentSync(doc, clock, 16, doc.version);
  doc.onChange((v, c) => sync.onDocumentChange(v, c));
  const sender = (options.sender ?? new ScriptedSender()) as S;
  const endedRuns: RunSnapshot[] = [];
  const reports: string[] = [];
  const view: RunView = { update: () => undefined, report: (_l, m) => reports.push(m), ended: (s) => endedRuns.push(s) };
  const run = startRun(
    { id: 'r1', instruction: options.instruction ?? 'uppercase', region, model: 'm', contextTokens: 32_000, policy: { onType: options.onType ?? 'cancel', redirectPauseMs: 300 }, applyMode: 'stream', preview: options.preview ?? false, random: () => 0.4, promptCacheKey: 'run-r1', ...(options.format ? { format: options.format } : {}) },
    doc,
    sync,
    sender,
    view,
    clock,
  );
  await settle(); // the request goes out once nothing of the run is in flight
  return { doc, clock, sync, sender, run, endedRuns, reports };
}
