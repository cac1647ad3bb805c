import { diffLines } from 'diff';
import { rebaseRegionOverChanges, type DocumentChange, type Region } from '../edit/regionTracker';

/**
 * One changed hunk of a run under review: where the model's text stands in
 * the document now (tracked over every edit, like a region), and the
 * original text it replaced. Unchanged lines are never a hunk.
 */
export interface Hunk {
  readonly id: string;
  readonly range: Region;
  readonly originalText: string;
}

/** A hunk as computed, in region offsets: `[start, end)` of the model's text, and the original lines it replaced (from `originalStart`). */
export interface HunkSpec {
  readonly start: number;
  readonly end: number;
  readonly originalStart: number;
  readonly originalText: string;
}

/** A hunk's id: its run and where its original text starts, stable from the moment it is final in the stream to the end of review. */
export const hunkId = (runId: string, spec: HunkSpec): string => `${runId}.L${spec.originalStart}`;

/**
 * The most lines a hunk diff may add and remove before it gives up: jsdiff's
 * line diff costs lines x edit distance, so a rewrite that changes every
 * line of a large region (say, 4,000 lines uppercased) took over a second of
 * the extension host's one thread, at the moment its last edit was landing.
 */
export const MAX_HUNK_EDIT_LINES = 1_000;

/**
 * The changed hunks between a region's original text and its rewrite, by
 * lines (jsdiff's line diff): adjacent removed and added lines form one
 * hunk. Past `maxEditLines` changed lines, the lines between the common
 * first and last lines are one hunk.
 */
export function computeHunks(original: string, rewritten: string, maxEditLines = MAX_HUNK_EDIT_LINES): HunkSpec[] {
  const hunks: HunkSpec[] = [];
  let at = 0;
  let originalAt = 0;
  let open: { start: number; end: number; originalStart: number; originalText: string } | undefined;
  const close = (): void => {
    if (open) hunks.push(open);
    open = undefined;
  };
  const a = splitLines(original);
  const b = splitLines(rewritten);
  // jsdiff spends lines x maxEditLines before it gives up: when the lines the texts do not share already
  // number more, give up at once (a 1,800-line region rewritten whole cost 200 ms to learn it).
  const parts = minimumEditLines(a, b) > maxEditLines ? undefined : diffLines(original, rewritten, { maxEditLength: maxEditLines });
  for (const part of parts ?? oneChangedBlock(a, b)) {
    if (part.added) {
      open ??= { start: at, end: at, originalStart: originalAt, originalText: '' };
      open.end = at + part.value.length;
      at += part.value.length;
    } else if (part.removed) {
      open ??= { start: at, end: at, originalStart: originalAt, originalText: '' };
      open.originalText += part.value;
      originalAt += part.value.length;
    } else {
      close();
      at += part.value.length;
      originalAt += part.value.length;
    }
  }
  close();
  return hunks;
}

/**
 * A lower bound of the lines a line diff adds and removes: each line of
 * either text that the other cannot match (counting repeats) is one.
 */
function minimumEditLines(a: readonly string[], b: readonly string[]): number {
  const unmatched = new Map<string, number>();
  for (const line of a) unmatched.set(line, (unmatched.get(line) ?? 0) + 1);
  let shared = 0;
  for (const line of b) {
    const n = unmatched.get(line);
    if (n) {
      unmatched.set(line, n - 1);
      shared++;
    }
  }
  return a.length + b.length - 2 * shared;
}

/** A line diff's parts for two texts (as lines) taken as one changed block between their common first and last lines. */
function oneChangedBlock(a: readonly string[], b: readonly string[]): { value: string; added?: boolean; removed?: boolean }[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const parts = [
    { value: a.slice(0, head).join('') },
    { value: a.slice(head, a.length - tail).join(''), removed: true },
    { value: b.slice(head, b.length - tail).join(''), added: true },
    { value: a.slice(a.length - tail).join('') },
  ];
  return parts.filter((p) => p.value.length > 0);
}

/** Lines with their line breaks, as jsdiff's line diff reads them. */
const splitLines = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];

/**
 * The pending hunks of one run: each tracked over document changes with the
 * region rules (text inserted at a hunk's edge stays outside it), accepted
 * or rejected one at a time in any order.
 */
export class HunkSet {
  private hunks: Hunk[];

  constructor(specs: readonly HunkSpec[], regionStart: number, runId: string) {
    this.hunks = specs.map((h) => ({ id: hunkId(runId, h), range: { start: regionStart + h.start, end: regionStart + h.end }, originalText: h.originalText }));
  }

  get pending(): readonly Hunk[] {
    return this.hunks;
  }

  get isEmpty(): boolean {
    return this.hunks.length === 0;
  }

  find(id: string): Hunk | undefined {
    return this.hunks.find((h) => h.id === id);
  }

  /** The hunk at a document offset: the one containing it, else the first below it on the same or a later line. */
  at(offset: number): Hunk | undefined {
    return this.hunks.find((h) => h.range.start <= offset && offset <= h.range.end);
  }

  /** Every document change, the run's own included, in the order they happened. */
  rebase(changes: readonly DocumentChange[]): void {
    this.hunks = this.hunks.map((h) => ({ ...h, range: rebaseRegionOverChanges(h.range, changes) }));
  }

  /** Drops a decided hunk from the pending ones. */
  remove(id: string): Hunk | undefined {
    const hunk = this.find(id);
    this.hunks = this.hunks.filter((h) => h.id !== id);
    return hunk;
  }
}
