/**
 * What the extension host sends the workbench's renderer on Spark Edit's
 * behalf, counted: edits (and their round trips), decorations, CodeLens
 * refreshes, context keys and status bar updates. Each of these is work for
 * the renderer's one thread, which is also the thread that paints the
 * model's text, so this is where to look when paint is late. A run's share
 * goes into its "ended" log line (the latency bench reads it from there).
 *
 * One counter for the whole extension, on purpose: the senders are spread
 * over the views and the document port, and threading a counter through
 * each of them would make every constructor carry a diagnostic.
 */
export interface TrafficCounts {
  editCalls: number;
  /** Replacements inside those calls. */
  edits: number;
  /** Characters those replacements insert. */
  editChars: number;
  decorationSets: number;
  lensRefreshes: number;
  contextKeys: number;
  statusBarUpdates: number;
  scrolls: number;
  /** Milliseconds spent handling change events of documents with runs (each edit's reply waits for it). */
  changeHandlingMs: number;
}

/** One `editor.edit` round trip, wall-clock (the bench lines it up with the server's and the page's stamps). */
export interface EditTiming {
  readonly sentAt: number;
  readonly repliedAt: number;
  readonly edits: number;
  readonly chars: number;
}

const KEPT_TIMINGS = 64;

export type TrafficMark = Readonly<TrafficCounts>;

export type TrafficSince = TrafficCounts & { readonly timings: readonly EditTiming[] };

class EditorTraffic {
  private counts: TrafficCounts = zero();
  private timings: EditTiming[] = [];

  count(kind: Exclude<keyof TrafficCounts, 'editCalls' | 'edits' | 'editChars' | 'changeHandlingMs'>): void {
    this.counts[kind]++;
  }

  handledChange(ms: number): void {
    this.counts.changeHandlingMs += ms;
  }

  /** Records an edit call; call the returned function when it is answered. */
  edit(edits: readonly { readonly text: string }[]): () => void {
    const sentAt = Date.now();
    const chars = edits.reduce((sum, e) => sum + e.text.length, 0);
    this.counts.editCalls++;
    this.counts.edits += edits.length;
    this.counts.editChars += chars;
    return () => {
      this.timings.push({ sentAt, repliedAt: Date.now(), edits: edits.length, chars });
      if (this.timings.length > KEPT_TIMINGS) this.timings.shift();
    };
  }

  /** Where the counts stand now, to be compared with `since` later. */
  mark(): TrafficMark {
    return { ...this.counts };
  }

  /** What was sent since `mark`, with the round trips of the edit calls among it. */
  since(mark: TrafficMark): TrafficSince {
    const delta = zero();
    for (const key of Object.keys(delta) as (keyof TrafficCounts)[]) delta[key] = this.counts[key] - mark[key];
    const calls = delta.editCalls;
    return { ...delta, timings: calls > 0 ? this.timings.slice(-Math.min(calls, KEPT_TIMINGS)) : [] };
  }
}

function zero(): TrafficCounts {
  return { editCalls: 0, edits: 0, editChars: 0, decorationSets: 0, lensRefreshes: 0, contextKeys: 0, statusBarUpdates: 0, scrolls: 0, changeHandlingMs: 0 };
}

export const editorTraffic = new EditorTraffic();

/**
 * A run's traffic as one log line; the round trips are "sent at (epoch ms)
 * +milliseconds to the reply", which the latency bench lines up with its
 * own wall-clock stamps.
 */
export function describeTraffic(t: TrafficSince): string {
  const trips = t.timings.map((e) => `${e.sentAt} +${e.repliedAt - e.sentAt} ms (${e.edits}/${e.chars})`).join(', ');
  return (
    `sent the editor: ${t.editCalls} edit calls (${t.edits} edits, ${t.editChars} characters), ${t.decorationSets} decoration sets, ` +
    `${t.lensRefreshes} lens refreshes, ${t.contextKeys} context keys, ${t.statusBarUpdates} status bar updates, ${t.scrolls} scrolls, ${Math.round(t.changeHandlingMs)} ms handling change events; ` +
    `edit round trips (sent at, +reply, edits/characters): ${trips || 'none'}`
  );
}
