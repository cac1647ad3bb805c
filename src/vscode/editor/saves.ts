import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, sleep } from '../../core/lifetime';
import type { RunController } from '../../core/session/runController';
import type { Log } from '../platform/log';
import type { RunRegistry } from '../runs/runRegistry';

/**
 * An automatic save waits at most this long for a run to land (VS Code
 * gives a will-save listener 1.5 s, and stops asking one that overruns
 * three times); then the text is saved as it stands and the run goes on.
 */
const AUTO_SAVE_WAIT_MS = 1_000;

/**
 * Saves while runs write: Ctrl+S waits for them (or stops them keeping whole
 * lines), an automatic save never cuts a run short, any other save (a menu,
 * Save All, the close prompt) saves the text as it stands and stops them.
 */
export class Saves implements vscode.Disposable {
  /** Documents being saved (between will-save and did-save): their turning clean is no revert. */
  private readonly saving = new Set<string>();
  private readonly owned = new DisposableStore();

  constructor(
    private readonly registry: RunRegistry,
    private readonly log: Log,
    private readonly clock: Clock,
  ) {}

  isSaving(document: vscode.TextDocument): boolean {
    return this.saving.has(document.uri.toString());
  }

  /**
   * Ctrl+S while a run streams: wait (at most `budgetMs`) for the document's
   * runs to land, else stop them keeping whole lines only; either way every
   * edit of the run lands before the save, in its one undo step, and no half
   * model line reaches the disk. Resolves with what happened.
   */
  async settleForSave(document: vscode.TextDocument, budgetMs: number): Promise<'landed' | 'stopped' | 'overdue'> {
    const live = this.registry.liveControllersFor(document);
    if (live.length === 0 || (await this.settledWithin(live, budgetMs))) return 'landed';
    for (const c of live) c.dispatch({ type: 'stopForSave' });
    if (await this.settledWithin(live, budgetMs)) return 'stopped';
    // Landing whole lines takes one round trip to the editor; a run still not settled is stuck, and the save must not wait on it.
    this.log.warn(`a run did not settle within ${budgetMs} ms of being stopped for a save; saving the text as it stands (${this.registry.describe().join(' | ')})`);
    return 'overdue';
  }

  onWillSave(event: vscode.TextDocumentWillSaveEvent): void {
    const { document } = event;
    this.saving.add(document.uri.toString());
    const live = this.registry.liveControllersFor(document);
    if (live.length === 0) return;
    const name = vscode.workspace.asRelativePath(document.uri);
    if (event.reason !== vscode.TextDocumentSaveReason.Manual) {
      // An automatic save: the run goes on; the save takes what has landed by the time it may wait no longer.
      this.log.info(`${name} is being saved automatically mid-stream: the run goes on (a later save takes the rest)`);
      event.waitUntil(this.settledWithin(live, AUTO_SAVE_WAIT_MS).then(() => undefined));
      return;
    }
    this.log.info(`${name} is being saved mid-stream: its runs stop, the text is saved as it stands`);
    for (const c of live) c.dispatch({ type: 'cancel' });
  }

  /** True once every run of `runs` has settled; false after `ms`, or at once when this is disposed. */
  private async settledWithin(runs: readonly RunController[], ms: number): Promise<boolean> {
    const wait = this.owned.add(new DisposableStore());
    try {
      return await Promise.race([Promise.all(runs.map((c) => c.whenSettled())).then(() => true), sleep(this.clock, ms, wait).then(() => false)]);
    } finally {
      this.owned.forget(wait);
      wait.dispose();
    }
  }

  onDidSave(document: vscode.TextDocument): void {
    this.saving.delete(document.uri.toString());
  }

  dispose(): void {
    this.owned.dispose();
  }
}
