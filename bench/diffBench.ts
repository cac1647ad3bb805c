import { diffLines } from 'diff';
import { StreamingDiff } from '../src/core/edit/streamingDiff';
import { mutateCode, randomChunks, seededRandom } from '../test/unit/support/random';
import { codeText } from './client';
import { median, round } from './stats';

export interface DiffFigure {
  readonly regionChars: number;
  readonly deltas: number;
  readonly ours: { totalMs: number; perDeltaUs: number; workPerDelta: number };
  readonly baseline: { totalMs: number; perDeltaUs: number; flushes: number; sampledFlushes: number };
  readonly speedup: number;
}

/** Ours: the incremental diff fed ~4-character deltas. */
function ours(original: string, chunks: readonly string[]): { ms: number; work: number } {
  const started = performance.now();
  const diff = new StreamingDiff(original);
  for (const c of chunks) diff.push(c);
  diff.finish();
  return { ms: performance.now() - started, work: diff.work };
}

/**
 * The naive baseline: on every flush (every 16 deltas: one 16 ms frame at
 * 1,000 tok/s) re-diff the whole region from the top with jsdiff. At 100k
 * characters that is minutes of work, so an even sample of flushes is timed
 * and the total extrapolated (reported as sampledFlushes).
 */
function baseline(original: string, chunks: readonly string[], maxSamples: number): { ms: number; flushes: number; sampled: number } {
  const flushPoints: number[] = [];
  for (let i = 15; i < chunks.length; i += 16) flushPoints.push(i);
  flushPoints.push(chunks.length - 1);
  const prefixLengths: number[] = [];
  let length = 0;
  for (const c of chunks) prefixLengths.push((length += c.length));
  const output = chunks.join('');
  const step = Math.max(1, Math.floor(flushPoints.length / maxSamples));
  const sampled = flushPoints.filter((_, i) => i % step === 0);
  const started = performance.now();
  for (const point of sampled) diffLines(original, output.slice(0, prefixLengths[point]));
  const ms = ((performance.now() - started) / sampled.length) * flushPoints.length;
  return { ms, flushes: flushPoints.length, sampled: sampled.length };
}

export function diffBench(sizes: readonly number[] = [1_000, 10_000, 100_000]): DiffFigure[] {
  return sizes.map((size) => {
    const random = seededRandom(size);
    const original = codeText(size, 7);
    const output = mutateCode(random, original);
    const chunks = randomChunks(random, output, 7); // mean 4 characters
    ours(original, chunks); // warm the JIT
    const runs = Array.from({ length: 5 }, () => ours(original, chunks));
    const oursMs = median(runs.map((r) => r.ms));
    const base = baseline(original, chunks, size >= 100_000 ? 40 : 200);
    return {
      regionChars: size,
      deltas: chunks.length,
      ours: { totalMs: round(oursMs, 3), perDeltaUs: round((oursMs * 1000) / chunks.length, 3), workPerDelta: round(runs[0]!.work / chunks.length, 2) },
      baseline: { totalMs: round(base.ms, 1), perDeltaUs: round((base.ms * 1000) / chunks.length, 2), flushes: base.flushes, sampledFlushes: base.sampled },
      speedup: round(base.ms / oursMs, 1),
    };
  });
}
