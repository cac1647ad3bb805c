import type { Clock } from '../clock';
import type { DocumentSync, RunDocumentListener } from '../edit/documentSync';
import type { ChangePlacement, DocumentChange, Region } from '../edit/regionTracker';
import type { TextEdit } from '../edit/textEdit';
import { buildSteer, type EditContext, type RequestOptions } from '../prompt/buildRequest';
import type { OutgoingResponseCreate, ReasoningEffort } from '../protocol/clientEvents';
import { ok, type Result } from '../result';
import type { Hunk } from '../review/hunks';
import type { ConnectReason, ResponseHandle, ResponseListener, TransportFailure } from '../transport/responseChannel';
import { HunkTracker } from './hunkTracker';
import { initialRunState, reduceRun, restoredRunState } from './reducer';
import { Restorer } from './restores';
import type { Effect, LandHow, RequestMode, RunEvent, RunTimer, Transition } from './runEvents';
import { runRequest } from './runRequests';
import { isEnded, isLive, type Outcome, type Rewrite, type RunPolicy, type RunState } from './runState';
import { StreamApplier, type AnswerFormat } from './streamApplier';
import { Takes } from './takes';

/** A step superseded while it waited (a keystroke, a newer decision): the review set is the newer step's to make. */
const superseded = (step: number): RunEvent => ({ type: 'landed', step, hunks: [], unchanged: false });

/** Texts a run remembers of its steps, to know its own text again after an Undo or Redo. */
const MAX_REMEMBERED_OUTPUTS = 8;

/** What a run reads of its document. */
export interface RunDocument {
  readonly fileName: string;
  readonly languageId: string;
  readonly eol: '\n' | '\r\n';
  getText(): string;
}

/** Anything that can carry a request and stream its events back (the ResponseChannel). */
export interface RequestSender {
  request(body: OutgoingResponseCreate, listener: ResponseListener): ResponseHandle;
  /** False once the endpoint said it cannot steer: redirects then go as new requests. */
  readonly canSteer: boolean;
}

/** Why no connection could be made, and what the user can do about it. */
export interface ConnectFailure {
  readonly message: string;
  readonly reason?: ConnectReason;
}

/** Where a run's requests go: the current connection pool, connecting first when there is none. */
export interface Connector {
  connect(): Promise<Result<RequestSender, ConnectFailure>>;
}

export interface RunSnapshot {
  readonly id: string;
  readonly state: RunState;
  readonly region: Region | undefined;
  readonly original: string;
  /** Region offset up to which the model's text is in the buffer (the live marker: what has not landed is not on screen). */
  readonly frontier: number;
  /**
   * Changed hunks still waiting for a decision, in document offsets: in review, and while streaming those above the frontier that are final.
   * Computed when first read (a line diff while streaming), from the run as it is then: read it while handling the change that gave the snapshot.
   */
  readonly hunks: readonly Hunk[];
  /** While streaming a rewrite of the original: what the stream has shown of its output (see StreamApplier.shownOutputOf). Computed when read. */
  readonly shownOutput: string | undefined;
  readonly tokensPerSecond: number | undefined;
  readonly timeToFirstTokenMs: number | undefined;
  /** Alternatives: how many takes, which one the region shows, how many can be shown now. */
  readonly takes: { readonly count: number; readonly shown: number; readonly ready: number } | undefined;
}

export interface RunView {
  /** The run changed; `phaseChanged` when it moved to another phase (views show that at once, progress at their pace). */
  update(phaseChanged: boolean): void;
  /** `reason`: what the user can do about a connection that could not be made (the view offers it). */
  report(level: 'info' | 'warning' | 'error', message: string, snapshot: RunSnapshot, reason?: ConnectReason): void;
  /** The run reached done or error and let go of the document. */
  ended(snapshot: RunSnapshot): void;
}

export interface RunOptions {
  readonly id: string;
  readonly instruction: string;
  readonly region: Region;
  readonly model: string;
  readonly contextTokens: number;
  readonly policy: RunPolicy;
  /** 'preview' lands the whole result at once instead of streaming it in. */
  readonly applyMode: 'stream' | 'preview';
  readonly reasoningEffort?: ReasoningEffort;
  /** A live-instruction preview (see RunState.preview). */
  readonly preview?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
  /** Jitter for the retry policy's backoff (tests fix it). */
  readonly random?: () => number;
  /** The run's `prompt_cache_key` (its previews and redirects share it). */
  readonly promptCacheKey?: string;
  /** `patch`: the model answers with a patch against the region (large regions), applied hunk by hunk as it streams. */
  readonly format?: AnswerFormat;
  /** The project context ready now (rules, related definitions): read at each request, never waited for. */
  readonly project?: () => EditContext['project'];
  /** Alternatives: how many takes to ask for (1 or absent: the run's own answer only). */
  readonly takes?: number;
}

/**
 * Runs one edit: feeds every event to the pure reducer and carries out the
 * effects it returns, through ports. It decides nothing: each asynchronous
 * step it starts reports back to the reducer as an event carrying the
 * request or step number it served, and a failure is an event too.
 */
export class RunController implements RunDocumentListener {
  private readonly original: string;
  private readonly applier: StreamApplier;
  private readonly hunks: HunkTracker;
  private readonly restorer: Restorer;
  /** A live redirect's base: the region as shown when the redirect began (see Preview). */
  private base: string | undefined;
  /** The region's text when the run's output had landed (a redo brings exactly this back). */
  private outputText: string | undefined;
  /** What each landed step left in the region, newest last (an Undo or Redo brings one of them back). */
  private readonly outputs: string[] = [];
  /** The run's other takes, once asked for; take 1 is `firstTake`, the run's own answer as it landed. */
  private takes: Takes | undefined;
  private firstTake: string | undefined;
  private handle: ResponseHandle | undefined;
  /** The sender of the latest request: whether it can steer. */
  private sender: RequestSender | undefined;
  private readonly timers = new Map<RunTimer, unknown>();
  private readonly settledWaiters: (() => void)[] = [];
  private ended = false;

  /** Starts a run on `options.region`; refused when another run is still writing into that range. */
  static start(options: RunOptions, document: RunDocument, sync: DocumentSync, connector: Connector, view: RunView, clock: Clock): Result<RunController, string> {
    const first = initialRunState({ instruction: options.instruction, policy: options.policy, preview: options.preview ?? false, ...(options.takes ? { takes: options.takes } : {}) });
    const run = new RunController(options, document, sync, connector, view, clock, first.state);
    const attached = sync.attach(options.id, options.region, run);
    if (!attached.ok) return attached;
    run.run(first);
    return ok(run);
  }

  /**
   * Brings back a run under review after a window reload: its region and
   * original text, straight into review. Reject restores the original; Accept
   * forgets it.
   */
  static restore(options: RunOptions, original: string, outcome: Outcome, document: RunDocument, sync: DocumentSync, connector: Connector, view: RunView, clock: Clock): Result<RunController, string> {
    // Its review set is known once the tracker has read the region: until then, a review of no hunks.
    const run = new RunController(options, document, sync, connector, view, clock, restoredRunState(options.instruction, options.policy, outcome, []), original);
    const attached = sync.attach(options.id, options.region, run);
    if (!attached.ok) return attached;
    sync.discard(options.id); // nothing streams into a restored region
    run.outputText = run.regionText();
    run.noteOutput(run.outputText);
    const hunks = run.hunks.startReview(run.outputText, options.region.start);
    run.state = restoredRunState(options.instruction, options.policy, outcome, hunks);
    return ok(run);
  }

  private constructor(
    private readonly options: RunOptions,
    private readonly document: RunDocument,
    private readonly sync: DocumentSync,
    private readonly connector: Connector,
    private readonly view: RunView,
    private readonly clock: Clock,
    private state: RunState,
    original?: string,
  ) {
    this.original = original ?? document.getText().slice(options.region.start, options.region.end);
    this.applier = new StreamApplier(document.eol, options.applyMode, options.format);
    this.hunks = new HunkTracker(options.id, this.original);
    this.restorer = new Restorer({ runId: options.id, sync, original: this.original, getText: () => document.getText(), region: () => this.currentRegion() });
  }

  get id(): string {
    return this.options.id;
  }

  get phase(): RunState['phase'] {
    return this.state.phase;
  }

  get snapshot(): RunSnapshot {
    const s = this.state;
    const { deltas, firstDeltaAt, lastDeltaAt, sentAt } = s.stream;
    const streamedMs = firstDeltaAt !== undefined && lastDeltaAt !== undefined ? lastDeltaAt - firstDeltaAt : 0;
    // The live hunks are a line diff of the finished part: only a view that shows hunks pays for it, once
    // per snapshot. The status bar reads a snapshot on every progress tick and never looks at them.
    let hunks: readonly Hunk[] | undefined;
    const hunksNow = (): readonly Hunk[] =>
      s.phase === 'streaming' && !s.preview ? this.hunks.liveHunks(this.applier, this.currentRegion(), s.acceptedHunks) : this.hunks.reviewHunks(s.phase === 'review' ? s.review.pending : []);
    const { applier, original } = this;
    return {
      id: this.options.id,
      state: s,
      region: this.sync.region(this.options.id),
      original: this.original,
      frontier: Math.min(this.applier.frontier, this.sync.unlandedFrom(this.options.id) ?? Infinity),
      get hunks() {
        return (hunks ??= hunksNow());
      },
      get shownOutput() {
        return isLive(s.phase) ? applier.shownOutputOf(original) : undefined;
      },
      tokensPerSecond: streamedMs > 0 ? ((deltas - 1) * 1000) / streamedMs : undefined,
      timeToFirstTokenMs: sentAt !== undefined && firstDeltaAt !== undefined ? firstDeltaAt - sentAt : undefined,
      takes: s.takes && { ...s.takes, ready: this.readyTakes().length },
    };
  }

  dispatch(event: RunEvent): void {
    if (this.ended) return;
    this.run(reduceRun(this.state, event));
  }

  /**
   * Redirects the run to a new instruction (steering where the endpoint can).
   * `live`: from the redirect box while it is still open; the redirect is a
   * preview until Enter keeps it.
   */
  redirect(instruction: string, live = false): void {
    this.dispatch({ type: 'redirect', instruction, canSteer: this.sender?.canSteer ?? true, live });
  }

  /** Accept or Reject one changed hunk (Reject puts its original text back, one undo step). */
  decideHunk(hunkId: string, decision: 'accept' | 'reject'): void {
    this.dispatch({ type: 'decideHunk', hunkId, decision });
  }

  /**
   * Shows the next (or previous) take that is ready, wrapping around; the
   * take shown, or undefined when there is no other take to show yet.
   */
  cycleTake(direction: 1 | -1): number | undefined {
    const takes = this.state.takes;
    const ready = this.readyTakes();
    if (!takes || ready.length < 2) return undefined;
    const at = ready.indexOf(takes.shown);
    const next = ready[(at + direction + ready.length) % ready.length]!;
    this.dispatch({ type: 'showTake', take: next });
    return this.state.takes?.shown === next ? next : undefined;
  }

  /** The takes that can be shown now, in order (take 1 once the run's own answer has landed). */
  private readyTakes(): number[] {
    const count = this.state.takes?.count ?? 0;
    const ready: number[] = [];
    for (let take = 1; take <= count; take++) if (this.takeText(take) !== undefined) ready.push(take);
    return ready;
  }

  private takeText(take: number): string | undefined {
    if (take === 1) return this.firstTake;
    const status = this.takes?.status(take);
    return status?.state === 'done' ? status.text : undefined;
  }

  /** Resolves once the run no longer changes the buffer (review, done or error). */
  whenSettled(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.ended || !isLive(this.state.phase)) resolve();
        else this.settledWaiters.push(check);
      };
      check();
    });
  }

  /** Resolves once no edit of this run is in flight. */
  whenIdle(): Promise<void> {
    return this.sync.whenIdle(this.options.id);
  }

  // RunDocumentListener
  onChanges(changes: readonly DocumentChange[]): void {
    this.hunks.rebase(changes);
  }

  onUserEdit(placement: ChangePlacement, absorbing: Region): void {
    this.dispatch({ type: 'userEdit', placement });
    const phase = this.state.phase;
    if (phase !== 'review' && phase !== 'reverted') return;
    const region = this.currentRegion();
    const atEdges = absorbing.start !== region.start || absorbing.end !== region.end;
    if (placement !== 'inside' && placement !== 'overlapping' && !atEdges) return;
    // Bounded by the region's size: only edits inside it (or at its edges) can undo or redo the run.
    let text = this.regionText();
    if (atEdges && !this.wrote(text)) {
      // An Undo or Redo of a step of this run puts back text at the region's edges too: counted in when
      // the region then reads as a text this run had (never text the user typed beside it).
      const wider = this.document.getText().slice(absorbing.start, absorbing.end);
      if (this.wrote(wider)) {
        this.sync.adoptRegion(this.options.id, absorbing);
        text = wider;
      }
    }
    const take = this.state.takes && text !== this.outputText ? this.readyTakes().find((t) => this.takeText(t) === text) : undefined;
    // An Undo or Redo of a swap brought another take back: it is the one under review now.
    if (take !== undefined) this.dispatch({ type: 'takeInRegion', take, hunks: this.reviewSet() });
    this.dispatch({ type: 'regionText', matches: text === this.original ? 'original' : text === this.outputText ? 'output' : 'neither' });
  }

  private noteOutput(text: string): void {
    // A handful of follow-ups at most: the oldest beyond that can no longer be told apart by a cheap compare anyway.
    if (this.outputs.at(-1) !== text) this.outputs.push(text);
    if (this.outputs.length > MAX_REMEMBERED_OUTPUTS) this.outputs.shift();
  }

  /** Whether the region read `text` at some point of this run: its original, or the output of one of its steps. */
  private wrote(text: string): boolean {
    return text === this.original || this.outputs.includes(text);
  }

  onDocumentClosed(): void {
    this.dispatch({ type: 'documentClosed' });
  }

  /** The stream's end, guessed from its pace so far and what of the region it has not reached yet (a rewrite's output runs about as long). */
  streamEndsInMs(): number | undefined {
    const remaining = this.applier.remainingBaseLength;
    const since = this.state.stream.firstDeltaAt;
    const written = this.applier.outputSoFar.length;
    if (this.state.phase !== 'streaming' || remaining === undefined || since === undefined || written === 0) return undefined;
    const elapsed = this.clock.now() - since;
    return elapsed > 0 ? (remaining * elapsed) / written : undefined;
  }

  onEditFailed(message: string): void {
    this.dispatch({ type: 'editFailed', message });
  }

  private run(transition: Transition): void {
    const before = this.state.phase;
    this.state = transition.state;
    for (const effect of transition.effects) this.execute(effect);
    if (!isLive(this.state.phase) && this.settledWaiters.length > 0) for (const w of this.settledWaiters.splice(0)) w();
    if (this.ended) return;
    if (isEnded(this.state.phase)) {
      this.end();
      return;
    }
    this.view.update(this.state.phase !== before);
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'sendRequest':
        this.sendRequest(effect.request, effect.mode, effect.previousResponseId, effect.rewrite);
        return;
      case 'steer':
        this.steer(effect.request, effect.responseId, effect.rewrite);
        return;
      case 'captureBase':
        this.closeStream();
        this.whenShown(this.state.request, (shown) => (this.base = shown));
        return;
      case 'beginSuccessor':
        this.beginSuccessor();
        return;
      case 'appendOutput':
        this.appendOutput(effect.text);
        return;
      case 'land':
        this.land(effect.step, effect.how, effect.closeUndoGroup);
        return;
      case 'stopApplying':
        this.sync.discard(this.options.id);
        return;
      case 'cancelResponse':
        this.handle?.cancel();
        this.handle = undefined;
        return;
      case 'setTimer':
        this.setTimer(effect.timer, effect.ms, effect.request);
        return;
      case 'restore': {
        const pieces = effect.what === 'region' ? undefined : this.hunks.take(effect.what.hunks);
        this.step(effect.step, this.restorer.restore(pieces, this.stepIsCurrent(effect.step)), () => ({ type: 'restored', step: effect.step }));
        return;
      }
      case 'undoPreview':
        this.step(effect.step, this.restorer.undoPreview(this.stepIsCurrent(effect.step)), (why) => ({ type: 'previewUndone', step: effect.step, exact: why === undefined, ...(why ? { why } : {}) }));
        return;
      case 'rejectHunk':
        this.rejectHunk(effect.hunkId, effect.step);
        return;
      case 'report':
        this.view.report(effect.level, effect.message, this.snapshot, effect.reason);
        return;
      case 'startTakes':
        this.startTakes(effect.count);
        return;
      case 'dropTakes':
        this.takes?.dispose();
        this.takes = undefined;
        this.firstTake = undefined;
        return;
      case 'showTake':
        this.showTake(effect.step, effect.take);
        return;
    }
  }

  /** Whether `step` is still the one the run waits for: an async step checks this after every wait, and a superseded one touches nothing. */
  private stepIsCurrent(step: number): () => boolean {
    return () => !this.ended && this.state.step === step;
  }

  /** Carries out an asynchronous step; its completion, or its failure, comes back to the reducer carrying `step`. */
  private step<T>(step: number, work: Promise<T>, done: (result: T) => RunEvent): void {
    work.then(
      (result) => this.dispatch(done(result)),
      (error: unknown) => this.dispatch({ type: 'stepFailed', step, message: error instanceof Error ? error.message : String(error) }),
    );
  }

  private enqueue(edits: readonly TextEdit[]): void {
    if (edits.length > 0) this.sync.enqueue(this.options.id, edits);
  }

  /** The run's region as it is now (rebased over every edit since the start). */
  private currentRegion(): Region {
    return this.sync.region(this.options.id) ?? this.options.region;
  }

  private regionText(): string {
    const region = this.currentRegion();
    return this.document.getText().slice(region.start, region.end);
  }

  /**
   * The old stream stops here: its unfinished line, if the region still
   * shows it as the stream left it, is taken out (queued behind what already
   * arrived, not waited for), so the region holds whole lines only.
   */
  private closeStream(): void {
    const line = this.applier.close();
    if (!line) return;
    const shown = this.sync.projectedRegionText(this.options.id, this.regionText());
    if (shown?.slice(line.start, line.start + line.text.length) !== line.text) return;
    this.sync.resume(this.options.id);
    this.sync.enqueue(this.options.id, [{ start: line.start, end: line.start + line.text.length, text: '' }]);
  }

  /**
   * Calls `next` with the region as it will read once what is in flight and
   * pending has landed: at once in the usual case, else once the edit in
   * flight has settled (never more than that one round trip). Dropped if
   * request `request` is no longer the current one.
   */
  private whenShown(request: number, next: (shown: string) => void): void {
    const shown = this.sync.projectedRegionText(this.options.id, this.regionText());
    if (shown !== undefined) {
      next(shown);
      return;
    }
    void this.sync.whenIdle(this.options.id).then(() => {
      if (!this.ended && this.state.request === request) this.whenShown(request, next);
    });
  }

  private textFor(rewrite: Rewrite, shown: string): string {
    if (rewrite === 'original') return this.original;
    if (rewrite === 'base') return this.base ?? shown;
    return shown;
  }

  private requestOptions(): RequestOptions {
    return { model: this.options.model, contextTokens: this.options.contextTokens, metadata: this.options.metadata, reasoningEffort: this.options.reasoningEffort, promptCacheKey: this.options.promptCacheKey, format: this.options.format };
  }

  /** The file around the region as it is now, with `region` as the text to rewrite. */
  private editContext(region: string): EditContext {
    const text = this.document.getText();
    const { start, end } = this.currentRegion();
    const project = this.options.project?.();
    return { fileName: this.document.fileName, languageId: this.document.languageId, before: text.slice(0, start), region, after: text.slice(end), ...(project ? { project } : {}) };
  }

  private sendRequest(request: number, mode: RequestMode, previousResponseId: string | undefined, rewrite: Rewrite): void {
    const current = (): boolean => !this.ended && this.state.request === request;
    // A new stream begins from the region as shown, whole lines; a resume continues the stream it resumes.
    if (mode !== 'resume') this.closeStream();
    this.connector.connect().then(
      (connected) => {
        if (!current()) return;
        if (!connected.ok) {
          const { message, reason } = connected.error;
          this.dispatch({ type: 'transportFailed', request, failure: { kind: 'connect', message, ...(reason ? { reason } : {}) } });
          return;
        }
        const sender = connected.value;
        this.sender = sender;
        if (mode === 'resume') {
          this.options.log?.(`[${this.options.id}] the connection dropped: resuming after ${this.applier.outputSoFar.length} characters of output (attempt ${this.state.resumes})`);
          this.send(sender, request, runRequest({ mode, context: this.editContext(this.original), instruction: this.state.instruction, history: this.state.history, earlierDone: this.state.earlierDone, previousResponseId: undefined, outputSoFar: this.applier.outputSoFar, options: this.requestOptions() }).request);
          return;
        }
        this.whenShown(request, (shown) => {
          const prompt = runRequest({ mode, context: this.editContext(this.textFor(rewrite, shown)), instruction: this.state.instruction, history: this.state.history, earlierDone: this.state.earlierDone, previousResponseId, outputSoFar: '', options: this.requestOptions() });
          // The stream is diffed against what the region shows, whatever the model was asked to rewrite.
          this.beginStream(shown);
          const parts = prompt.parts ? ` (${prompt.parts.map((p) => `${p.name} ${p.chars}`).join(', ')} chars)` : '';
          this.options.log?.(`[${this.options.id}] ${mode} request${this.options.format === 'patch' ? ' for a patch' : ''}, ~${prompt.estimatedTokens} tokens${parts}${prompt.trimmedChars ? `, ${prompt.trimmedChars} chars of far context trimmed` : ''}`);
          this.send(sender, request, prompt.request);
        });
      },
      (error: unknown) => {
        if (current()) this.sendFailed(request, error);
      },
    );
  }

  /** Hands a request to the sender; a sender that throws ends the run visibly. */
  private send(sender: RequestSender, request: number, body: OutgoingResponseCreate): void {
    try {
      this.handle = sender.request(body, this.listenerFor(request));
    } catch (error) {
      this.sendFailed(request, error);
    }
  }

  private sendFailed(request: number, error: unknown): void {
    // Nothing here should throw; if it does, the run must end visibly, never hang in `connecting`.
    const failure: TransportFailure = { kind: 'protocol', message: `could not send: ${error instanceof Error ? error.message : String(error)}` };
    this.dispatch({ type: 'transportFailed', request, failure });
  }

  private steer(request: number, responseId: string, rewrite: Rewrite): void {
    this.closeStream();
    this.whenShown(request, (shown) => {
      if (this.state.phase !== 'steering') return;
      const sent = this.handle?.steer(buildSteer(this.textFor(rewrite, shown), this.state.instruction, this.state.history, responseId, this.options.format)) ?? false;
      this.options.log?.(`[${this.options.id}] ${sent ? `steering ${responseId}` : 'could not steer: the response is no longer on the wire'}`);
      if (!sent) this.dispatch({ type: 'steerUnavailable', request });
    });
  }

  /** The steered response's successor started: its output is diffed against the region as shown (held until that is known). */
  private beginSuccessor(): void {
    this.applier.beginLater();
    this.whenShown(this.state.request, (shown) => this.beginStream(shown));
  }

  private beginStream(shown: string): void {
    this.sync.resume(this.options.id);
    this.enqueue(this.applier.begin(shown));
  }

  private listenerFor(request: number): ResponseListener {
    return {
      onQueued: () => this.dispatch({ type: 'queued', request }),
      onSent: (at) => this.dispatch({ type: 'sent', request, at }),
      onEvent: (event) => this.dispatch({ type: 'server', request, event, at: this.clock.now() }),
      onFailure: (failure) => this.dispatch({ type: 'transportFailed', request, failure, jitter: (this.options.random ?? Math.random)() }),
    };
  }

  private setTimer(timer: RunTimer, ms: number, request: number): void {
    const previous = this.timers.get(timer);
    if (previous !== undefined) this.clock.clearTimeout(previous);
    this.timers.set(
      timer,
      this.clock.setTimeout(() => {
        this.timers.delete(timer);
        this.dispatch({ type: 'timerFired', timer, request });
      }, ms),
    );
  }

  /** Output in, region edits out; an answer that cannot be applied (a patch that does not fit) ends the run at once, keeping what applied. */
  private appendOutput(text: string): void {
    this.enqueue(this.applier.append(text));
    const failure = this.applier.failure;
    if (failure !== undefined) this.dispatch({ type: 'outputUnusable', request: this.state.request, message: `the patch could not be applied: ${failure}` });
  }

  /** Brings the buffer to the stream's final text for this run (see LandHow), then reports `landed` with the hunks to review. */
  private land(step: number, how: LandHow, closeUndoGroup: boolean): void {
    const id = this.options.id;
    const current = this.stepIsCurrent(step);
    const landing = async (): Promise<RunEvent> => {
      let failure: string | undefined;
      if (how === 'complete') {
        const { edits, dropped } = this.applier.finish();
        if (dropped > 0) this.options.log?.(`[${id}] dropped ${dropped} unpaired half of a character (a broken surrogate pair from the server)`);
        this.enqueue(edits);
        // The answer ended as a patch that cannot be applied: what applied stays, whole lines only.
        const unusable = this.applier.failure;
        if (unusable !== undefined) {
          failure = `the patch could not be applied: ${unusable}`;
          this.closeStream();
        }
      } else if (how === 'wholeLines') {
        this.closeStream();
      } else {
        this.applier.close();
        await this.restorer.restoreBase(this.base, current);
      }
      await (closeUndoGroup ? this.sync.finish(id) : this.sync.land(id));
      if (!current()) return superseded(step);
      if (this.state.takes && this.firstTake === undefined && how === 'complete' && failure === undefined) this.firstTake = this.regionText();
      return this.landedHere(step, failure);
    };
    this.step(step, landing(), (event) => event);
  }

  /** The region as it reads now is the run's output: its review set, reported as `landed`. */
  private landedHere(step: number, failure?: string): RunEvent {
    const hunks = this.reviewSet();
    return { type: 'landed', step, hunks, unchanged: this.outputText === this.original, ...(failure ? { failure } : {}) };
  }

  /** The region as it reads now becomes the run's output: remembered, and its hunks the ones to review. */
  private reviewSet(): readonly string[] {
    this.outputText = this.regionText();
    this.noteOutput(this.outputText);
    return this.hunks.startReview(this.outputText, this.currentRegion().start);
  }

  /** Asks for the other takes with the run's first request as it would be built now: the original and the instruction. */
  private startTakes(count: number): void {
    this.takes?.dispose();
    this.firstTake = undefined;
    const request = runRequest({ mode: 'initial', context: this.editContext(this.original), instruction: this.state.instruction, history: [], earlierDone: false, previousResponseId: undefined, outputSoFar: '', options: this.requestOptions() }).request;
    this.takes = new Takes(this.connector, this.original, this.document.eol, this.options.format ?? 'rewrite', () => {
      if (!this.ended) this.view.update(false);
    });
    this.takes.start(request, count);
    this.options.log?.(`[${this.options.id}] asked for ${count - 1} more take(s)`);
  }

  /** Replaces the region by take `take` (one undo step); its review set follows. */
  private showTake(step: number, take: number): void {
    const text = this.takeText(take);
    const current = this.stepIsCurrent(step);
    const showing = async (): Promise<RunEvent> => {
      if (text === undefined) throw new Error(`take ${take} is not ready`);
      await this.restorer.restore(undefined, current, text);
      return current() ? this.landedHere(step) : superseded(step);
    };
    this.step(step, showing(), (event) => event);
  }

  private rejectHunk(hunkId: string, step: number | undefined): void {
    if (step === undefined) {
      // While streaming: within the run's undo step, and the stream's diff is told, so the rest streams in below it.
      const region = this.currentRegion();
      const hunk = this.hunks.liveHunks(this.applier, region, this.state.acceptedHunks).find((h) => h.id === hunkId);
      if (!hunk) return;
      const start = hunk.range.start - region.start;
      const end = hunk.range.end - region.start;
      this.applier.replaceFinished(start, end, hunk.originalText);
      this.enqueue([{ start, end, text: hunk.originalText }]);
      return;
    }
    // A hunk's Reject is the user's decision: it lands even if they type elsewhere meanwhile, and only the run's end stops it.
    this.step(step, this.restorer.restore(this.hunks.take([hunkId]), () => !this.ended), () => ({ type: 'restored', step }));
  }

  private end(): void {
    this.ended = true;
    this.takes?.dispose();
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.handle?.cancel();
    this.handle = undefined;
    const snapshot = this.snapshot;
    this.sync.detach(this.options.id);
    this.view.ended(snapshot);
  }
}
