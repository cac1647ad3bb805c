import * as vscode from 'vscode';
import { DisposableStore } from '../../core/lifetime';
import { computeHunks } from '../../core/review/hunks';
import type { RunSnapshot } from '../../core/session/runController';
import { isLive, pendingHunksOf } from '../../core/session/runState';
import { editorTraffic } from '../platform/editorTraffic';
import type { RunRegistry } from '../runs/runRegistry';

/**
 * Marks what a run changed. While streaming: the region tinted up to where the
 * model has written, and a caret at that point. In review: inserted lines
 * tinted, removed lines summarised as ghost text (hover for the full text).
 */
export class Decorations implements vscode.Disposable {
  private readonly streaming = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly frontier = vscode.window.createTextEditorDecorationType({
    after: { contentText: '▍', color: new vscode.ThemeColor('editorCursor.foreground') },
  });
  private readonly inserted = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  // Removed text as ghost text at the end of the line where it stood, so the new code keeps its place.
  private readonly removed = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('editorGhostText.foreground'),
      textDecoration: 'line-through; opacity: 0.8',
      margin: '0 0 0 3em',
    },
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  // A preview reads as tentative: italic, until Enter keeps it.
  private readonly preview = vscode.window.createTextEditorDecorationType({ fontStyle: 'italic', isWholeLine: true });
  /** Review diffs are computed once per run, keyed by document version. */
  private readonly reviewCache = new Map<string, { key: string; inserted: vscode.Range[]; removed: vscode.DecorationOptions[] }>();
  private readonly owned = new DisposableStore();
  /**
   * What each editor shows of each type, as a key: a type is set again only
   * when it changed. Every set is a message to the renderer and a pass over
   * its decorations, and most types do not change on most updates (VS Code
   * moves what is shown along with the text by itself).
   */
  private readonly shown = new WeakMap<vscode.TextEditor, Map<vscode.TextEditorDecorationType, string>>();
  /** The document version each editor was last redrawn at. */
  private readonly renderedVersion = new WeakMap<vscode.TextEditor, number>();

  constructor(private readonly runs: RunRegistry) {
    for (const type of [this.streaming, this.frontier, this.inserted, this.removed, this.preview]) this.owned.add(type);
    this.owned.add(runs.onDidChangeRuns((changes) => this.render(new Set(changes.map((c) => c.uri)), changes.every((c) => c.kind === 'progress'))));
    this.owned.add(vscode.window.onDidChangeVisibleTextEditors(() => this.render()));
  }

  /**
   * Redraws the visible editors of `uris` (all visible editors when not
   * given). On `progressOnly` changes, only editors whose text moved since
   * their last redraw: the stream's output reaches the screen through the
   * edits that land, and marking a frontier that has not landed yet would
   * only send the renderer work while it has the model's text to paint.
   */
  private render(uris?: ReadonlySet<string>, progressOnly = false): void {
    const live = new Set(this.runs.snapshots().map((r) => r.id));
    for (const id of this.reviewCache.keys()) if (!live.has(id)) this.reviewCache.delete(id);
    for (const editor of vscode.window.visibleTextEditors) {
      if (uris && !uris.has(editor.document.uri.toString())) continue;
      if (progressOnly && this.renderedVersion.get(editor) === editor.document.version) continue;
      this.renderedVersion.set(editor, editor.document.version);
      const runs = this.runs.runsFor(editor.document);
      const streaming: vscode.Range[] = [];
      const frontier: vscode.Range[] = [];
      const inserted: vscode.Range[] = [];
      const removed: vscode.DecorationOptions[] = [];
      const preview: vscode.Range[] = [];
      for (const run of runs) {
        const region = run.region;
        if (!region) continue;
        const doc = editor.document;
        if (run.state.preview) preview.push(new vscode.Range(doc.positionAt(region.start), doc.positionAt(Math.max(region.start, region.end - 1))));
        if (run.state.phase === 'review') {
          const review = this.review(doc, run);
          inserted.push(...review.inserted);
          removed.push(...review.removed);
        } else if (isLive(run.state.phase)) {
          const end = Math.min(region.end, region.start + run.frontier);
          if (end > region.start) streaming.push(new vscode.Range(doc.positionAt(region.start), doc.positionAt(Math.max(region.start, end - 1))));
          const at = doc.positionAt(end);
          frontier.push(new vscode.Range(at, at));
        }
      }
      this.set(editor, this.streaming, streaming);
      this.set(editor, this.frontier, frontier);
      this.set(editor, this.inserted, inserted);
      this.set(editor, this.removed, removed);
      this.set(editor, this.preview, preview);
    }
  }

  private set(editor: vscode.TextEditor, type: vscode.TextEditorDecorationType, shown: readonly vscode.Range[] | readonly vscode.DecorationOptions[]): void {
    let byType = this.shown.get(editor);
    if (!byType) this.shown.set(editor, (byType = new Map<vscode.TextEditorDecorationType, string>()));
    const key = (shown as readonly (vscode.Range | vscode.DecorationOptions)[]).map(keyOf).join(';');
    // A type never set on this editor shows nothing: setting it empty would be a message for nothing.
    if ((byType.get(type) ?? '') === key) return;
    byType.set(type, key);
    editorTraffic.count('decorationSets');
    editor.setDecorations(type, shown);
  }

  private review(doc: vscode.TextDocument, run: RunSnapshot): { inserted: vscode.Range[]; removed: vscode.DecorationOptions[] } {
    const pending = pendingHunksOf(run.state);
    const key = `${doc.version}:${pending.join('+')}`;
    const cached = this.reviewCache.get(run.id);
    if (cached && cached.key === key) return cached;
    // With hunks, only the pending ones are marked (accepted hunks are plain text now); a run
    // stopped mid-stream has none, and is marked by a line diff of its region (bounded by its size).
    const hunks =
      pending.length > 0
        ? run.hunks.map((h) => ({ start: h.range.start, end: h.range.end, removed: h.originalText }))
        : diffHunks(run.original, doc.getText().slice(run.region!.start, run.region!.end), run.region!.start);
    const inserted: vscode.Range[] = [];
    const removed: vscode.DecorationOptions[] = [];
    for (const h of hunks) {
      if (h.end > h.start) inserted.push(new vscode.Range(doc.positionAt(h.start), doc.positionAt(Math.max(h.start, h.end - 1))));
      if (h.removed.length === 0) continue;
      const lines = h.removed.replace(/\r?\n$/, '').split(/\r?\n/);
      // Removed text as ghost text at the end of the hunk's first line (or the line above a pure deletion).
      const line = h.end > h.start ? doc.positionAt(h.start).line : Math.max(0, doc.positionAt(h.start).line - 1);
      const at = doc.lineAt(line).range.end;
      const summary = lines.length === 1 ? lines[0]!.trim() : `${lines[0]!.trim()}  (+${lines.length - 1} more removed)`;
      const hover = new vscode.MarkdownString();
      hover.appendMarkdown('**Removed by Spark Edit**\n');
      hover.appendCodeblock(h.removed, doc.languageId);
      removed.push({ range: new vscode.Range(at, at), hoverMessage: hover, renderOptions: { after: { contentText: `− ${summary.slice(0, 120)}` } } });
    }
    const entry = { key, inserted, removed };
    this.reviewCache.set(run.id, entry);
    return entry;
  }

  dispose(): void {
    this.owned.dispose();
  }
}

/** A decoration as a key: where it is, and the text it shows. */
function keyOf(d: vscode.Range | vscode.DecorationOptions): string {
  const range = d instanceof vscode.Range ? d : d.range;
  const text = d instanceof vscode.Range ? '' : (d.renderOptions?.after?.contentText ?? '');
  return `${range.start.line},${range.start.character},${range.end.line},${range.end.character},${text}`;
}

/** The changed hunks of a region that has none tracked (a run stopped mid-stream), in document offsets. */
function diffHunks(original: string, current: string, regionStart: number): { start: number; end: number; removed: string }[] {
  return computeHunks(original, current).map((h) => ({ start: regionStart + h.start, end: regionStart + h.end, removed: h.originalText }));
}
