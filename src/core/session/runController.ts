import type { Clock } from '../clock';
import type { DocumentSync, RunDocumentListener } from '../edit/documentSync';
import { OutputNormalizer } from '../edit/outputFilters';
import type { ChangePlacement, Region } from '../edit/regionTracker';
import { StreamingDiff } from '../edit/streamingDiff';
import { buildContinuationRequest, buildEditRequest } from '../prompt/buildRequest';
import type { ResponseCreate } from '../protocol/clientEvents';
import type { ResponseHandle, ResponseListener } from '../transport/responseChannel';
import { initialRunState, markContinued, reduceRun, type Effect, type OnTypePolicy, type RunEvent, type RunState, type Transition } from './reducer';

/** What a run reads of its document. */
export interface RunDocument {
  readonly fileName: string;
  readonly languageId: string;
  readonly eol: '\n' | '\r\n';
  getText(): string;
}

/** Anything that can carry a request and stream its events back (the ResponseChannel). */
export interface RequestSender {
  request(body: ResponseCreate, listener: ResponseListener): ResponseHandle;
}

export interface RunSnapshot {
  readonly id: string;
  readonly state: RunState;
  readonly region: Region | undefined;
  readonly original: string;
  /** Region offset the model has written up to (for the live marker). */
  readonly frontier: number;
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
  readonly metadata?: Readonly<Record<string, string>>;
  readonly log?: (message: string) => void;
}

/**
 * Runs one edit: feeds events to the pure reducer and carries out the effects
 * it returns, through ports only. Holds the per-request streaming state (diff,
 * output normalizer) that the reducer leaves to the edge.
 */
export class RunController implements RunDocumentListener {
  private state: RunState;
  private readonly original: string;
  private diff: StreamingDiff | undefined;
  private normalizer: OutputNormalizer | undefined;
  private previewBuffer = '';
  private handle: ResponseHandle | undefined;
  /** Events of a superseded request carry an older token and are ignored. */
  private requestToken = 0;
  private redirectTimer: unknown;
  private lastCompletedResponseId: string | undefined;
  private ended = false;
  private restorePending = false;

  constructor(
    private readonly options: RunOptions,
    private readonly document: RunDocument,
    private readonly sync: DocumentSync,
    private readonly sender: RequestSender,
    private readonly view: RunView,
    private readonly clock: Clock,
  ) {
    this.original = document.getText().slice(options.region.start, options.region.end);
    const init = initialRunState(options.instruction, options.onType, options.redirectPauseMs);
    this.state = init.state;
    sync.attach(options.id, options.region, this);
    this.run(init);
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
      tokensPerSecond: streamedMs > 0 ? ((s.deltas - 1) * 1000) / streamedMs : undefined,
      timeToFirstTokenMs: s.sentAt !== undefined && s.firstDeltaAt !== undefined ? s.firstDeltaAt - s.sentAt : undefined,
    };
  }

  dispatch(event: RunEvent): void {
    if (this.ended) return;
    this.run(reduceRun(this.state, event));
  }

  // RunDocumentListener
  onUserEdit(placement: ChangePlacement): void {
    this.dispatch({ type: 'userEdit', placement });
  }

  onDocumentClosed(): void {
    this.dispatch({ type: 'documentClosed' });
  }

  private run(transition: Transition): void {
    this.state = transition.state;
    for (const effect of transition.effects) this.execute(effect);
    if (this.ended) return;
    if (this.state.phase === 'done' || this.state.phase === 'error') {
      this.end();
      return;
    }
    this.view.update();
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'sendRequest':
        this.send(effect.mode);
        return;
      case 'appendOutput':
        this.append(effect.text);
        return;
      case 'finishOutput':
        this.finishOutput();
        return;
      case 'flushPartialOutput':
        this.landThenReview();
        return;
      case 'discardPending':
        this.sync.discard(this.options.id);
        return;
      case 'cancelResponse':
        this.requestToken++;
        this.lastCompletedResponseId = undefined;
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
      case 'clearMarks':
        this.view.clear(this.snapshot);
        return;
      case 'report':
        this.options.log?.(`[${this.options.id}] ${effect.message}`);
        this.view.report(effect.level, effect.message, this.snapshot);
        return;
    }
  }

  /** The run's region as it is now (rebased over every edit since the start). */
  private currentRegion(): Region {
    return this.sync.region(this.options.id) ?? this.options.region;
  }

  /** Lands what is pending (closing the undo group), then the run is ready for review. */
  private landThenReview(): void {
    // DocumentSync.finish never rejects: it resolves once nothing of the run is pending.
    void this.sync.finish(this.options.id).then(() => this.dispatch({ type: 'outputApplied' }));
  }

  private send(mode: 'initial' | 'redirect' | 'fullContextRetry'): void {
    // Claim the request slot now, so events of the old request are ignored
    // while we wait for its last edit to settle.
    const token = ++this.requestToken;
    void this.sync.settled(this.options.id).then(() => {
      if (token === this.requestToken && !this.ended) this.sendNow(mode, token);
    });
  }

  private sendNow(mode: 'initial' | 'redirect' | 'fullContextRetry', token: number): void {
    const text = this.document.getText();
    const region = this.currentRegion();
    const regionText = text.slice(region.start, region.end);
    const promptOptions = { model: this.options.model, contextTokens: this.options.contextTokens, metadata: this.options.metadata };
    const previous = mode === 'redirect' ? this.lastCompletedResponseId : undefined;
    const prompt =
      previous !== undefined
        ? buildContinuationRequest(regionText, this.state.instruction, this.state.history, previous, promptOptions)
        : buildEditRequest(
            { fileName: this.document.fileName, languageId: this.document.languageId, before: text.slice(0, region.start), region: regionText, after: text.slice(region.end) },
            this.state.instruction,
            this.state.history,
            promptOptions,
          );
    this.state = markContinued(this.state, previous !== undefined);
    this.diff = new StreamingDiff(regionText);
    this.normalizer = new OutputNormalizer(this.document.eol, /\r?\n$/.test(regionText));
    this.previewBuffer = '';
    this.sync.resume(this.options.id);
    const listener: ResponseListener = {
      onSent: (at) => {
        if (token === this.requestToken) this.dispatch({ type: 'sent', at });
      },
      onEvent: (event) => {
        if (token !== this.requestToken) return;
        if (event.type === 'response.completed') this.lastCompletedResponseId = event.response.id;
        this.dispatch({ type: 'server', event, at: this.clock.now() });
      },
      onFailure: (failure) => {
        if (token === this.requestToken) this.dispatch({ type: 'transportFailed', failure });
      },
    };
    this.options.log?.(`[${this.options.id}] ${mode} request, ~${prompt.estimatedTokens} tokens${prompt.trimmedChars ? `, ${prompt.trimmedChars} chars of far context trimmed` : ''}`);
    this.handle = this.sender.request(prompt.request, listener);
  }

  private append(raw: string): void {
    if (!this.diff || !this.normalizer) return;
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
    this.previewBuffer = '';
    const edits = [...diff.push(rest), ...diff.finish()];
    if (edits.length > 0) this.sync.enqueue(this.options.id, edits);
    this.landThenReview();
  }

  private restoreOriginal(): void {
    this.restorePending = true;
    void this.sync.settled(this.options.id).then(() => {
      const region = this.currentRegion();
      this.sync.resume(this.options.id);
      this.sync.enqueue(this.options.id, [{ start: 0, end: region.end - region.start, text: this.original }]);
      return this.sync.finish(this.options.id).then(() => this.sync.detach(this.options.id));
    });
  }

  /** Resolves once no edit of this run is in flight (cancel waits for this). */
  settled(): Promise<void> {
    return this.sync.settled(this.options.id);
  }

  private end(): void {
    this.ended = true;
    if (this.redirectTimer !== undefined) this.clock.clearTimeout(this.redirectTimer);
    this.handle?.cancel();
    this.handle = undefined;
    const snapshot = this.snapshot;
    // A pending restore still needs the sync; it detaches when it lands.
    if (!this.restorePending) this.sync.detach(this.options.id);
    this.view.ended(snapshot);
  }
}
