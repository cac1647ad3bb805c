import * as vscode from 'vscode';
import { z } from 'zod';
import type { Log } from './log';
import type { RunManager, StoredRun } from './runManager';

const KEY = 'sparkEdit.reviews';
const SAVE_INTERVAL_MS = 1_000;

const StoredRunSchema = z.object({
  uri: z.string(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  original: z.string(),
  text: z.string(),
  instruction: z.string(),
  endReason: z.enum(['completed', 'interrupted', 'cancelled', 'failed', 'refused']),
  message: z.string().optional(),
});

/**
 * Keeps every run under review (and every live run, as partial) in workspace
 * state, so a window reload brings back Accept / Reject where the document
 * still holds exactly the run's text. Anything that no longer matches is
 * dropped with a log line.
 */
export class ReviewStore implements vscode.Disposable {
  private pending: StoredRun[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastSaved = '';
  private lastSavedAt = 0;
  private trailing: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly runs: RunManager,
    private readonly log: Log,
  ) {}

  /** Reads what the last window left, and restores runs in documents as they open. */
  async start(): Promise<void> {
    const raw = this.memento.get<unknown>(KEY, []);
    const parsed = z.array(StoredRunSchema).safeParse(raw);
    this.pending = parsed.success ? parsed.data.map((r) => ({ ...r, message: r.message })) : [];
    if (!parsed.success) this.log.warn('ignoring stored reviews: they do not match the expected shape');
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => void this.restoreFor(d)),
      this.runs.onDidChangeRuns(() => this.saveSoon()),
    );
    for (const d of vscode.workspace.textDocuments) await this.restoreFor(d);
  }

  private async restoreFor(document: vscode.TextDocument): Promise<void> {
    const uri = document.uri.toString();
    const mine = this.pending.filter((r) => r.uri === uri);
    if (mine.length === 0) return;
    this.pending = this.pending.filter((r) => r.uri !== uri);
    for (const stored of mine) {
      const back = await this.runs.restore(document, stored);
      this.log.info(back ? `restored a review of "${stored.instruction}" in ${vscode.workspace.asRelativePath(document.uri)}` : `dropped a stored review of "${stored.instruction}": ${vscode.workspace.asRelativePath(document.uri)} no longer holds its text`);
    }
    await this.save();
  }

  /** While runs stream the runs change every frame: write at most once a second (and always at shutdown). */
  private saveSoon(): void {
    if (this.trailing) return;
    const wait = Math.max(0, this.lastSavedAt + SAVE_INTERVAL_MS - Date.now());
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      void this.save();
    }, wait);
  }

  /** Writes the current reviews (and what is still waiting for its document to open). */
  async save(): Promise<void> {
    this.lastSavedAt = Date.now();
    const value = [...this.runs.toStore(), ...this.pending];
    const serialized = JSON.stringify(value);
    if (serialized === this.lastSaved) return;
    this.lastSaved = serialized;
    await this.memento.update(KEY, value);
  }

  dispose(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
    for (const d of this.subscriptions) d.dispose();
  }
}
