import type { Clock } from '../clock';
import { applyDisjointEdits, EditBatch } from './editBatch';
import { err, ok, type Result } from '../result';
import { RoundTrips } from './roundTrips';
import { placeChange, rebaseRegionOverChanges, regionsOverlap, type ChangePlacement, type DocumentChange, type Region } from './regionTracker';
import { lengthDelta, type TextEdit } from './textEdit';

export type ApplyOutcome = 'applied' | 'stale' | 'closed';

/** What the sync needs from a real document (VS Code's lives in src/vscode). */
export interface DocumentPort {
  /**
   * Applies disjoint edits (document offsets, sorted) only if the document is
   * still at `expectedVersion`; never blindly. Undo stops bracket a run.
   */
  apply(edits: readonly TextEdit[], expectedVersion: number, undoStops: { before: boolean; after: boolean }): Promise<ApplyOutcome>;
  /** The editor's Undo (Redo) on this document; false when it could not run. */
  undoStep(): Promise<boolean>;
  redoStep(): Promise<boolean>;
}

/** What a run hears about its document. */
export interface RunDocumentListener {
  /** Every change of the document, ours and the user's, in order (hunks under review are tracked over them). */
  onChanges?(changes: readonly DocumentChange[]): void;
  /**
   * Someone other than Spark Edit changed the document (typing, paste, undo,
   * another extension). `absorbing`: the region had text inserted at its
   * edges counted in (the region stays without it unless the run adopts it).
   */
  onUserEdit(placement: ChangePlacement, absorbing: Region): void;
  onDocumentClosed(): void;
  /**
   * How long until the run's stream is expected to end (its pace so far and
   * what it has left to rewrite), or undefined when that cannot be told. An
   * edit sent while the rest of a stream arrives within one editor round trip
   * would hold back the final text by that round trip (see `holdMs`).
   */
  streamEndsInMs?(): number | undefined;
  /** The editor threw on an edit carrying this run's text: its edits stop (the document may still be fine). */
  onEditFailed(message: string): void;
}

interface RunEntry {
  region: Region;
  readonly listener: RunDocumentListener;
  batch: EditBatch;
  madeEdits: boolean;
  /**
   * The run's undo group was closed (`finish`): its next edit opens a new
   * step. Said by an undo stop before that edit, since a close carried by no
   * edit reaches no editor (VS Code drops an edit call with nothing in it).
   */
  groupClosed: boolean;
  /** Someone waits for the run's pending edits to land; `closeUndoGroup` when the run's stream is over. */
  finishing: { resolve: () => void; closeUndoGroup: boolean } | undefined;
  /**
   * The run's edits are taken. False once it was discarded (nothing more of
   * it may land) or finished (its undo group closed), until `resume`; a
   * region that is not being written may be taken over by a new run.
   */
  writing: boolean;
  /** Bumped by every discard, so edits from before it can never come back. */
  generation: number;
}

interface InFlight {
  readonly version: number;
  readonly edits: readonly TextEdit[];
  /** Per run: its region-relative edits in this batch (disjoint, base coordinates). */
  readonly perRun: ReadonlyMap<string, readonly TextEdit[]>;
  readonly generations: ReadonlyMap<string, number>;
  /** Each run's region start when the batch was made. */
  readonly regionStarts: ReadonlyMap<string, number>;
  readonly closesUndoGroup: boolean;
  /** The host said it applied the batch. */
  replied: boolean;
  /** The document's change event for the batch arrived. */
  echoed: boolean;
}

/** An editor that refuses this many edits in a row while nobody changes the document will not take them. */
const MAX_REFUSALS = 10;

/**
 * VS Code sends an edit's change event before its reply, so an applied edit
 * whose event has not been recognised by the reply never will be (it was
 * taken for the user's, or there was none). Waiting a little longer covers a
 * host that orders them the other way; after that the edit counts as landed,
 * so one odd event cannot wedge the document's edits for good.
 */
const ECHO_WAIT_MS = 1_000;

/** The user's typing in a document goes on until this long after their last keystroke there. */
export const TYPING_PAUSE_MS = 500;

/**
 * While the user types in another document, a run's edits wait for them to
 * pause, but never longer than this at a time: a run they glance at still
 * moves once a second, and its last edit (the stream's end) never waits.
 */
export const MAX_YIELD_MS = 1_000;

/**
 * All model edits into one document go through here: each run's edits are
 * coalesced per frame, with at most one edit in flight for the whole document,
 * each checked against the version it was computed for. Document changes come
 * back through `onDocumentChange`, where our own edits are told from the
 * user's by version and content (never by a flag), and every run's region is
 * rebased over whatever the user did.
 */
export class DocumentSync {
  private readonly runs = new Map<string, RunEntry>();
  private inFlight: InFlight | undefined;
  private timer: unknown;
  /** Armed while an applied edit waits for its change event (see ECHO_WAIT_MS). */
  private echoTimer: unknown;
  /** Applied edits whose change event was never recognised (describe() shows it). */
  private unechoed = 0;
  private lastFlushAt = -Infinity;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private lastChangeOwn = false;
  /** Refusals in a row with no change of the document between them: an editor that will never take the edit. */
  private refusals = 0;
  /** When the pending flush was first due, while it is held (see `holdMs`). */
  private heldSince: number | undefined;
  /** When nothing but a stream about to end held the pending flush any more (see `holdMs`). */
  private streamHeldSince: number | undefined;

  constructor(
    private readonly port: DocumentPort,
    private readonly clock: Clock,
    /** The least time between two flushes; read at each flush, so a changed setting applies at once. */
    private readonly interval: number | (() => number),
    private version: number,
    /** The editor's round trips, measured by every flush (shared by a window's documents). */
    private readonly roundTrips = new RoundTrips(),
    /**
     * How long until the user's typing in another document counts as paused
     * (0 when they are not typing there). Model edits wait for the pause, up to
     * MAX_YIELD_MS at a time: see `holdMs`.
     */
    private readonly typingElsewhereForMs: () => number = () => 0,
  ) {}

  private get intervalMs(): number {
    return typeof this.interval === 'number' ? this.interval : this.interval();
  }

  /** Registers a run's region; refuses one that overlaps a region still being edited. */
  attach(runId: string, region: Region, listener: RunDocumentListener): Result<void, string> {
    for (const [id, other] of this.runs) {
      if (other.writing && regionsOverlap(region, other.region)) return err(`the range overlaps ${id}, which is still editing it`);
    }
    this.runs.set(runId, { region, listener, batch: new EditBatch(), madeEdits: false, groupClosed: false, finishing: undefined, writing: true, generation: 0 });
    return ok(undefined);
  }

  detach(runId: string): void {
    this.discard(runId);
    this.runs.delete(runId);
  }

  /** What the sync holds, in one line: for a test that timed out or a bug report. */
  describe(): string {
    const f = this.inFlight;
    const flight = f ? `in flight at v${f.version} (${f.replied ? 'replied' : 'no reply'}, ${f.echoed ? 'echoed' : 'no echo'})` : 'nothing in flight';
    const runs = [...this.runs].map(([id, r]) => `${id}: ${r.writing ? 'writing' : 'not writing'}, ${r.batch.size} pending${r.finishing ? `, finishing${r.finishing.closeUndoGroup ? ' (closes undo group)' : ''}` : ''}`);
    const unechoed = this.unechoed > 0 ? [`${this.unechoed} applied edit(s) never echoed`] : [];
    return [`v${this.version}`, flight, this.timer !== undefined ? 'timer armed' : 'no timer', this.closed ? 'closed' : 'open', ...unechoed, ...runs].join('; ');
  }

  /** Whether a flush timer is armed (lifecycle tests check nothing is left behind). */
  get hasTimer(): boolean {
    return this.timer !== undefined || this.echoTimer !== undefined;
  }

  region(runId: string): Region | undefined {
    return this.runs.get(runId)?.region;
  }

  /** The run's region is `region` after all (see RunDocumentListener.onUserEdit); only while it writes nothing. */
  adoptRegion(runId: string, region: Region): void {
    const run = this.runs.get(runId);
    if (run && !run.writing) run.region = region;
  }

  /** Queues a run's sequential region edits for the next frame. */
  enqueue(runId: string, edits: readonly TextEdit[]): void {
    const run = this.runs.get(runId);
    if (!run || !run.writing || this.closed) return;
    // Nothing scheduled and nothing in flight: these edits start a burst.
    const startsBurst = this.timer === undefined && !this.inFlight;
    for (const e of edits) run.batch.add(e);
    this.schedule(false, startsBurst);
  }

  /** Drops a run's pending edits, at once and for good: nothing more of it lands. */
  discard(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.writing = false;
    run.generation++;
    run.batch = new EditBatch();
    run.finishing?.resolve();
    run.finishing = undefined;
  }

  /** The run's next edit opens an undo step of its own (a hunk's or the run's Reject). */
  startUndoStep(runId: string): void {
    const run = this.runs.get(runId);
    if (run) run.madeEdits = false;
  }

  /** Whether any edit of the run has landed. */
  madeEdits(runId: string): boolean {
    return this.runs.get(runId)?.madeEdits ?? false;
  }

  /** Whether the document's latest change was one of our edits (then the undo step on top is ours). */
  get lastChangeWasOwn(): boolean {
    return this.lastChangeOwn;
  }

  undoStep(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : this.port.undoStep();
  }

  redoStep(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : this.port.redoStep();
  }

  /** Lets a discarded or finished run write again (a redirect starts a new stream). */
  resume(runId: string): void {
    const run = this.runs.get(runId);
    if (run && !this.closed) run.writing = true;
  }

  /**
   * Flushes the run's last edits now, closing its undo group; resolves once
   * nothing of it is pending. The run writes no more until `resume`.
   */
  finish(runId: string): Promise<void> {
    return this.flushNow(runId, true);
  }

  /** Flushes the run's pending edits now, within its undo group; resolves once they landed (or were refused). */
  land(runId: string): Promise<void> {
    return this.flushNow(runId, false);
  }

  private flushNow(runId: string, closeUndoGroup: boolean): Promise<void> {
    const run = this.runs.get(runId);
    if (!run || !run.writing || this.closed) return Promise.resolve();
    // Nothing pending and nothing to close: no flush, no timer (a request waiting on this goes out at once).
    if (!closeUndoGroup && run.batch.isEmpty) return Promise.resolve();
    run.finishing?.resolve();
    return new Promise<void>((resolve) => {
      run.finishing = { resolve, closeUndoGroup };
      this.schedule(true);
    });
  }

  /**
   * The run's region text once everything of it in flight and pending has
   * landed, given the region's text now; undefined while an edit in flight
   * may yet be refused without coming back (the run was discarded since it
   * was sent). A decision reads the region through this, so it waits for no
   * round trip to the editor.
   */
  projectedRegionText(runId: string, regionText: string): string | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    let text = regionText;
    const flight = this.inFlight;
    const mine = flight && !flight.echoed ? flight.perRun.get(runId) : undefined;
    if (flight && mine) {
      // A refused batch comes back into the run's batch unless the run was discarded since.
      if (flight.generations.get(runId) !== run.generation) return undefined;
      text = applyDisjointEdits(text, mine);
    }
    return run.writing ? applyDisjointEdits(text, run.batch.peek()) : text;
  }

  /**
   * Region offset where the run's first edit not yet in the buffer begins (in
   * flight or pending); undefined when all of it has landed. The buffer shows
   * the run's text only above it.
   */
  unlandedFrom(runId: string): number | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const flight = this.inFlight;
    const inFlight = flight && !flight.echoed ? flight.perRun.get(runId)?.[0]?.start : undefined;
    const pending = run.writing ? run.batch.firstStart : undefined;
    return inFlight === undefined ? pending : pending === undefined ? inFlight : Math.min(inFlight, pending);
  }

  /**
   * Resolves once no edit of this run is in flight. An edit already handed to
   * the editor cannot be recalled, so whoever reads the region next (a
   * redirect, a restore) waits for it to land or be refused.
   */
  whenIdle(runId: string): Promise<void> {
    if (!this.inFlight?.perRun.has(runId)) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Feeds every change event of the document here, in order. */
  onDocumentChange(version: number, changes: readonly DocumentChange[]): void {
    const flight = this.inFlight;
    if (flight && !flight.echoed && version === flight.version + 1 && sameChanges(changes, flight.edits)) {
      this.version = version;
      this.lastChangeOwn = true;
      flight.echoed = true;
      this.rebaseForOwnEdits(flight);
      for (const run of [...this.runs.values()]) run.listener.onChanges?.(changes);
      if (flight.replied) {
        this.stopEchoTimer();
        this.complete(flight);
      }
      return;
    }
    this.version = version;
    this.lastChangeOwn = false;
    for (const run of [...this.runs.values()]) {
      run.listener.onChanges?.(changes);
      const placement = worstPlacement(run.region, changes);
      const absorbing = rebaseRegionOverChanges(run.region, changes, true);
      run.region = rebaseRegionOverChanges(run.region, changes);
      run.listener.onUserEdit(placement, absorbing);
    }
  }

  /**
   * The document changed in a way no change event describes (a revert
   * starting): every run hears it as a user edit over its whole region.
   */
  onExternalReset(): void {
    for (const run of [...this.runs.values()]) if (run.writing) run.listener.onUserEdit('overlapping', run.region);
  }

  onDocumentClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopEchoTimer();
    for (const run of [...this.runs.values()]) {
      const wasActive = run.writing;
      run.writing = false;
      run.finishing?.resolve();
      run.finishing = undefined;
      if (wasActive) run.listener.onDocumentClosed();
    }
  }

  private rebaseForOwnEdits(flight: InFlight): void {
    for (const [id, run] of this.runs) {
      let shift = 0;
      let grow = 0;
      for (const [owner, edits] of flight.perRun) {
        const delta = edits.reduce((sum, e) => sum + lengthDelta(e), 0);
        if (owner === id) grow += delta;
        // Regions never overlap, so another run's edits lie wholly before or after this one.
        else if ((flight.regionStarts.get(owner) ?? Infinity) < run.region.start) shift += delta;
      }
      run.region = { start: run.region.start + shift, end: run.region.end + shift + grow };
    }
  }

  private schedule(now: boolean, startsBurst = false): void {
    if (this.inFlight || this.closed) return;
    if (now && this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.heldSince = this.streamHeldSince = undefined;
    }
    if (this.timer !== undefined) return;
    // The first edit of a burst waits one frame for the rest of it: a stream's first tokens come
    // together, and an edit of one token would cost a whole round trip to the editor (30 to 200 ms
    // in a remote window) before the first line could follow it.
    const wait = now ? 0 : startsBurst ? this.intervalMs : Math.max(0, this.lastFlushAt + this.intervalMs - this.clock.now());
    this.armFlush(wait, !now);
  }

  private armFlush(wait: number, mayHold: boolean): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      const hold = mayHold ? this.holdMs() : 0;
      if (hold > 0) {
        this.armFlush(hold, true);
        return;
      }
      this.heldSince = this.streamHeldSince = undefined;
      void this.flush();
    }, wait);
  }

  /**
   * How much longer a due flush waits: for the user's pause in another
   * editor (counted from when the flush was first due), then for a stream
   * about to end (counted from when the typing hold let go: once the flush
   * waited for the user, sending it just before the stream ends would still
   * hold the final text back by a round trip). A finishing run's flush is
   * urgent and never held, so neither delays a stream's final text.
   */
  private holdMs(): number {
    const now = this.clock.now();
    this.heldSince ??= now;
    const typing = this.typingHoldMs(now, this.heldSince);
    if (typing > 0) return typing;
    this.streamHeldSince ??= now;
    return this.streamEndHoldMs(now, this.streamHeldSince);
  }

  /**
   * Each edit that lands costs the renderer a paint, and the user's keystrokes
   * in another editor wait behind it: while they type there, the edits wait
   * for a pause (up to MAX_YIELD_MS), and then go out as one.
   */
  private typingHoldMs(now: number, heldSince: number): number {
    return Math.max(0, Math.min(this.typingElsewhereForMs(), heldSince + MAX_YIELD_MS - now));
  }

  /**
   * An edit in flight holds back the next for a round trip, so one sent when
   * the rest of the stream arrives within a round trip delays the final text
   * by up to that much, for a moment on screen that is over before it could
   * be seen. While every pending stream is expected to end within one round
   * trip of `since` (when this hold began), it waits (a frame at least, each
   * time it looks again); never more than that round trip in all, so a wrong
   * guess costs the first paint at most one round trip and never the last.
   */
  private streamEndHoldMs(now: number, since: number): number {
    const roundTrip = this.roundTrips.typicalMs;
    if (roundTrip === undefined) return 0;
    const left = since + roundTrip - now;
    let endsIn: number | undefined;
    for (const run of this.runs.values()) {
      if (!run.writing || run.batch.isEmpty) continue;
      // A finishing run never gets here: its flush is urgent (schedule(true)) and is never held.
      const ends = run.listener.streamEndsInMs?.();
      if (ends === undefined || ends > left) return 0;
      endsIn = Math.max(endsIn ?? 0, ends);
    }
    return endsIn === undefined ? 0 : Math.min(left, Math.max(this.intervalMs, endsIn));
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.closed) return;
    const perRun = new Map<string, readonly TextEdit[]>();
    const generations = new Map<string, number>();
    const regionStarts = new Map<string, number>();
    const documentEdits: TextEdit[] = [];
    let before = false;
    let after = false;
    for (const [id, run] of this.runs) {
      if (!run.writing) continue;
      if (run.finishing?.closeUndoGroup) after = true;
      if (run.batch.isEmpty) continue;
      const edits = run.batch.take();
      perRun.set(id, edits);
      generations.set(id, run.generation);
      regionStarts.set(id, run.region.start);
      if (!run.madeEdits || run.groupClosed) before = true;
      run.groupClosed = false;
      for (const e of edits) documentEdits.push({ start: run.region.start + e.start, end: run.region.start + e.end, text: e.text });
    }
    if (documentEdits.length === 0 && !after) {
      // Nothing to land: whoever waits for the batch to land is done waiting.
      for (const run of this.runs.values()) this.resolveFinishing(run);
      return;
    }
    documentEdits.sort((a, b) => a.start - b.start);
    const flight: InFlight = {
      version: this.version,
      edits: documentEdits,
      perRun,
      generations,
      regionStarts,
      closesUndoGroup: after,
      replied: false,
      // An empty batch only closes the undo group (or lands nothing): no change event will echo it.
      echoed: documentEdits.length === 0,
    };
    this.inFlight = flight;
    this.lastFlushAt = this.clock.now();
    let outcome: ApplyOutcome;
    try {
      outcome = await this.port.apply(documentEdits, flight.version, { before, after });
      // An edit call with no edit in it (an undo stop alone) never reaches the renderer: not a round trip.
      if (documentEdits.length > 0) this.roundTrips.record(this.clock.now() - this.lastFlushAt);
    } catch (error) {
      // The editor threw: the runs whose text this batch carried stop and say why; the document and the others go on.
      this.inFlight = undefined;
      this.failRuns(perRun.keys(), error instanceof Error ? error.message : String(error));
      return;
    }
    if (outcome === 'closed') {
      this.inFlight = undefined;
      this.onDocumentClosed();
      this.wakeIdleWaiters();
      return;
    }
    if (outcome === 'stale') {
      // The user got there first. Put the edits back (region-relative, so still
      // valid); the user's change event decides whether the runs go on.
      this.inFlight = undefined;
      this.refusals = this.version === flight.version ? this.refusals + 1 : 0;
      if (this.refusals >= MAX_REFUSALS) {
        // Nobody changed the document, yet the editor keeps refusing: stop, and say so, rather than retry forever.
        this.refusals = 0;
        this.failRuns(perRun.keys(), `the editor refused the edit ${MAX_REFUSALS} times in a row`);
        return;
      }
      for (const [id, edits] of perRun) {
        const run = this.runs.get(id);
        if (run?.writing && run.generation === generations.get(id)) run.batch = prependBatch(edits, run.batch);
      }
      this.wakeIdleWaiters();
      this.scheduleIfPending();
      return;
    }
    this.refusals = 0;
    flight.replied = true;
    if (flight.echoed) this.complete(flight);
    else this.awaitEcho(flight);
  }

  private awaitEcho(flight: InFlight): void {
    this.echoTimer = this.clock.setTimeout(() => {
      this.echoTimer = undefined;
      if (this.inFlight !== flight || flight.echoed) return;
      this.unechoed++;
      this.complete(flight);
    }, ECHO_WAIT_MS);
  }

  private stopEchoTimer(): void {
    if (this.echoTimer !== undefined) this.clock.clearTimeout(this.echoTimer);
    this.echoTimer = undefined;
  }

  /** The edits of these runs cannot land: each stops (nothing more of it is taken) and hears why. */
  private failRuns(ids: Iterable<string>, message: string): void {
    for (const id of [...ids]) {
      const run = this.runs.get(id);
      if (!run) continue;
      this.discard(id);
      run.listener.onEditFailed(message);
    }
    this.wakeIdleWaiters();
    this.scheduleIfPending();
  }

  private complete(flight: InFlight): void {
    this.inFlight = undefined;
    this.wakeIdleWaiters();
    for (const id of flight.perRun.keys()) {
      const run = this.runs.get(id);
      if (run) run.madeEdits = true;
    }
    for (const run of this.runs.values()) {
      // A close of the undo group waits for the batch that carries it; a plain land for any completed flush.
      if (run.finishing?.closeUndoGroup && !flight.closesUndoGroup) continue;
      this.resolveFinishing(run);
    }
    this.scheduleIfPending();
  }

  private resolveFinishing(run: RunEntry): void {
    if (!run.writing || !run.finishing || !run.batch.isEmpty) return;
    const { resolve, closeUndoGroup } = run.finishing;
    run.finishing = undefined;
    if (closeUndoGroup) {
      run.writing = false;
      run.groupClosed = true;
    }
    resolve();
  }

  /** Stops every timer and waiter; the sync is unusable afterwards. Idempotent. */
  dispose(): void {
    this.onDocumentClosed();
    this.runs.clear();
    this.wakeIdleWaiters();
  }

  private scheduleIfPending(): void {
    let pending = false;
    let urgent = false;
    for (const run of this.runs.values()) {
      if (!run.writing) continue;
      if (run.finishing) urgent = pending = true;
      else if (!run.batch.isEmpty) pending = true;
    }
    if (pending) this.schedule(urgent);
  }
}

function prependBatch(first: readonly TextEdit[], rest: EditBatch): EditBatch {
  const merged = new EditBatch();
  for (let i = first.length - 1; i >= 0; i--) merged.add(first[i]!);
  const later = rest.take();
  for (let i = later.length - 1; i >= 0; i--) merged.add(later[i]!);
  return merged;
}

function sameChanges(changes: readonly DocumentChange[], edits: readonly TextEdit[]): boolean {
  if (changes.length !== edits.length) return false;
  const sorted = [...changes].sort((a, b) => a.offset - b.offset);
  return sorted.every((c, i) => {
    const e = edits[i]!;
    return c.offset === e.start && c.length === e.end - e.start && c.text === e.text;
  });
}

const severity: Record<ChangePlacement, number> = { after: 0, before: 1, inside: 2, overlapping: 3 };

function worstPlacement(region: Region, changes: readonly DocumentChange[]): ChangePlacement {
  let worst: ChangePlacement = 'after';
  for (const c of changes) {
    const p = placeChange(region, c);
    if (severity[p] > severity[worst]) worst = p;
  }
  return worst;
}
