import type * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import { err, ok, type Result } from '../../core/result';
import { initialLiveState, reduceLive, type LiveEffect, type LiveEvent, type LiveOptions, type LiveState } from '../../core/session/liveInstruction';
import type { Log } from '../platform/log';
import type { RunActions } from '../runs/runActions';
import type { RunRegistry } from '../runs/runRegistry';
import type { StartResult } from './commands';

/** What a box previews: a new run (the instruction box) or a run already there (the redirect box). */
export interface PreviewTarget {
  /** Starts the first preview for `instruction` (at once: the run exists before any connection): the previewing run's id, or why there is none. */
  begin(instruction: string): Result<string, string>;
  /** Enter with no preview: the ordinary start (or redirect), with its error handling. */
  ordinary(instruction: string): StartResult;
}

/**
 * One instruction box with live instruction on: carries out what the pure
 * live reducer decides. The first preview is a run started with `preview`
 * (or a live redirect of the run there); revisions are redirects of it (the
 * run reducer turns them into rewrites of what the preview started from),
 * Enter keeps it, Escape abandons it. Every step is taken at once: nothing
 * waits for a connection or the stream.
 */
export class LiveInstructionSession implements vscode.Disposable {
  private state: LiveState;
  private timer: Disposable | undefined;
  /** Settles when the armed pause has fired (its preview asked for) or was disarmed. */
  private pause: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  private runId: string | undefined;
  private readonly owned = new DisposableStore();
  /** What Enter came to. */
  private outcome: StartResult | undefined;

  constructor(
    private readonly registry: RunRegistry,
    private readonly actions: RunActions,
    private readonly target: PreviewTarget,
    options: LiveOptions,
    private readonly log: Log,
    private readonly clock: Clock,
    /** What the box opens with (a redirect's current instruction): previewing it would change nothing. */
    initial = '',
  ) {
    this.state = initialLiveState(options, initial);
    this.owned.add(
      registry.onDidChangeRuns((changes) => {
        const id = this.runId;
        if (id === undefined || this.state.closed || !changes.some((c) => c.runId === id && c.kind !== 'progress')) return;
        if (!actions.isPreview(id)) {
          this.log.info(`[${id}] the preview is no longer one (it ended, or the document was edited): Enter starts an ordinary run`);
          this.dispatch({ type: 'previewGone' });
        }
      }),
    );
  }

  /** The box's text changed; resolves once the pause this armed is over (at once when none was). */
  changed(text: string): Promise<void> {
    this.dispatch({ type: 'changed', text, at: this.clock.now() });
    return this.pause?.promise ?? Promise.resolve();
  }

  /** Enter: keeps the preview (revised to the final instruction), or starts an ordinary run. */
  accepted(text: string): StartResult | undefined {
    this.dispatch({ type: 'accepted', text });
    return this.outcome;
  }

  /** Escape, dismissal or focus loss: what the preview started from comes back. */
  dismissed(): void {
    this.dispatch({ type: 'dismissed' });
  }

  private dispatch(event: LiveEvent): void {
    const { state, effects } = reduceLive(this.state, event);
    this.state = state;
    for (const effect of effects) this.execute(effect);
  }

  private execute(effect: LiveEffect): void {
    switch (effect.type) {
      case 'armTimer':
        this.timer?.dispose();
        this.pause ??= withResolver();
        this.timer = this.owned.add(
          timeout(
            this.clock,
            () => {
              this.timer = undefined;
              this.dispatch({ type: 'paused' });
              this.endPause();
            },
            effect.ms,
          ),
        );
        return;
      case 'disarmTimer':
        this.timer?.dispose();
        this.timer = undefined;
        this.endPause();
        return;
      case 'preview':
        if (effect.first) this.startPreview(effect.instruction);
        else if (this.runId !== undefined && this.actions.isPreview(this.runId)) this.actions.redirectRun(this.runId, effect.instruction);
        return;
      case 'capReached':
        this.log.info(`live instruction: ${effect.requests} previews in this box, the most allowed (sparkEdit.liveInstructionMaxRequests); Enter sends the final instruction`);
        return;
      case 'keep':
        this.outcome = this.keep(effect.revise);
        return;
      case 'start':
        this.outcome = this.target.ordinary(effect.instruction);
        return;
      case 'abandon':
        if (this.runId !== undefined) this.actions.decidePreview(this.runId, 'abandon');
        return;
    }
  }

  private endPause(): void {
    const pause = this.pause;
    this.pause = undefined;
    pause?.resolve();
  }

  private startPreview(instruction: string): void {
    const begun = this.target.begin(instruction);
    if (!begun.ok) {
      this.log.info(`live instruction: no preview (${begun.error})`);
      this.dispatch({ type: 'previewGone' });
      return;
    }
    this.runId = begun.value;
  }

  private keep(revise: string | undefined): StartResult {
    const id = this.runId;
    // The preview ended between the last check and Enter: an ordinary run for the final instruction.
    if (id === undefined || !this.actions.isPreview(id)) return this.target.ordinary(this.state.text);
    // The revision goes out now (steered or sent), then the preview becomes the run.
    if (revise !== undefined) this.actions.redirectRun(id, revise);
    return this.actions.decidePreview(id, 'keep') ? ok([id]) : err({ reason: 'empty', message: 'the preview ended before Enter' });
  }

  dispose(): void {
    this.timer?.dispose();
    this.endPause();
    this.owned.dispose();
  }
}

function withResolver(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
