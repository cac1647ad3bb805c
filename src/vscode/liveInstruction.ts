import * as vscode from 'vscode';
import { initialLiveState, reduceLive, type LiveEffect, type LiveEvent, type LiveOptions, type LiveState } from '../core/session/liveInstruction';
import { err, ok, type Result } from '../core/result';
import type { Log } from './log';
import type { RunManager, StartResult } from './runManager';

/** What a box previews: a new run (the instruction box) or a run already there (the redirect box). */
export interface PreviewTarget {
  /** Starts the first preview for `instruction`: the previewing run's id, or why there is none. */
  begin(instruction: string): Promise<Result<string, string>>;
  /** Enter with no preview: the ordinary start (or redirect), with its error handling. */
  ordinary(instruction: string): Promise<StartResult>;
}

/**
 * One instruction box with live instruction on: carries out what the pure
 * live reducer decides. The first preview is a run started with `preview`
 * (or a live redirect of the run there); revisions are redirects of it (the
 * run reducer turns them into rewrites of what the preview started from),
 * Enter keeps it, Escape abandons it.
 */
export class LiveInstructionSession implements vscode.Disposable {
  private state: LiveState;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles when the armed pause has fired (its preview asked for) or was disarmed. */
  private pause: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  private runId: string | undefined;
  /** The first preview's start, while the connection is made: later revisions wait for it. */
  private starting: Promise<void> = Promise.resolve();
  private readonly watch: vscode.Disposable;
  /** What Enter resolves to once its effect ran. */
  private outcome: Promise<StartResult | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly runs: RunManager,
    private readonly target: PreviewTarget,
    options: LiveOptions,
    private readonly log: Log,
    /** What the box opens with (a redirect's current instruction): previewing it would change nothing. */
    initial = '',
  ) {
    this.state = initialLiveState(options, initial);
    this.watch = runs.onDidChangeRuns(() => {
      if (this.runId !== undefined && !this.state.closed && !runs.isPreview(this.runId)) {
        this.log.info(`[${this.runId}] the preview is no longer one (it ended, or the document was edited): Enter starts an ordinary run`);
        this.dispatch({ type: 'previewGone' });
      }
    });
  }

  /** The box's text changed; resolves once the pause this armed is over (at once when none was). */
  changed(text: string): Promise<void> {
    this.dispatch({ type: 'changed', text, at: Date.now() });
    return this.pause?.promise ?? Promise.resolve();
  }

  /** Enter: keeps the preview (revised to the final instruction), or starts an ordinary run. */
  accepted(text: string): Promise<StartResult | undefined> {
    this.dispatch({ type: 'accepted', text });
    return this.outcome;
  }

  /** Escape, dismissal or focus loss: the original comes back. */
  async dismissed(): Promise<void> {
    this.dispatch({ type: 'dismissed' });
    await this.outcome;
  }

  private dispatch(event: LiveEvent): void {
    const { state, effects } = reduceLive(this.state, event);
    this.state = state;
    for (const effect of effects) this.execute(effect);
  }

  private execute(effect: LiveEffect): void {
    switch (effect.type) {
      case 'armTimer': {
        clearTimeout(this.timer);
        if (!this.pause) {
          let resolve = (): void => undefined;
          const promise = new Promise<void>((r) => (resolve = r));
          this.pause = { promise, resolve };
        }
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.dispatch({ type: 'paused' });
          this.endPause();
        }, effect.ms);
        return;
      }
      case 'disarmTimer':
        clearTimeout(this.timer);
        this.timer = undefined;
        this.endPause();
        return;
      case 'preview':
        if (effect.first) this.starting = this.startPreview(effect.instruction);
        else this.starting = this.starting.then(() => this.revise(effect.instruction));
        return;
      case 'capReached':
        this.log.info(`live instruction: ${effect.requests} previews in this box, the most allowed (sparkEdit.liveInstructionMaxRequests); Enter sends the final instruction`);
        return;
      case 'keep':
        this.outcome = this.starting.then(() => this.keep(effect.revise));
        return;
      case 'start':
        this.outcome = this.starting.then(() => this.target.ordinary(effect.instruction));
        return;
      case 'abandon':
        this.outcome = this.starting.then(() => {
          if (this.runId !== undefined) this.runs.decidePreview(this.runId, 'abandon');
          return undefined;
        });
        return;
    }
  }

  private endPause(): void {
    const pause = this.pause;
    this.pause = undefined;
    pause?.resolve();
  }

  private async startPreview(instruction: string): Promise<void> {
    const begun = await this.target.begin(instruction);
    if (!begun.ok) {
      this.log.info(`live instruction: no preview (${begun.error})`);
      this.dispatch({ type: 'previewGone' });
      return;
    }
    this.runId = begun.value;
  }

  private revise(instruction: string): void {
    if (this.runId !== undefined && this.runs.isPreview(this.runId)) this.runs.redirectRun(this.runId, instruction);
  }

  private async keep(revise: string | undefined): Promise<StartResult> {
    const id = this.runId;
    // The preview ended between the last check and Enter: an ordinary run for the final instruction.
    if (id === undefined || !this.runs.isPreview(id)) return this.target.ordinary(this.state.text);
    if (revise !== undefined) this.runs.redirectRun(id, revise);
    return this.runs.decidePreview(id, 'keep') ? ok([id]) : err({ reason: 'empty', message: 'the preview ended before Enter' });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.endPause();
    this.watch.dispose();
  }
}
