import type { ApplyOutcome, DocumentPort } from '../../../src/core/edit/documentSync';
import type { DocumentChange } from '../../../src/core/edit/regionTracker';
import type { TextEdit } from '../../../src/core/edit/textEdit';
import type { RunDocument } from '../../../src/core/session/runController';

interface PendingApply {
  readonly edits: readonly TextEdit[];
  readonly expectedVersion: number;
  readonly stops: { before: boolean; after: boolean };
  readonly resolve: (outcome: ApplyOutcome) => void;
}

type UndoGroup = { inverse: DocumentChange[]; open: boolean };

/**
 * An in-memory document that behaves like VS Code's where it matters: a
 * version per change, edits refused when the version moved, change events
 * with pre-change offsets, undo groups bounded by undo stops. Edit round trips
 * complete only when the test delivers them, so tests choose interleavings.
 */
export class MemoryDocument implements DocumentPort, RunDocument {
  version = 1;
  closed = false;
  readonly fileName = 'sample.ts';
  readonly languageId = 'typescript';
  readonly pending: PendingApply[] = [];
  /** Model edits that landed, with the version they produced. */
  readonly modelEditVersions: number[] = [];
  readonly userEditVersions: number[] = [];
  /** Every change the user made (typing, paste, undo), exactly as applied, in order. */
  readonly userChanges: DocumentChange[][] = [];

  applyCalls = 0;
  private readonly undoStack: UndoGroup[] = [];
  private readonly redoStack: UndoGroup[] = [];
  private readonly listeners: ((version: number, changes: readonly DocumentChange[]) => void)[] = [];

  constructor(
    public text: string,
    public readonly eol: '\n' | '\r\n' = '\n',
    /** Deliver each apply on the next microtask instead of waiting for deliver(). */
    public autoDeliver = false,
  ) {}

  getText(): string {
    return this.text;
  }

  onChange(listener: (version: number, changes: readonly DocumentChange[]) => void): void {
    this.listeners.push(listener);
  }

  apply(edits: readonly TextEdit[], expectedVersion: number, stops: { before: boolean; after: boolean }): Promise<ApplyOutcome> {
    this.applyCalls++;
    return new Promise<ApplyOutcome>((resolve) => {
      if (this.closed) {
        resolve('closed');
        return;
      }
      this.pending.push({ edits, expectedVersion, stops, resolve });
      if (this.autoDeliver) queueMicrotask(() => this.deliver());
    });
  }

  /** Completes the oldest pending apply as the editor would. */
  deliver(): boolean {
    const next = this.pending.shift();
    if (!next) return false;
    if (this.closed) {
      next.resolve('closed');
      return true;
    }
    if (next.expectedVersion !== this.version) {
      next.resolve('stale');
      return true;
    }
    if (next.edits.length === 0) {
      // As VS Code's extension host does: an edit call with nothing in it is not sent, so its undo stops go nowhere.
      next.resolve('applied');
      return true;
    }
    if (next.stops.before || this.undoStack.length === 0 || !this.undoStack[this.undoStack.length - 1]!.open) {
      this.undoStack.push({ inverse: [], open: true });
    }
    const changes = next.edits.map((e) => ({ offset: e.start, length: e.end - e.start, text: e.text }));
    if (changes.length > 0) {
      this.redoStack.length = 0;
      this.change(changes, this.undoStack[this.undoStack.length - 1]);
      this.modelEditVersions.push(this.version);
    }
    if (next.stops.after) this.undoStack[this.undoStack.length - 1]!.open = false;
    next.resolve('applied');
    return true;
  }

  deliverAll(): void {
    while (this.deliver());
  }

  /** A user edit: its own undo group, like typing after a programmatic edit. */
  userEdit(offset: number, length: number, text: string): void {
    const group: UndoGroup = { inverse: [], open: false };
    this.undoStack.push(group);
    this.redoStack.length = 0;
    this.userChanges.push([{ offset, length, text }]);
    this.change([{ offset, length, text }], group);
    this.userEditVersions.push(this.version);
  }

  /** Reverts the last undo group; reports it as a change, like the editor's undo. */
  undo(): boolean {
    const group = this.undoStack.pop();
    if (group) this.redoStack.push(this.revert(group));
    return group !== undefined;
  }

  /** Re-applies the last undone group. */
  redo(): boolean {
    const group = this.redoStack.pop();
    if (group) this.undoStack.push(this.revert(group));
    return group !== undefined;
  }

  /** Applies a group's inverses, newest first (they were recorded against successive texts); returns what reverts that. */
  private revert(group: UndoGroup): UndoGroup {
    const reverse: UndoGroup = { inverse: [], open: false };
    for (let i = group.inverse.length - 1; i >= 0; i--) {
      this.userChanges.push([group.inverse[i]!]);
      this.change([group.inverse[i]!], reverse);
      this.userEditVersions.push(this.version);
    }
    return reverse;
  }

  undoStep(): Promise<boolean> {
    return Promise.resolve(this.undo());
  }

  redoStep(): Promise<boolean> {
    return Promise.resolve(this.redo());
  }

  get undoDepth(): number {
    return this.undoStack.length;
  }

  close(): void {
    this.closed = true;
  }

  private change(changes: readonly DocumentChange[], group: UndoGroup | undefined): void {
    // Changes are against the pre-event text and disjoint: apply from the end.
    const sorted = [...changes].sort((a, b) => b.offset - a.offset);
    for (const c of sorted) {
      if (c.offset < 0 || c.offset + c.length > this.text.length) throw new RangeError(`change outside document: ${JSON.stringify(c)} in ${this.text.length}`);
      const removed = this.text.slice(c.offset, c.offset + c.length);
      this.text = this.text.slice(0, c.offset) + c.text + this.text.slice(c.offset + c.length);
      group?.inverse.push({ offset: c.offset, length: c.text.length, text: removed });
    }
    this.version++;
    for (const listener of this.listeners) listener(this.version, changes);
  }
}
