import type { Clock } from '../clock';
import type { DocumentSync, RunDocumentListener } from '../edit/documentSync';
import { OutputNormalizer } from '../edit/outputFilters';
import type { ChangePlacement, DocumentChange, Region } from '../edit/regionTracker';
import { computeHunks, HunkSet, hunkId, type Hunk, type HunkSpec } from '../review/hunks';
import { StreamingDiff } from '../edit/streamingDiff';
import { buildContinuationRequest, buildEditRequest, buildResumeRequest, buildSteer, type EditContext, type RequestOptions } from '../prompt/buildRequest';
import type { OutgoingResponseCreate, ReasoningEffort } from '../protocol/clientEvents';
import { ok, type Result } from '../result';
import type { ResponseHandle, ResponseListener } from '../transport/responseChannel';
import { initialRunState, isLive, reduceRun, restoredRunState, type EndReason, type Effect, type OnTypePolicy, type RequestMode, type RunEvent, type RunState, type Transition } from './reducer';

/** Above this many characters a region's live hunks are not computed while it streams. */
const MAX_LIVE_HUNK_CHARS = 50_000;

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

export interface RunSnapshot {
  readonly id: string;
  readonly state: RunState;
  readonly region: Region | undefined;
  readonly original: string;
  /** Region offset the model has written up to (for the live marker). */
  readonly frontier: number;
  /** Changed hunks still waiting for a decision, in document offsets: in review, and while streaming those above the frontier that are final. */
  readonly hunks: readonly Hunk[];
  readonly tokensPerSecond: number | undefined;
  readonly timeToFirstTokenMs: number | undefined;
}

export interface RunView {
  /** The run changed; read `snapshot` when rendering (this fires per event, so keep it cheap). */
  update(): void;
  report(level: 'info' | 'warning' | 'error', message: string, snapshot: RunSnapshot): void;
  clear(snapshot: RunSnapshot): void;
  /** The run reached done or error and let go of the document. */
  ended(snapshot: RunSnapshot): void;
}

export interface RunOptions {
  readonly id: string;
  readonly instruction: string;
  readonly region: Region;
  readonly model: string;
  readonly contextTokens: number;
  readonly onType: OnTypePolicy;
  readonly redirectPauseMs: number;
  /** 'preview' lands the whole result at once instead of streaming it in. */
  readonly applyMode: 'stream' | 'preview';
  readonly reasoningEffort?: ReasoningEffort;
  /** A live-instruction preview (see RunState.preview). */
  readonly preview?: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
}

/**
 * Runs one edit: feeds events to the pure reducer and carries out the effects
 * it returns, through ports only. Holds the per-stream state the reducer
 * leaves to the edge (the diff and the output normaliser of the stream that
 * is being applied); every decision is the reducer's.
 */
export class RunController implements RunDocumentListener {
  private state: RunState;
  private readonly original: string;
  /** A live redirect's base: the region as its first revision read it (see `RunState.rewrite`). */
  private base: string | undefined;
  private diff: StreamingDiff | undefined;
  private normalizer: OutputNormalizer | undefined;
  private previewBuffer = '';
  /** The code text of the stream being applied, as it arrived (a resume sends it back). */
  private outputSoFar = '';
  private handle: ResponseHandle | undefined;
  /** Events of a superseded request carry an older token and are ignored. */
  private requestToken = 0;
  private redirectTimer: unknown;
  private ended = false;
  /** Restoring edits not landed yet: the sync stays attached for them. */
  private restorePending = 0;
  private readonly settledWaiters: (() => void)[] = [];
  /** The changed hunks under review, tracked over every document change. */
  private hunks: HunkSet | undefined;
  /** The last live-hunk computation, for the diff and finished output it was made from. */
  private liveHunkCache: { diff: StreamingDiff; output: string; specs: readonly HunkSpec[] } | undefined;
  /** Hunks accepted while the stream went on: not pending when the review starts. */
  private readonly acceptedLive = new Set<string>();
  /** The region's text when the run's output had landed (redo brings exactly this back). */
  private outputText: string | undefined;

  /** Starts a run on `options.region`; refused when another run is still writing into that range. */
  static start(options: RunOptions, document: RunDocument, sync: DocumentSync, sender: RequestSender, view: RunView, clock: Clock): Result<RunController, string> {
    const run = new RunController(options, document, sync, sender, view, clock);
    const attached = sync.attach(options.id, options.region, run);
    if (!attached.ok) return attached;
    run.run(initialRunState(options.instruction, options.onType, options.redirectPauseMs, options.preview ?? false));
    return ok(run);
  }

  /**
   * Brings back a run under review after a window reload: its region and
   * original text, straight into review. Reject restores the original; Accept
   * forgets it.
   */
  static restore(
    options: RunOptions,
    original: string,
    endReason: EndReason,
    message: string | undefined,
    document: RunDocument,
    sync: DocumentSync,
    sender: RequestSender,
    view: RunView,
    clock: Clock,
  ): Result<RunController, string> {
    const run = new RunController(options, document, sync, sender, view, clock, original);
    const attached = sync.attach(options.id, options.region, run);
    if (!attached.ok) return attached;
    sync.discard(options.id); // nothing streams into a restored region
    run.outputText = document.getText().slice(options.region.start, options.region.end);
    run.hunks = new HunkSet(computeHunks(original, run.outputText), options.region.start, options.id);
    run.state = restoredRunState(options.instruction, endReason, message, run.hunks.pending.map((h) => h.id));
    return ok(run);
  }

  private constructor(
    private readonly options: RunOptions,
    private readonly document: RunDocument,
    private readonly sync: DocumentSync,
    private readonly sender: RequestSender,
    private readonly view: RunView,
    private readonly clock: Clock,
    original?: string,
  ) {
    this.original = original ?? document.getText().slice(options.region.start, options.region.end);
    this.state = initialRunState(options.instruction, options.onType, options.redirectPauseMs).state;
  }

  get id(): string {
    return this.options.id;
  }

  get phase(): RunState['phase'] {
    return this.state.phase;
  }

  get snapshot(): RunSnapshot {
    const s = this.state;
    const streamedMs = s.firstDeltaAt !== undefined && s.lastDeltaAt !== undefined ? s.lastDeltaAt - s.firstDeltaAt : 0;
    return {
      id: this.options.id,
      state: s,
      region: this.sync.region(this.options.id),
      original: this.original,
      frontier: this.diff?.frontier ?? 0,
      hunks: this.state.phase === 'streaming' ? this.liveHunks() : this.pendingHunks(),
      tokensPerSecond: streamedMs > 0 ? ((s.deltas - 1) * 1000) / streamedMs : undefined,
      timeToFirstTokenMs: s.sentAt !== undefined && s.firstDeltaAt !== undefined ? s.firstDeltaAt - s.sentAt : undefined,
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
    this.dispatch({ type: 'redirect', instruction, canSteer: this.sender.canSteer, live });
  }

  /**
   * While streaming: the hunks of the finished part that are final (unchanged
   * text follows them, so no later line can extend them), in document offsets.
   */
  private liveHunks(): readonly Hunk[] {
    const diff = this.diff;
    if (!diff || this.options.applyMode !== 'stream') return [];
    const { output, originalLength } = diff.finishedPart;
    // Bounded: a line diff of the finished part, skipped for huge regions.
    if (output.length + originalLength > MAX_LIVE_HUNK_CHARS) return [];
    // Every view reads the snapshot on every render: diff once per change of the finished part.
    const cached = this.liveHunkCache;
    const specs =
      cached && cached.diff === diff && cached.output === output
        ? cached.specs
        : computeHunks(this.original.slice(0, originalLength), output).filter((h) => h.end < output.length);
    this.liveHunkCache = { diff, output, specs };
    const region = this.currentRegion();
    return specs
      .filter((h) => !this.acceptedLive.has(hunkId(this.options.id, h)))
      .map((h) => ({ id: hunkId(this.options.id, h), range: { start: region.start + h.start, end: region.start + h.end }, originalText: h.originalText }));
  }

  /** Puts a finished hunk back to its original text while the stream goes on below it (within the run's undo step). */
  private rejectLiveHunk(id: string): void {
    const diff = this.diff;
    const hunk = this.liveHunks().find((h) => h.id === id);
    if (!diff || !hunk) return;
    const region = this.currentRegion();
    const start = hunk.range.start - region.start;
    const end = hunk.range.end - region.start;
    diff.replaceFinished(start, end, hunk.originalText);
    this.sync.enqueue(this.options.id, [{ start, end, text: hunk.originalText }]);
  }

  /** The hunks the reducer still has pending (accepted ones are the model's text for good). */
  private pendingHunks(): readonly Hunk[] {
    const pending = this.state.pendingHunks;
    return (this.hunks?.pending ?? []).filter((h) => pending.includes(h.id));
  }

  /** Accept or Reject one changed hunk (Reject puts its original text back, one undo step). */
  decideHunk(hunkId: string, decision: 'accept' | 'reject'): void {
    this.dispatch({ type: 'decideHunk', hunkId, decision });
  }

  // RunDocumentListener
  onChanges(changes: readonly DocumentChange[]): void {
    this.hunks?.rebase(changes);
  }

  onUserEdit(placement: ChangePlacement): void {
    this.dispatch({ type: 'userEdit', placement });
    const phase = this.state.phase;
    if ((phase === 'review' || phase === 'reverted') && (placement === 'inside' || placement === 'overlapping')) {
      // Bounded by the region's size: only edits inside it can undo or redo the run.
      const text = this.regionText();
      this.dispatch({ type: 'regionText', matches: text === this.original ? 'original' : text === this.outputText ? 'output' : 'neither' });
    }
  }

  onDocumentClosed(): void {
    this.dispatch({ type: 'documentClosed' });
  }

  /** Resolves once no edit of this run is in flight (cancel and redirect wait for this). */
  whenIdle(): Promise<void> {
    return this.sync.whenIdle(this.options.id);
  }

  private run(transition: Transition): void {
    this.state = transition.state;
    for (const effect of transition.effects) this.execute(effect);
    if (!isLive(this.state.phase) && this.settledWaiters.length > 0) {
      const waiters = this.settledWaiters.splice(0);
      for (const w of waiters) w();
    }
    if (this.ended) return;
    if (this.state.phase === 'done' || this.state.phase === 'error') {
      this.end();
      return;
    }
    this.view.update();
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'sendRequest': {
        // Claim the request slot now, so events of the old request are ignored while its last edit settles.
        const token = ++this.requestToken;
        this.afterIdle(token, () => this.sendNow(effect.mode, effect.previousResponseId, token));
        return;
      }
      case 'steer':
        // The steered response keeps its listener: the successor arrives through it.
        this.afterIdle(this.requestToken, () => this.steerNow(effect.responseId));
        return;
      case 'resume': {
        const token = ++this.requestToken;
        this.clock.setTimeout(() => {
          if (token === this.requestToken && !this.ended) this.sendResume(token);
        }, effect.delayMs);
        return;
      }
      case 'beginSuccessor':
        this.beginStream();
        return;
      case 'appendOutput':
        this.append(effect.text);
        return;
      case 'finishOutput':
        this.finishOutput();
        return;
      case 'landPartialOutput':
        this.landThenReview(effect.wholeLinesOnly);
        return;
      case 'discardPending':
        this.sync.discard(this.options.id);
        return;
      case 'cancelResponse':
        this.requestToken++;
        this.handle?.cancel();
        this.handle = undefined;
        return;
      case 'startRedirectTimer':
        if (this.redirectTimer !== undefined) this.clock.clearTimeout(this.redirectTimer);
        this.redirectTimer = this.clock.setTimeout(() => {
          this.redirectTimer = undefined;
          this.dispatch({ type: 'redirectPauseElapsed' });
        }, effect.ms);
        return;
      case 'restoreOriginal':
        this.restoreOriginal();
        return;
      case 'undoPreview':
        this.undoPreview();
        return;
      case 'restoreBase':
        this.restoreBase();
        return;
      case 'rejectHunk': {
        if (this.state.phase === 'streaming') {
          this.rejectLiveHunk(effect.hunkId);
          return;
        }
        const hunk = this.hunks?.remove(effect.hunkId);
        if (hunk) this.landRestore([{ range: hunk.range, text: hunk.originalText }]);
        return;
      }
      case 'acceptLiveHunk':
        this.acceptedLive.add(effect.hunkId);
        return;
      case 'clearMarks':
        this.view.clear(this.snapshot);
        return;
      case 'report':
        // The view writes it to the log, at its level.
        this.view.report(effect.level, effect.message, this.snapshot);
        return;
    }
  }

  /** The run's region as it is now (rebased over every edit since the start). */
  private currentRegion(): Region {
    return this.sync.region(this.options.id) ?? this.options.region;
  }

  private regionText(): string {
    const region = this.currentRegion();
    return this.document.getText().slice(region.start, region.end);
  }

  /** Lands what is pending (closing the undo group), then the run is ready for review. */
  private landThenReview(wholeLinesOnly = false): void {
    const dropUnfinished = wholeLinesOnly ? this.settleRegion(() => !this.ended) : Promise.resolve(true);
    // DocumentSync.finish never rejects: it resolves once nothing of the run is pending.
    // A preview leaves its undo step open: later revisions (and Keep's run) join it, and Escape undoes it whole.
    void dropUnfinished
      .then(() => (this.state.preview ? this.sync.land(this.options.id) : this.sync.finish(this.options.id)))
      .then(() => {
        if (this.ended) return;
        this.outputText = this.regionText();
        const region = this.currentRegion();
        this.hunks = new HunkSet(computeHunks(this.original, this.outputText), region.start, this.options.id);
        this.dispatch({ type: 'outputApplied', hunks: this.hunks.pending.map((h) => h.id).filter((id) => !this.acceptedLive.has(id)) });
      })
      .catch((error: unknown) => this.options.log?.(`[${this.options.id}] could not land the last edits: ${String(error)}`));
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

  /**
   * Runs `next` once what already arrived has landed and the model's
   * unfinished line is gone, so whatever reads the region next reads it as it
   * is shown. A newer request or a cancel in the meantime (a new token)
   * supersedes it.
   */
  private afterIdle(token: number, next: () => void): void {
    const stillWanted = (): boolean => token === this.requestToken && !this.ended;
    void this.settleRegion(stillWanted)
      .then((wanted) => {
        if (wanted) next();
      })
      .catch((error: unknown) => {
        if (stillWanted()) this.sendFailed(error);
      });
  }

  /**
   * Waits for the edit in flight, lands what is pending and removes the
   * model's unfinished line, checking `stillWanted` between the steps (a
   * keystroke or a newer request in the meantime must stop it: no model edit
   * after a keystroke). Resolves with whether it is still wanted.
   */
  private async settleRegion(stillWanted: () => boolean): Promise<boolean> {
    await this.sync.whenIdle(this.options.id);
    if (!stillWanted()) return false;
    await this.sync.land(this.options.id);
    if (!stillWanted()) return false;
    await this.removeUnfinishedLine();
    return stillWanted();
  }

  private sendFailed(error: unknown): void {
    // Nothing here should throw; if it does, the run must end visibly, never hang in `connecting`.
    this.dispatch({ type: 'transportFailed', failure: { kind: 'protocol', message: `could not send: ${error instanceof Error ? error.message : String(error)}` } });
  }

  /** Hands a request to the sender; a sender that throws ends the run visibly. */
  private send(request: OutgoingResponseCreate, token: number): void {
    try {
      this.handle = this.sender.request(request, this.listenerFor(token));
    } catch (error) {
      this.sendFailed(error);
    }
  }

  /**
   * Removes the model's unfinished line if it is still in the buffer exactly as
   * the model wrote it: the next request rewrites the region without it, so it
   * can neither be mistaken for the user's code nor survive beside its rewrite.
   */
  private async removeUnfinishedLine(): Promise<void> {
    const line = this.diff?.unfinishedLine;
    this.diff = undefined;
    if (!line) return;
    const text = this.regionText();
    if (text.slice(line.start, line.start + line.text.length) !== line.text) return;
    this.sync.resume(this.options.id);
    this.sync.enqueue(this.options.id, [{ start: line.start, end: line.start + line.text.length, text: '' }]);
    await this.sync.land(this.options.id);
  }

  private listenerFor(token: number): ResponseListener {
    const current = (): boolean => token === this.requestToken;
    return {
      onQueued: () => {
        if (current()) this.dispatch({ type: 'queued' });
      },
      onSent: (at) => {
        if (current()) this.dispatch({ type: 'sent', at });
      },
      onEvent: (event) => {
        if (current()) this.dispatch({ type: 'server', event, at: this.clock.now() });
      },
      onFailure: (failure) => {
        if (current()) this.dispatch({ type: 'transportFailed', failure });
      },
    };
  }

  private requestOptions(): RequestOptions {
    return { model: this.options.model, contextTokens: this.options.contextTokens, metadata: this.options.metadata, reasoningEffort: this.options.reasoningEffort };
  }

  /** The file around the region as it is now; `region` is the region's current text unless given. */
  private editContext(region?: string): EditContext {
    const text = this.document.getText();
    const { start, end } = this.currentRegion();
    return { fileName: this.document.fileName, languageId: this.document.languageId, before: text.slice(0, start), region: region ?? text.slice(start, end), after: text.slice(end) };
  }

  /**
   * The text the model is asked to rewrite (see `RunState.rewrite`). The first
   * revision of a live redirect reads the region as shown, and that is its
   * base from then on.
   */
  private textToRewrite(): string {
    switch (this.state.rewrite) {
      case 'original':
        return this.original;
      case 'base':
        return this.base ?? this.regionText();
      case 'current': {
        const text = this.regionText();
        if (this.state.beforeRedirect) this.base = text;
        return text;
      }
    }
  }

  private sendNow(mode: RequestMode, previousResponseId: string | undefined, token: number): void {
    // The stream is diffed against what the region shows, whatever the model was asked to rewrite.
    const context = this.editContext(this.textToRewrite());
    const prompt =
      previousResponseId !== undefined
        ? buildContinuationRequest(context.region, this.state.instruction, this.state.history, previousResponseId, this.requestOptions())
        : buildEditRequest(context, this.state.instruction, this.state.history, this.requestOptions());
    this.beginStream();
    this.options.log?.(`[${this.options.id}] ${mode} request, ~${prompt.estimatedTokens} tokens${prompt.trimmedChars ? `, ${prompt.trimmedChars} chars of far context trimmed` : ''}`);
    this.send(prompt.request, token);
  }

  /** Continues the dropped stream on a fresh connection, into the same diff: nothing duplicated, nothing lost. */
  private sendResume(token: number): void {
    // The model rewrites the original region; the output so far travels with the request.
    const prompt = buildResumeRequest(this.editContext(this.original), this.state.instruction, this.state.history, this.outputSoFar, this.requestOptions());
    this.options.log?.(`[${this.options.id}] the connection dropped: resuming after ${this.outputSoFar.length} characters of output (attempt ${this.state.resumes})`);
    this.send(prompt.request, token);
  }

  private steerNow(responseId: string): void {
    const sent = this.handle?.steer(buildSteer(this.textToRewrite(), this.state.instruction, this.state.history, responseId)) ?? false;
    this.options.log?.(`[${this.options.id}] ${sent ? `steering ${responseId}` : 'could not steer: the response is no longer on the wire'}`);
    if (!sent) this.dispatch({ type: 'steerUnavailable' });
  }

  /** A new stream is about to be applied: diff it against the region as it reads now. */
  private beginStream(regionText = this.regionText()): void {
    this.diff = new StreamingDiff(regionText);
    this.normalizer = new OutputNormalizer(this.document.eol, /\r?\n$/.test(regionText));
    this.previewBuffer = '';
    this.outputSoFar = '';
    this.sync.resume(this.options.id);
  }

  private append(raw: string): void {
    if (!this.diff || !this.normalizer) return;
    this.outputSoFar += raw;
    const text = this.normalizer.push(raw);
    if (text.length === 0) return;
    if (this.options.applyMode === 'preview') {
      this.previewBuffer += text;
      return;
    }
    const edits = this.diff.push(text);
    if (edits.length > 0) this.sync.enqueue(this.options.id, edits);
  }

  private finishOutput(): void {
    const diff = this.diff;
    const normalizer = this.normalizer;
    if (!diff || !normalizer) return;
    const rest = this.previewBuffer + normalizer.finish();
    if (normalizer.droppedHalfCharacters > 0) this.options.log?.(`[${this.options.id}] dropped ${normalizer.droppedHalfCharacters} unpaired half of a character (a broken surrogate pair from the server)`);
    this.previewBuffer = '';
    const edits = [...diff.push(rest), ...diff.finish()];
    if (edits.length > 0) this.sync.enqueue(this.options.id, edits);
    this.landThenReview();
  }

  /**
   * Reject of the whole run: the region's true original (as it was before the
   * run, whatever a formatter or the user did inside it since). Once hunks
   * have been decided one by one, those decisions stand: only the pending
   * hunks get their original text back. One undo step either way.
   */
  private restoreOriginal(): void {
    const pending = this.pendingHunks();
    const decidedSome = pending.length < (this.hunks?.pending.length ?? 0);
    this.hunks = undefined;
    if (decidedSome) {
      this.landRestore(pending.map((h) => ({ range: h.range, text: h.originalText })));
      return;
    }
    this.landRestore(undefined);
  }

  /**
   * Lands restoring edits (document ranges, read once nothing of the run is in
   * flight) as one undo step; `undefined` restores the whole region. The sync
   * stays attached until they land, even if the run ends meanwhile.
   */
  private landRestore(pieces: readonly { range: Region; text: string }[] | undefined): void {
    this.restorePending++;
    void this.sync
      .whenIdle(this.options.id)
      .then(() => {
        const region = this.currentRegion();
        const edits = pieces
          ? // Sequential edits, last first, so earlier offsets stay valid.
            [...pieces].sort((a, b) => b.range.start - a.range.start).map((p) => ({ start: p.range.start - region.start, end: p.range.end - region.start, text: p.text }))
          : [{ start: 0, end: region.end - region.start, text: this.original }];
        this.sync.resume(this.options.id);
        this.sync.startUndoStep(this.options.id);
        this.sync.enqueue(this.options.id, edits);
        return this.sync.finish(this.options.id);
      })
      .then(() => {
        this.restorePending--;
        if (this.ended && this.restorePending === 0) this.sync.detach(this.options.id);
      });
  }

  /**
   * Abandons a live redirect: once nothing of it is in flight, the region
   * goes back to its base (one edit, in the run's undo step), then the run is
   * reviewed as it stood when the redirect began.
   */
  private restoreBase(): void {
    const base = this.base;
    void this.sync.whenIdle(this.options.id).then(() => {
      if (this.ended) return;
      this.sync.resume(this.options.id);
      if (base !== undefined && base !== this.regionText()) {
        const region = this.currentRegion();
        this.sync.enqueue(this.options.id, [{ start: 0, end: region.end - region.start, text: base }]);
      }
      this.landThenReview();
    });
  }

  /**
   * Abandons a preview: undoes its one undo step, so the undo stack is as it
   * was before the box opened; where that cannot be done exactly, the
   * original comes back by an edit instead. The sync stays attached meanwhile.
   */
  private undoPreview(): void {
    this.restorePending++;
    void this.undoPreviewStep()
      .catch((error: unknown) => `could not undo the preview (${String(error)})`)
      .then((failure) => {
        this.restorePending--;
        if (failure !== undefined) {
          this.options.log?.(`[${this.options.id}] ${failure}: the original is restored by an edit instead`);
          this.landRestore(undefined);
        } else if (this.ended && this.restorePending === 0) {
          this.sync.detach(this.options.id);
        }
      });
  }

  /**
   * Once nothing of the preview is in flight: the Undo, only if the last
   * change of the document was ours (else the step on top is not the
   * preview's). If it did not bring back exactly the original (a keystroke
   * raced it), what it undid is redone. Resolves with why it failed, if it did.
   */
  private async undoPreviewStep(): Promise<string | undefined> {
    await this.sync.whenIdle(this.options.id);
    if (!this.sync.madeEdits(this.options.id)) return undefined;
    if (!this.sync.lastChangeWasOwn) return 'the document changed after the preview';
    const region = this.currentRegion();
    const text = this.document.getText();
    const expected = text.slice(0, region.start) + this.original + text.slice(region.end);
    const undid = await this.sync.undoStep();
    if (undid && this.document.getText() === expected) return undefined;
    if (undid) await this.sync.redoStep();
    return 'undoing the preview did not bring back the original';
  }

  private end(): void {
    this.ended = true;
    if (this.redirectTimer !== undefined) this.clock.clearTimeout(this.redirectTimer);
    this.handle?.cancel();
    this.handle = undefined;
    const snapshot = this.snapshot;
    // A pending restore still needs the sync; it detaches when it lands.
    if (this.restorePending === 0) this.sync.detach(this.options.id);
    this.view.ended(snapshot);
  }
}
