import { describe, expect, it } from 'vitest';
import { initialLiveState, reduceLive, type LiveEffect, type LiveEvent, type LiveState } from '../../../src/core/session/liveInstruction';

const options = { pauseMs: 300, maxWaitMs: 0, minChars: 4, maxRequests: 3 };

/** Feeds events in order; returns the final state and every effect, in order. */
function feed(events: readonly LiveEvent[], state: LiveState = initialLiveState(options)): { state: LiveState; effects: LiveEffect[] } {
  const effects: LiveEffect[] = [];
  for (const e of events) {
    const t = reduceLive(state, e);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}

const previews = (effects: readonly LiveEffect[]) => effects.filter((e) => e.type === 'preview');

/** Each text typed, then a pause. */
const typedWithPauses = (...texts: string[]): LiveEvent[] => texts.flatMap((text): LiveEvent[] => [{ type: 'changed', text, at: 0 }, { type: 'paused' }]);

describe('live instruction reducer', () => {
  it('each keystroke re-arms the pause; the pause asks for the first preview, then revisions', () => {
    const { effects } = feed([
      { type: 'changed', text: 'upper', at: 0 },
      { type: 'changed', text: 'uppercase', at: 0 },
      { type: 'paused' },
      { type: 'changed', text: 'uppercase it all', at: 0 },
      { type: 'paused' },
    ]);
    expect(effects).toEqual([
      { type: 'armTimer', ms: 300 },
      { type: 'armTimer', ms: 300 },
      { type: 'preview', instruction: 'uppercase', first: true },
      { type: 'armTimer', ms: 300 },
      { type: 'preview', instruction: 'uppercase it all', first: false },
    ]);
  });

  it('a steady typist who never pauses gets a preview every maxWaitMs, counted from the first change not yet previewed', () => {
    // 5 characters a second: 200 ms between keys, never the 300 ms pause.
    const steady = { ...options, maxWaitMs: 600, maxRequests: 8 };
    const typed = 'uppercase all of it';
    let state = initialLiveState(steady);
    const asked: { at: number; instruction: string }[] = [];
    let timer: { due: number } | undefined;
    for (let i = 1; i <= typed.length; i++) {
      const at = i * 200;
      // The armed timer fires if it is due before this keystroke.
      if (timer && timer.due <= at) {
        const t = reduceLive(state, { type: 'paused' });
        state = t.state;
        for (const e of t.effects) if (e.type === 'preview') asked.push({ at: timer.due, instruction: e.instruction });
        timer = undefined;
      }
      const t = reduceLive(state, { type: 'changed', text: typed.slice(0, i), at });
      state = t.state;
      for (const e of t.effects) {
        if (e.type === 'armTimer') timer = { due: at + e.ms };
        if (e.type === 'disarmTimer') timer = undefined;
      }
    }
    // The 4th character (at 800 ms) starts the clock; each preview carries what was typed 600 ms
    // after the first keystroke it had not carried yet, while the user is still typing. A change that
    // trims to the instruction already previewed (a trailing space) waits for nothing.
    expect(asked).toEqual([
      { at: 1400, instruction: 'upperc' },
      { at: 2000, instruction: 'uppercase' },
      { at: 2800, instruction: 'uppercase all' },
      { at: 3600, instruction: 'uppercase all of' },
    ]);
    // After the last keystroke, the ordinary pause: 300 ms, within the 600 ms clock started at 3,600.
    expect(timer).toEqual({ due: 4100 });
  });

  it('a box that opens with an instruction (a redirect) previews nothing until it reads differently', () => {
    const { effects } = feed(typedWithPauses('uppercase', 'lowercase', 'uppercase'), initialLiveState(options, 'uppercase'));
    // Back to the run's own instruction after a preview: that is a revision like any other.
    expect(previews(effects)).toEqual([
      { type: 'preview', instruction: 'lowercase', first: true },
      { type: 'preview', instruction: 'uppercase', first: false },
    ]);
  });

  it('too short, unchanged or whitespace-only changes ask for nothing', () => {
    const { effects } = feed(typedWithPauses('up', 'uppercase', 'uppercase  '));
    expect(previews(effects)).toEqual([{ type: 'preview', instruction: 'uppercase', first: true }]);
    expect(effects.filter((e) => e.type === 'disarmTimer')).toHaveLength(2);
  });

  it('stops asking at the request cap and says so once; Enter still sends the final instruction', () => {
    const events: LiveEvent[] = [...typedWithPauses('aaaa', 'bbbb', 'cccc', 'dddd', 'eeee'), { type: 'accepted', text: 'ffff' }];
    const { state, effects } = feed(events);
    expect(previews(effects).map((e) => e.type === 'preview' && e.instruction)).toEqual(['aaaa', 'bbbb', 'cccc']);
    expect(effects.filter((e) => e.type === 'capReached')).toEqual([{ type: 'capReached', requests: 3 }]);
    expect(effects.at(-1)).toEqual({ type: 'keep', revise: 'ffff' });
    expect(state.requests).toBe(3);
  });

  it('Enter keeps the preview as is when the box did not change since', () => {
    const { effects } = feed([{ type: 'changed', text: 'uppercase', at: 0 }, { type: 'paused' }, { type: 'accepted', text: 'uppercase' }]);
    expect(effects.at(-1)).toEqual({ type: 'keep', revise: undefined });
  });

  it('Enter before any pause starts an ordinary run; Escape with no preview abandons nothing', () => {
    expect(feed([{ type: 'changed', text: 'uppercase', at: 0 }, { type: 'accepted', text: 'uppercase' }]).effects.at(-1)).toEqual({ type: 'start', instruction: 'uppercase' });
    expect(feed([{ type: 'changed', text: 'uppercase', at: 0 }, { type: 'dismissed' }]).effects).toEqual([{ type: 'armTimer', ms: 300 }, { type: 'disarmTimer' }]);
  });

  it('Escape, or Enter on an emptied box, abandons the preview', () => {
    const shown: LiveEvent[] = [{ type: 'changed', text: 'uppercase', at: 0 }, { type: 'paused' }];
    expect(feed([...shown, { type: 'dismissed' }]).effects.at(-1)).toEqual({ type: 'abandon' });
    expect(feed([...shown, { type: 'accepted', text: '  ' }]).effects.at(-1)).toEqual({ type: 'abandon' });
  });

  it('a preview that is gone (ended, or the document was edited) stops previews; Enter then starts an ordinary run', () => {
    const { effects } = feed([
      { type: 'changed', text: 'uppercase', at: 0 },
      { type: 'paused' },
      { type: 'previewGone' },
      { type: 'changed', text: 'uppercase all', at: 0 },
      { type: 'paused' },
      { type: 'accepted', text: 'uppercase all' },
    ]);
    expect(previews(effects)).toHaveLength(1);
    expect(effects.at(-1)).toEqual({ type: 'start', instruction: 'uppercase all' });
  });

  it('a closed box ignores late events (a timer that fires after Escape)', () => {
    const closed = feed([{ type: 'changed', text: 'uppercase', at: 0 }, { type: 'dismissed' }]).state;
    expect(reduceLive(closed, { type: 'paused' }).effects).toEqual([]);
    expect(reduceLive(closed, { type: 'accepted', text: 'x' }).effects).toEqual([]);
  });
});
