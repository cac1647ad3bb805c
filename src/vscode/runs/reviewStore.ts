import * as vscode from 'vscode';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { anchorOf, findAnchored, laterMomentThan } from '../../core/review/storedRegion';
import { DisposableStore, timeout, type Disposable } from '../../core/lifetime';
import { isLive, type EndReason } from '../../core/session/runState';
import type { Log } from '../platform/log';
import type { RunRegistry } from './runRegistry';

const KEY = 'sparkEdit.reviews';
const SAVE_INTERVAL_MS = 1_000;
/** Regions larger than this are not kept across a reload (workspace state is not a file store). */
const MAX_STORED_CHARS = 400_000;

/**
 * A run kept across a window reload. The run's region is found again by
 * what surrounds it: the text before it and after it (a run edits only its
 * region), so it comes back whatever moment of the stream the restored
 * buffer shows (VS Code's backup and this store are written at different times).
 */
const StoredRunSchema = z.object({
  uri: z.string(),
  start: z.number().int().nonnegative(),
  /** Characters after the region, to the end of the document. */
  suffixLength: z.number().int().nonnegative(),
  prefix: z.string(),
  suffix: z.string(),
  original: z.string(),
  /** The region's text when it was stored. */
  text: z.string(),
  /** A live run's output as the stream had shown it (see laterMomentThan): the editor's backup may be older. */
  shownOutput: z.string().optional(),
  instruction: z.string(),
  endReason: z.enum(['completed', 'interrupted', 'cancelled', 'failed', 'refused', 'unchanged']),
  message: z.string().optional(),
});
export type StoredRun = z.infer<typeof StoredRunSchema>;

/**
 * Keeps every run under review (and every live run, as partial) in workspace
 * state, so a window reload brings back Accept / Reject wherever the text
 * around the run is still what it was. Anything that no longer matches is
 * dropped with a log line.
 */
export class ReviewStore implements vscode.Disposable {
  private pending: StoredRun[] = [];
  private readonly owned = new DisposableStore();
  private lastSaved = '';
  private trailing: Disposable | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly registry: RunRegistry,
    private readonly log: Log,
    private readonly clock: Clock,
  ) {}

  /** Reads what the last window left, and restores runs in documents as they open. */
  async start(): Promise<void> {
    const parsed = z.array(StoredRunSchema).safeParse(this.memento.get<unknown>(KEY, []));
    this.pending = parsed.success ? parsed.data : [];
    if (!parsed.success) this.log.warn('ignoring stored reviews: they do not match the expected shape');
    this.owned.add(vscode.workspace.onDidOpenTextDocument((d) => void this.restoreFor(d)));
    this.owned.add(this.registry.onDidChangeRuns(() => this.saveSoon()));
    for (const d of vscode.workspace.textDocuments) await this.restoreFor(d);
  }

  private async restoreFor(document: vscode.TextDocument): Promise<void> {
    const uri = document.uri.toString();
    const mine = this.pending.filter((r) => r.uri === uri);
    if (mine.length === 0) return;
    this.pending = this.pending.filter((r) => r.uri !== uri);
    for (const stored of mine) {
      const back = await this.restore(document, stored);
      const name = vscode.workspace.asRelativePath(document.uri);
      this.log.info(back ? `restored a review of "${stored.instruction}" in ${name}` : `dropped a stored review of "${stored.instruction}": the text around it in ${name} has changed`);
    }
    await this.save();
  }

  private async restore(document: vscode.TextDocument, stored: StoredRun): Promise<boolean> {
    const region = findAnchored(document.getText(), stored);
    if (!region) return false;
    const { start, end } = region;
    const now = document.getText().slice(start, end);
    // The run had written nothing that survived: there is nothing to review.
    if (now === stored.original && stored.text === stored.original) return false;
    // The reload restored the buffer from a backup taken before the run's last stored moment (VS Code backs up a
    // document a second after it stops changing, and a stream does not stop): put back what the stream had shown.
    const lost =
      stored.shownOutput !== undefined ? laterMomentThan(now, stored.original, stored.shownOutput) : now === stored.original ? stored.text : undefined;
    if (lost !== undefined) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(document.uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), lost);
      if (!(await vscode.workspace.applyEdit(edit))) return false;
      this.log.info(`put back the output of "${stored.instruction}" that the reload had lost: the restored buffer held an earlier moment of its stream`);
    }
    const regionEnd = document.getText().length - stored.suffixLength;
    return this.registry.restore(document, { start, end: regionEnd }, stored.original, stored.instruction, { endReason: stored.endReason, message: stored.message });
  }

  /** What to keep: every run under review, and every live run as it stands (it will come back partial). */
  private toStore(): StoredRun[] {
    const stored: StoredRun[] = [];
    for (const document of vscode.workspace.textDocuments) {
      const runs = this.registry.runsFor(document);
      if (runs.length === 0) continue;
      const text = document.getText();
      for (const s of runs) {
        if (!s.region || (s.state.phase !== 'review' && !isLive(s.state.phase))) continue;
        const region = text.slice(s.region.start, s.region.end);
        const size = region.length + s.original.length;
        if (size > MAX_STORED_CHARS) continue;
        const live = isLive(s.state.phase);
        // What a live run's stream had shown is kept where it fits: without it, a restored buffer older than the store stays as it is.
        const shown = s.shownOutput;
        const shownOutput = shown !== undefined && size + shown.length <= MAX_STORED_CHARS ? shown : undefined;
        const outcome = s.state.phase === 'review' ? s.state.outcome : undefined;
        const endReason: EndReason = live ? 'interrupted' : (outcome?.endReason ?? 'completed');
        const message = live ? 'interrupted by a window reload; the text that arrived is kept, marked as partial' : outcome?.message;
        stored.push({
          uri: document.uri.toString(),
          ...anchorOf(text, s.region),
          original: s.original,
          text: region,
          ...(shownOutput !== undefined ? { shownOutput } : {}),
          instruction: s.state.instruction,
          endReason,
          ...(message !== undefined ? { message } : {}),
        });
      }
    }
    return stored;
  }

  /**
   * While runs stream they change every frame: write at most once a second (and always at shutdown), and
   * never at the moment of a change. Each write is a message to the workbench carrying the region and its
   * original, and a run's changes come when the workbench is busiest: its start (the instruction box
   * closing), its first edit, its end (the final text, the review's lenses and decorations).
   */
  private saveSoon(): void {
    if (this.trailing) return;
    this.trailing = this.owned.add(
      timeout(
        this.clock,
        () => {
          if (this.trailing) this.owned.forget(this.trailing);
          this.trailing = undefined;
          this.save().catch((error: unknown) => this.log.warn(`could not keep the reviews for the next window: ${String(error)}`));
        },
        SAVE_INTERVAL_MS,
      ),
    );
  }

  /** Writes the current reviews (and what is still waiting for its document to open). */
  async save(): Promise<void> {
    const value = [...this.toStore(), ...this.pending];
    const serialized = JSON.stringify(value);
    if (serialized === this.lastSaved) return;
    this.lastSaved = serialized;
    await this.memento.update(KEY, value);
  }

  dispose(): void {
    this.owned.dispose();
  }
}
