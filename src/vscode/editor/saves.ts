import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, sleep } from '../../core/lifetime';
import { isLive } from '../../core/session/runState';
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
  async settleForSave(document: vscode.TextDocument, budgetMs: number): Promise<'landed' | 'stopped'> {
    const live = this.registry.controllersFor(document).filter((c) => isLive(c.phase));
    if (live.length === 0) return 'landed';
    const budget = new DisposableStore();
    this.owned.add(budget);
    try {
      const landed = await Promise.race([Promise.all(live.map((c) => c.whenSettled())).then(() => true), sleep(this.clock, budgetMs, budget).then(() => false)]);
      if (landed) return 'landed';
    } finally {
      this.owned.forget(budget);
      budget.dispose();
    }
    for (const c of live) c.dispatch({ type: 'stopForSave' });
    await Promise.all(live.map((c) => c.whenSettled()));
    return 'stopped';
  }

  onWillSave(event: vscode.TextDocumentWillSaveEvent): void {
    const { document } = event;
    this.saving.add(document.uri.toString());
    const live = this.registry.controllersFor(document).filter((c) => isLive(c.phase));
    if (live.length === 0) return;
    const name = vscode.workspace.asRelativePath(document.uri);
    if (event.reason !== vscode.TextDocumentSaveReason.Manual) {
      // An automatic save: the run goes on; the save takes what has landed by the time it may wait no longer.
      this.log.info(`${name} is being saved automatically mid-stream: the run goes on (a later save takes the rest)`);
      const wait = new DisposableStore();
      this.owned.add(wait);
      event.waitUntil(
        Promise.race([Promise.all(live.map((c) => c.whenSettled())), sleep(this.clock, AUTO_SAVE_WAIT_MS, wait)]).finally(() => {
          this.owned.forget(wait);
          wait.dispose();
        }),
      );
      return;
    }
    this.log.info(`${name} is being saved mid-stream: its runs stop, the text is saved as it stands`);
    for (const c of live) c.dispatch({ type: 'cancel' });
  }

  onDidSave(document: vscode.TextDocument): void {
    this.saving.delete(document.uri.toString());
  }

  dispose(): void {
    this.owned.dispose();
  }
}
