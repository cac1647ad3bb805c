import { describe, expect, it } from 'vitest';
import { DocumentSync, MAX_YIELD_MS, type RunDocumentListener } from '../../../src/core/edit/documentSync';
import { RoundTrips } from '../../../src/core/edit/roundTrips';
import type { ChangePlacement } from '../../../src/core/edit/regionTracker';
import { FakeClock, settle } from '../support/fakeClock';
import { MemoryDocument } from '../support/memoryDocument';

class Listener implements RunDocumentListener {
  readonly edits: ChangePlacement[] = [];
  closed = false;
  onUserEdit(p: ChangePlacement): void {
    this.edits.push(p);
  }
  onDocumentClosed(): void {
    this.closed = true;
  }
  readonly failures: string[] = [];
  onEditFailed(message: string): void {
    this.failures.push(message);
  }
}

function setup(text: string, interval = 16) {
  const doc = new MemoryDocument(text);
  const clock = new FakeClock();
  const sync = new DocumentSync(doc, clock, interval, doc.version);
  doc.onChange((v, c) => sync.onDocumentChange(v, c));
  return { doc, clock, sync };
}

describe('DocumentSync', () => {
  it('coalesces a frame of edits into one apply, with at most one in flight', async () => {
    const { doc, clock, sync } = setup('0123456789');
    const l = new Listener();
    sync.attach('r', { start: 2, end: 5 }, l);
    sync.enqueue('r', [{ start: 0, end: 0, text: 'x' }]);
    // The first edit of a burst waits a frame for the rest, rather than going out alone.
    await clock.advance(15);
    expect(doc.applyCalls).toBe(0);
    for (let i = 1; i < 50; i++) sync.enqueue('r', [{ start: i, end: i, text: 'x' }]);
    await clock.advance(1);
    expect(doc.applyCalls).toBe(1);
    for (let i = 0; i < 10; i++) sync.enqueue('r', [{ start: 50 + i, end: 50 + i, text: 'y' }]);
    await clock.advance(100);
    expect(doc.applyCalls).toBe(1); // still in flight: nothing else is sent
    doc.deliver();
    // What queued up during the round trip goes out as soon as it is over, with no frame of waiting.
    await clock.advance(0);
    expect(doc.applyCalls).toBe(2);
    doc.deliver();
    await settle();
    expect(doc.text).toBe('01' + 'x'.repeat(50) + 'y'.repeat(10) + '23456789');
    expect(sync.region('r')).toEqual({ start: 2, end: 65 });
    expect(l.edits).toEqual([]); // own edits are never mistaken for the user's
  });

  describe('yielding to typing in another document', () => {
    /** A sync whose user is typing elsewhere until `typingUntil` (clock time). */
    function typing() {
      const doc = new MemoryDocument('0123456789');
      const clock = new FakeClock();
      let typingUntil = -Infinity;
      const sync = new DocumentSync(doc, clock, 16, doc.version, new RoundTrips(), () => Math.max(0, typingUntil - clock.now()));
      doc.onChange((v, c) => sync.onDocumentChange(v, c));
      sync.attach('r', { start: 0, end: 10 }, new Listener());
      return { doc, clock, sync, typeFor: (ms: number) => (typingUntil = clock.now() + ms) };
    }

    it('holds the edits until the typing pauses, then sends them as one', async () => {
      const { doc, clock, sync, typeFor } = typing();
      typeFor(500);
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(300);
      typeFor(500); // another keystroke: the pause moves on
      sync.enqueue('r', [{ start: 1, end: 1, text: 'b' }]);
      await clock.advance(499);
      expect(doc.applyCalls).toBe(0);
      await clock.advance(1);
      expect(doc.applyCalls).toBe(1);
      doc.deliverAll();
      await settle();
      expect(doc.text).toBe('ab0123456789');
    });

    it('never holds an edit longer than MAX_YIELD_MS, nor a finishing run', async () => {
      const { doc, clock, sync, typeFor } = typing();
      typeFor(5_000); // typing on and on
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(16 + MAX_YIELD_MS - 1);
      expect(doc.applyCalls).toBe(0);
      await clock.advance(1);
      expect(doc.applyCalls).toBe(1);
      doc.deliverAll();
      await settle();
      sync.enqueue('r', [{ start: 1, end: 1, text: 'b' }]);
      await clock.advance(100);
      expect(doc.applyCalls).toBe(1);
      const finished = sync.finish('r'); // the stream's end goes out at once
      await clock.advance(0);
      expect(doc.applyCalls).toBe(2);
      doc.deliverAll();
      await finished;
      expect(doc.text).toBe('ab0123456789');
    });
  });

  it('never applies a batch to a version the user moved: stale batches are redone on the new version', async () => {
    const { doc, clock, sync } = setup('aaaa\nbbbb\n');
    const l = new Listener();
    sync.attach('r', { start: 5, end: 10 }, l);
    sync.enqueue('r', [{ start: 0, end: 4, text: 'BBBB' }]);
    await clock.advance(0);
    doc.userEdit(0, 0, 'typed '); // lands before our edit
    doc.deliver(); // our edit: refused, stale
    await clock.advance(16);
    expect(l.edits).toEqual(['before']);
    doc.deliver();
    await settle();
    expect(doc.text).toBe('typed aaaa\nBBBB\n');
  });

  it('discard drops pending edits at once and for good', async () => {
    const { doc, clock, sync } = setup('abc');
    sync.attach('r', { start: 0, end: 3 }, new Listener());
    sync.enqueue('r', [{ start: 0, end: 0, text: 'X' }]);
    sync.discard('r');
    sync.enqueue('r', [{ start: 0, end: 0, text: 'Y' }]);
    await clock.advance(50);
    doc.deliverAll();
    expect(doc.text).toBe('abc');
    expect(doc.applyCalls).toBe(0);
  });

  it('finish closes the undo group so one undo reverts the run', async () => {
    const { doc, clock, sync } = setup('hello\n');
    sync.attach('r', { start: 0, end: 6 }, new Listener());
    for (const ch of 'HELLO') {
      sync.enqueue('r', [{ start: 0, end: 0, text: ch }]);
      await clock.advance(16);
      doc.deliverAll();
    }
    const done = sync.finish('r');
    await clock.advance(0);
    doc.deliverAll();
    await done;
    expect(doc.text).toBe('OLLEHhello\n');
    doc.undo();
    expect(doc.text).toBe('hello\n');
  });

  it('an applied edit whose change event it cannot recognise does not wedge the document: after a second it counts as landed', async () => {
    const doc = new MemoryDocument('abc\n');
    const clock = new FakeClock();
    const sync = new DocumentSync(doc, clock, 16, doc.version);
    // The editor reports the first model edit in another shape than it was sent (one insertion split in two).
    let reshape = true;
    doc.onChange((v, changes) => {
      const c = changes[0]!;
      const shown = reshape && changes.length === 1 && c.text.length > 1 ? [{ ...c, text: c.text.slice(1) }, { offset: c.offset, length: 0, text: c.text[0]! }] : changes;
      reshape = false;
      sync.onDocumentChange(v, shown);
    });
    const l = new Listener();
    sync.attach('r', { start: 0, end: 4 }, l);
    sync.enqueue('r', [{ start: 0, end: 0, text: 'XY' }]);
    await clock.advance(16);
    doc.deliver();
    await settle();
    expect(l.edits).toHaveLength(1); // taken for the user's: the run hears of it
    expect(sync.describe()).toContain('in flight');
    await clock.advance(999);
    expect(sync.describe()).toContain('in flight');
    await clock.advance(1);
    expect(sync.describe()).toContain('nothing in flight');
    expect(sync.describe()).toContain('1 applied edit(s) never echoed');
    // The document takes edits again, and a finish resolves.
    sync.enqueue('r', [{ start: 0, end: 0, text: 'Z' }]);
    const done = sync.finish('r');
    await clock.advance(0);
    doc.deliverAll();
    await done;
    // The region moved as it does for a user's insertion at its start.
    expect(doc.text).toBe('XYZabc\n');
    expect(sync.hasTimer).toBe(false);
  });

  it('a run whose last flush closed its undo group with no edit in it still starts its next edit as a new undo step', async () => {
    const { doc, clock, sync } = setup('hello\n');
    sync.attach('r', { start: 0, end: 6 }, new Listener());
    sync.enqueue('r', [{ start: 0, end: 5, text: 'HELLO' }]);
    await clock.advance(16);
    doc.deliverAll();
    await settle();
    // Everything landed already: the close carries no edit, and the editor never hears of it.
    const done = sync.finish('r');
    await clock.advance(0);
    doc.deliverAll();
    await done;
    // A follow-up writes again.
    sync.resume('r');
    sync.enqueue('r', [{ start: 0, end: 5, text: 'OLLEH' }]);
    await clock.advance(16);
    doc.deliverAll();
    await settle();
    expect(doc.text).toBe('OLLEH\n');
    doc.undo();
    expect(doc.text).toBe('HELLO\n');
  });

  it('keeps two runs in one document apart and shifts the later region', async () => {
    const { doc, clock, sync } = setup('one\ntwo\n');
    sync.attach('a', { start: 0, end: 4 }, new Listener());
    sync.attach('b', { start: 4, end: 8 }, new Listener());
    expect(sync.attach('c', { start: 2, end: 6 }, new Listener())).toEqual({ ok: false, error: 'the range overlaps a, which is still editing it' });
    sync.enqueue('a', [{ start: 0, end: 3, text: 'ONE!!' }]);
    sync.enqueue('b', [{ start: 0, end: 3, text: 'TWO' }]);
    await clock.advance(16);
    doc.deliverAll();
    await settle();
    expect(doc.text).toBe('ONE!!\nTWO\n');
    expect(sync.region('a')).toEqual({ start: 0, end: 6 });
    expect(sync.region('b')).toEqual({ start: 6, end: 10 });
  });

  it('tells runs when the document closes and sends nothing after', async () => {
    const { doc, clock, sync } = setup('abc');
    const l = new Listener();
    sync.attach('r', { start: 0, end: 3 }, l);
    sync.enqueue('r', [{ start: 0, end: 0, text: 'X' }]);
    doc.close();
    await clock.advance(16);
    doc.deliverAll();
    await settle();
    expect(l.closed).toBe(true);
    expect(doc.text).toBe('abc');
  });

  describe('holding an edit for a stream about to end', () => {
    /**
     * A sync whose editor's round trips have been measured at `roundTripMs`, a run whose stream says when it
     * ends, and the user typing in another document until `typingUntil` (clock time).
     */
    function measured(roundTripMs: number | undefined, typingUntil = -Infinity) {
      const doc = new MemoryDocument('0123456789');
      const clock = new FakeClock();
      const roundTrips = new RoundTrips();
      if (roundTripMs !== undefined) roundTrips.record(roundTripMs);
      const sync = new DocumentSync(doc, clock, 16, doc.version, roundTrips, () => Math.max(0, typingUntil - clock.now()));
      doc.onChange((v, c) => sync.onDocumentChange(v, c));
      let endsInMs: number | undefined;
      sync.attach('r', { start: 0, end: 10 }, Object.assign(new Listener(), { streamEndsInMs: () => endsInMs }));
      /** The stream ends: everything still pending goes out at once, as one edit, and lands as `text`. */
      const finishAsOneEdit = async (text: string): Promise<void> => {
        const finished = sync.finish('r');
        await clock.advance(0);
        expect(doc.applyCalls).toBe(1);
        doc.deliverAll();
        await finished;
        expect(doc.text).toBe(text);
      };
      return { doc, clock, sync, roundTrips, setEndsIn: (ms: number | undefined) => (endsInMs = ms), finishAsOneEdit };
    }

    it('sends the whole stream as one edit when it ends within a round trip, at once when it ends', async () => {
      const { doc, clock, sync, setEndsIn, finishAsOneEdit } = measured(200);
      setEndsIn(80);
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(16);
      expect(doc.applyCalls).toBe(0); // due, but the rest arrives within a round trip
      expect(sync.unlandedFrom('r')).toBe(0);
      await clock.advance(40);
      sync.enqueue('r', [{ start: 1, end: 1, text: 'b' }]);
      expect(doc.applyCalls).toBe(0);
      await finishAsOneEdit('ab0123456789');
      expect(sync.unlandedFrom('r')).toBeUndefined();
    });

    it('holds while the stream could still end within the round trip, and no longer than that round trip after the edit was due', async () => {
      const { doc, clock, sync, setEndsIn } = measured(100);
      setEndsIn(30); // a wrong guess: the stream goes on
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(16 + 70);
      expect(doc.applyCalls).toBe(0);
      // 30 ms more would be past the round trip: holding on could no longer save it.
      await clock.advance(30);
      expect(doc.applyCalls).toBe(1);
      doc.deliverAll();
      await settle();
      expect(doc.text).toBe('a0123456789');
    });

    it('sends after one frame as before when the stream ends later than a round trip, or cannot say, or nothing was measured yet', async () => {
      for (const [roundTrip, endsIn] of [
        [100, 150],
        [100, undefined],
        [undefined, 10],
      ] as const) {
        const { doc, clock, sync, setEndsIn } = measured(roundTrip);
        setEndsIn(endsIn);
        sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
        await clock.advance(16);
        expect(doc.applyCalls, `round trip ${roundTrip}, ends in ${endsIn}`).toBe(1);
      }
    });

    it('after waiting for the user to pause typing elsewhere, still holds for a stream about to end', async () => {
      const { doc, clock, sync, setEndsIn, finishAsOneEdit } = measured(200, 5_000); // typing on and on, past MAX_YIELD_MS
      setEndsIn(2_000);
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(16 + MAX_YIELD_MS - 10);
      setEndsIn(80); // by the time the typing hold lets go, the stream is about to end
      await clock.advance(10 + 70);
      // Sent now, this edit would hold back the final text by a round trip (200 ms) to save 80.
      expect(doc.applyCalls).toBe(0);
      await finishAsOneEdit('a0123456789');
    });

    it('measures each edit round trip', async () => {
      const { doc, clock, sync, roundTrips } = measured(undefined);
      sync.enqueue('r', [{ start: 0, end: 0, text: 'a' }]);
      await clock.advance(16);
      await clock.advance(120);
      doc.deliverAll();
      await settle();
      expect(roundTrips.typicalMs).toBe(120);
    });
  });

  it('says where the text not yet in the buffer begins: in flight, then pending', async () => {
    const { doc, clock, sync } = setup('0123456789');
    sync.attach('r', { start: 2, end: 8 }, new Listener());
    expect(sync.unlandedFrom('r')).toBeUndefined();
    sync.enqueue('r', [{ start: 3, end: 4, text: 'X' }]);
    expect(sync.unlandedFrom('r')).toBe(3);
    await clock.advance(16);
    sync.enqueue('r', [{ start: 5, end: 5, text: 'Y' }]);
    expect(sync.unlandedFrom('r')).toBe(3); // in flight from 3, pending from 5
    doc.deliver();
    await settle();
    expect(sync.unlandedFrom('r')).toBe(5);
    await clock.advance(16);
    doc.deliverAll();
    await settle();
    expect(sync.unlandedFrom('r')).toBeUndefined();
    expect(doc.text).toBe('01234X6Y789');
  });
});
