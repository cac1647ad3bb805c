import { describe, expect, it } from 'vitest';
import { DocumentSync } from '../../../src/core/edit/documentSync';
import { isLive, outcomeOf } from '../../../src/core/session/runState';
import { FakeClock } from '../support/fakeClock';
import { ScriptedSender } from '../support/fakeSender';
import { MemoryDocument } from '../support/memoryDocument';
import { int, mutateCode, pick, randomChunks, randomCode, seededRandom } from '../support/random';
import { quietView, startRun } from '../support/startRun';

/**
 * The interleaving fuzz, with the user's decisions at random moments:
 * redirects (steered or new requests, live or not), Cancel, Save, Accept,
 * Reject, Enter and Escape on previews, with streams, round trips and
 * keystrokes interleaved at random. It checks, in every case: no model edit
 * lands after a keystroke unless the user decided something since; no run is
 * left in a live phase once the streams are done; and, where nobody typed,
 * the exact text (a completed stream's output, or the original after Reject).
 * SPARK_FUZZ_CASES sets the count, SPARK_FUZZ_SEED the first seed.
 */
const CASES = Math.max(1, Math.floor(Number(process.env.SPARK_FUZZ_CASES ?? 10_000) / 5));
const FIRST_SEED = Number(process.env.SPARK_FUZZ_SEED ?? 1);

type Decision = 'redirect' | 'liveRedirect' | 'cancel' | 'stopForSave' | 'accept' | 'reject' | 'keep' | 'abandon';

interface Outcome {
  readonly failure?: string;
  readonly decisions?: number;
  readonly userEdits?: number;
  readonly checkedText?: boolean;
}

async function runCase(seed: number): Promise<Outcome> {
  const random = seededRandom(seed);
  let prefix = randomCode(random, int(random, 0, 3));
  if (prefix.length > 0 && !prefix.endsWith('\n')) prefix += '\n';
  let region = randomCode(random, int(random, 1, 8));
  if (!region.endsWith('\n')) region += '\n';
  const suffix = randomCode(random, int(random, 0, 3));
  const original = prefix + region + suffix;
  const typing = random() < 0.5;

  const doc = new MemoryDocument(original);
  const clock = new FakeClock();
  const sync = new DocumentSync(doc, clock, int(random, 0, 20), doc.version);
  doc.onChange((v, c) => sync.onDocumentChange(v, c));
  const sender = new ScriptedSender();
  sender.canSteer = random() < 0.6;
  const preview = random() < 0.25;
  const run = startRun(
    { id: 'fuzz', instruction: 'rewrite', region: { start: prefix.length, end: prefix.length + region.length }, model: 'm', contextTokens: 32_000, policy: { onType: 'cancel', redirectPauseMs: 300 }, applyMode: 'stream', preview, random },
    doc,
    sync,
    sender,
    quietView,
    clock,
  );
  await clock.advance(0);
  // Edits that land while the run restores (a Reject, an abandoned preview) are the user's decision, not the model's
  // stream: typing outside the region does not stop them (typing inside does, and the fuzz checks that through the text).
  const restoreVersions = new Set<number>();
  const deliver = doc.deliver.bind(doc);
  doc.deliver = () => {
    const restoring = run.snapshot.state.phase === 'restoring';
    const delivered = deliver();
    if (restoring && doc.modelEditVersions.at(-1) === doc.version) restoreVersions.add(doc.version);
    return delivered;
  };

  // The server: each request or steered successor streams an output of its own; deltas go to the latest.
  let output = '';
  let chunks: string[] = [];
  let sent = 0;
  const newStream = (): void => {
    output = random() < 0.15 ? randomCode(random, int(random, 0, 6)) : mutateCode(random, region);
    chunks = randomChunks(random, output, int(random, 1, 8));
    sent = 0;
  };
  newStream();
  let requestsSeen = 1;
  let steersAnswered = 0;
  const followServer = (): void => {
    if (sender.requests.length > requestsSeen) {
      requestsSeen = sender.requests.length;
      newStream();
    }
  };

  const decisionVersions: number[] = [];
  let decisions = 0;
  const decide = (decision: Decision): void => {
    decisions++;
    decisionVersions.push(doc.version);
    switch (decision) {
      case 'redirect':
        run.redirect(pick(random, ['again', 'shorter', 'reverse']));
        break;
      case 'liveRedirect':
        run.redirect(pick(random, ['live a', 'live b']), true);
        break;
      case 'cancel':
      case 'stopForSave':
      case 'accept':
      case 'reject':
      case 'keep':
      case 'abandon':
        run.dispatch({ type: decision });
        break;
    }
  };
  const userEdit = (): void => {
    const at = int(random, 0, doc.text.length);
    if (random() < 0.3 && doc.text.length > at) doc.userEdit(at, Math.min(int(random, 1, 3), doc.text.length - at), '');
    else doc.userEdit(at, 0, pick(random, ['a', ' ', '\n', '}']));
  };

  for (let step = 0; step < 300; step++) {
    const r = random();
    if (r < 0.35) {
      if (sent < chunks.length) sender.delta(chunks[sent++]!);
      else if (random() < 0.3) sender.complete();
    } else if (r < 0.55) await clock.advance(int(random, 0, 20));
    else if (r < 0.72) doc.deliver();
    else if (r < 0.78 && typing) userEdit();
    else if (r < 0.84 && sender.steers.length > steersAnswered && run.snapshot.state.phase === 'steering') {
      steersAnswered = sender.steers.length;
      sender.steered(`resp_s${steersAnswered}`);
      newStream();
    } else if (r < 0.9) {
      decide(pick(random, ['redirect', 'redirect', 'liveRedirect', 'cancel', 'stopForSave', 'accept', 'reject', 'keep', 'abandon'] as const));
    }
    followServer();
    if (run.snapshot.state.phase === 'done' || run.snapshot.state.phase === 'error') break;
  }

  // Drain: answer a pending steer, let the current stream finish, land everything; a preview gets Enter or Escape.
  let completedAtEnd = false;
  for (let round = 0; round < 4 && isLive(run.snapshot.state.phase); round++) {
    if (run.snapshot.state.phase === 'steering' && sender.steers.length > steersAnswered) {
      steersAnswered = sender.steers.length;
      sender.steered(`resp_s${steersAnswered}`);
      newStream();
    }
    followServer();
    const phase = run.snapshot.state.phase;
    if (phase === 'connecting' || phase === 'streaming') {
      while (sent < chunks.length) sender.delta(chunks[sent++]!);
      sender.complete();
      completedAtEnd = true;
    }
    for (let i = 0; i < 100 && (doc.pending.length > 0 || clock.pendingTimers > 0 || isLive(run.snapshot.state.phase)); i++) {
      await clock.advance(20);
      doc.deliverAll();
      followServer();
    }
  }
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 50 && (doc.pending.length > 0 || clock.pendingTimers > 0 || isLive(run.snapshot.state.phase)); i++) {
      await clock.advance(20);
      doc.deliverAll();
    }
  };
  if (run.snapshot.state.preview && !isLive(run.snapshot.state.phase)) {
    decide(random() < 0.5 ? 'keep' : 'abandon');
    await settled();
  }
  const state = run.snapshot.state;
  if (isLive(state.phase)) return { failure: `the run was left in ${state.phase}` };

  // No model edit after a keystroke, unless the user decided something after that keystroke (restores aside, see above).
  for (const modelVersion of doc.modelEditVersions) {
    if (restoreVersions.has(modelVersion)) continue;
    const keystroke = doc.userEditVersions.filter((v) => v < modelVersion).at(-1);
    if (keystroke !== undefined && !decisionVersions.some((d) => d >= keystroke && d < modelVersion)) {
      return { failure: `a model edit (version ${modelVersion}) landed after the keystroke at version ${keystroke} with no decision between` };
    }
  }
  if (doc.userChanges.length > 0) return { decisions, userEdits: doc.userChanges.length };

  // Nobody typed (nor did an undo happen): the text is exact.
  const undoneBySpark = doc.userChanges.length > 0;
  if (!undoneBySpark && completedAtEnd && state.phase === 'review' && outcomeOf(state)?.endReason === 'completed' && !state.preview) {
    if (doc.text !== prefix + output + suffix) return { failure: `a completed stream's output is not the region:\n${JSON.stringify(doc.text)}\nwanted\n${JSON.stringify(prefix + output + suffix)}` };
  }
  if (state.phase === 'review' && random() < 0.5) {
    run.dispatch({ type: 'reject' });
    await settled();
    if (run.snapshot.state.phase !== 'done' && run.snapshot.state.phase !== 'error') return { failure: `Reject left the run in ${run.snapshot.state.phase}` };
    if (outcomeOf(state)?.endReason !== 'refused' && doc.text !== original) return { failure: `Reject did not bring back the original:\n${JSON.stringify(doc.text)}\nwanted\n${JSON.stringify(original)}` };
  }
  return { decisions, userEdits: 0, checkedText: true };
}

describe('decisions fuzz', () => {
  it(`no model edit after a keystroke, no run left live, exact text, over ${CASES} seeded cases with decisions at random moments`, async () => {
    let withDecisions = 0;
    let withTyping = 0;
    let exact = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + CASES; seed++) {
      const outcome = await runCase(seed);
      if (outcome.failure) throw new Error(`fuzz case failed (reproduce with SPARK_FUZZ_SEED=${seed} SPARK_FUZZ_CASES=5): ${outcome.failure}`);
      if ((outcome.decisions ?? 0) > 0) withDecisions++;
      if ((outcome.userEdits ?? 0) > 0) withTyping++;
      if (outcome.checkedText) exact++;
    }
    console.log(`decisions fuzz: ${CASES} cases from seed ${FIRST_SEED}; ${withDecisions} with decisions, ${withTyping} with typing, ${exact} with the exact text checked`);
    if (CASES >= 500) {
      // A fuzz that never reaches the hard cases proves nothing.
      expect(withDecisions / CASES).toBeGreaterThan(0.8);
      expect(withTyping / CASES).toBeGreaterThan(0.2);
      expect(exact / CASES).toBeGreaterThan(0.2);
    }
  }, 600_000);
});
