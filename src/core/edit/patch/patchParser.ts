/**
 * A streaming parser of the apply_patch envelope a Codex model writes:
 *
 *     *** Begin Patch
 *     *** Update File: src/cart.ts
 *     @@ optional header naming a line above the hunk
 *      context line
 *     -removed line
 *     +added line
 *     *** End Patch
 *
 * Text goes in as it streams, split anywhere (inside a marker, a header, a
 * line); events come out as soon as they are known. An added line streams
 * as it is written (`add` events with `done: false`, then one with `done:
 * true`); every other line is reported once it is complete.
 */
export type PatchEvent =
  | { readonly type: 'hunk'; readonly header: string | undefined }
  | { readonly type: 'context'; readonly text: string }
  | { readonly type: 'remove'; readonly text: string }
  | { readonly type: 'add'; readonly text: string; readonly done: boolean }
  | { readonly type: 'end' };

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

type Phase = 'preamble' | 'files' | 'hunk' | 'ended';

const BEGIN = '*** Begin Patch';
const END = '*** End Patch';

export class PatchStreamParser {
  private phase: Phase = 'preamble';
  private pending = '';
  /** Characters of the pending (incomplete) added line already reported. */
  private reported = 0;
  private lineNumber = 0;

  /** Whether `*** End Patch` has been read. */
  get ended(): boolean {
    return this.phase === 'ended';
  }

  /** Whether `*** Begin Patch` has been read. */
  get begun(): boolean {
    return this.phase !== 'preamble';
  }

  push(text: string): PatchEvent[] {
    const events: PatchEvent[] = [];
    this.pending += text;
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, newline).replace(/\r$/, '');
      const alreadyReported = this.reported;
      this.pending = this.pending.slice(newline + 1);
      this.reported = 0;
      this.line(line, alreadyReported, events);
    }
    // An added line streams as it is written; nothing else is reported before its end.
    if (this.phase === 'hunk' && this.pending.startsWith('+')) {
      const visible = this.pending.replace(/\r$/, '');
      if (visible.length - 1 > this.reported) {
        events.push({ type: 'add', text: visible.slice(1 + this.reported), done: false });
        this.reported = visible.length - 1;
      }
    }
    return events;
  }

  /** The stream is over: its last line, even without a newline, is read. */
  finish(): PatchEvent[] {
    const events: PatchEvent[] = [];
    if (this.pending.length > 0) {
      const line = this.pending.replace(/\r$/, '');
      const alreadyReported = this.reported;
      this.pending = '';
      this.reported = 0;
      this.line(line, alreadyReported, events);
    }
    if (this.phase === 'preamble') throw new PatchError('the answer is not a patch: it should begin with "*** Begin Patch"');
    return events;
  }

  private line(line: string, alreadyReported: number, events: PatchEvent[]): void {
    this.lineNumber++;
    const fail = (why: string): never => {
      throw new PatchError(`line ${this.lineNumber} of the patch ${why}: "${line.slice(0, 80)}"`);
    };
    switch (this.phase) {
      case 'preamble':
        if (line.trim() === BEGIN) this.phase = 'files';
        // A fence or a blank line before the envelope is harmless; anything else means the model did not write a patch.
        else if (line.trim() !== '' && !line.trim().startsWith('```')) fail('is not a patch: it should begin with "*** Begin Patch"');
        return;
      case 'files':
        if (line.startsWith('*** Update File:') || line.trim() === '') return;
        if (line.startsWith('@@')) return this.hunk(line, events);
        if (line.trim() === END) return this.end(events);
        if (line.startsWith('*** Add File:') || line.startsWith('*** Delete File:') || line.startsWith('*** Move to:')) fail('adds, deletes or moves a file (only the region can change)');
        return fail('is not a file header or a hunk');
      case 'hunk':
        if (line.startsWith('@@')) return this.hunk(line, events);
        if (line.trim() === END) return this.end(events);
        if (line.trim() === '*** End of File' || line.startsWith('*** Update File:')) return;
        if (line.startsWith('+')) {
          events.push({ type: 'add', text: line.slice(1 + alreadyReported), done: true });
          return;
        }
        if (line.startsWith('-')) {
          events.push({ type: 'remove', text: line.slice(1) });
          return;
        }
        // A blank context line often loses its leading space on the way.
        if (line.startsWith(' ') || line === '') {
          events.push({ type: 'context', text: line.slice(1) });
          return;
        }
        return fail('is not a context ( ), removed (-) or added (+) line');
      case 'ended':
        return;
    }
  }

  private hunk(line: string, events: PatchEvent[]): void {
    this.phase = 'hunk';
    // "@@ -12,4 +12,5 @@" (a unified diff's ranges) names no line; "@@ function total(" does.
    const header = line.slice(2).replace(/^\s*-\d+(?:,\d+)?\s+\+\d+(?:,\d+)?\s*@@/, '').replace(/@@\s*$/, '').trim();
    events.push({ type: 'hunk', header: header.length > 0 ? header : undefined });
  }

  private end(events: PatchEvent[]): void {
    this.phase = 'ended';
    events.push({ type: 'end' });
  }
}
