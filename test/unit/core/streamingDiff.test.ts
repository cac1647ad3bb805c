import { describe, expect, it } from 'vitest';
import { StreamingDiff, splitLinesKeepingEnds } from '../../../src/core/edit/streamingDiff';
import { applyEdits, type TextEdit } from '../../../src/core/edit/textEdit';
import { mutateCode, randomChunks, randomCode, seededRandom } from '../support/random';

/** Streams `output` in `chunks` and checks each step's buffer; returns all edits. */
function stream(original: string, chunks: readonly string[]): { edits: TextEdit[]; buffers: string[]; diff: StreamingDiff } {
  const diff = new StreamingDiff(original);
  let buffer = original;
  const buffers: string[] = [];
  const edits: TextEdit[] = [];
  for (const chunk of chunks) {
    const step = diff.push(chunk);
    buffer = applyEdits(buffer, step);
    edits.push(...step);
    buffers.push(buffer);
  }
  const last = diff.finish();
  buffer = applyEdits(buffer, last);
  edits.push(...last);
  buffers.push(buffer);
  return { edits, buffers, diff };
}

describe('StreamingDiff', () => {
  it('leaves unchanged lines alone: no edit at all for an identical rewrite', () => {
    const original = 'function a() {\n  return 1;\n}\n';
    const { edits, buffers } = stream(original, randomChunks(seededRandom(1), original, 3));
    expect(edits).toEqual([]);
    expect(buffers.at(-1)).toBe(original);
  });

  it('shows a changed line on its own line as it streams, and drops the old one when it completes', () => {
    const original = 'const a = 1;\nconst b = 2;\nconst c = 3;\n';
    const output = 'const a = 1;\nconst b = 42;\nconst c = 3;\n';
    const { buffers } = stream(original, ['const a = 1;\nconst b = ', '4', '2;', '\n', 'const c = 3;\n']);
    // While "const b = " tracks the original line, nothing changes.
    expect(buffers[0]).toBe(original);
    // Once it diverges, the new line appears above the old one.
    expect(buffers[1]).toBe('const a = 1;\nconst b = 4\nconst b = 2;\nconst c = 3;\n');
    expect(buffers[2]).toBe('const a = 1;\nconst b = 42;\nconst b = 2;\nconst c = 3;\n');
    // Complete, it reads as a rewrite of the old line, which goes.
    expect(buffers[3]).toBe(output);
    expect(buffers.at(-1)).toBe(output);
  });

  it('replaces each rewritten line as it completes (an all-lines change never doubles the region)', () => {
    const original = 'alpha one\nbeta two\ngamma three\n';
    const output = original.toUpperCase();
    const { buffers } = stream(original, ['ALPHA ONE\n', 'BETA TWO\n', 'GAM']);
    expect(buffers[0]).toBe('ALPHA ONE\nbeta two\ngamma three\n');
    expect(buffers[1]).toBe('ALPHA ONE\nBETA TWO\ngamma three\n');
    expect(buffers[2]).toBe('ALPHA ONE\nBETA TWO\nGAM\ngamma three\n');
    expect(buffers.at(-1)).toBe('ALPHA ONE\nBETA TWO\nGAM');
    expect(stream(original, [output]).buffers.at(-1)).toBe(output);
  });

  it('deletes original lines the output skips, and trailing ones at finish', () => {
    const original = 'keep one\ndrop this\nkeep two\ndrop tail\n';
    const output = 'keep one\nkeep two\n';
    const { buffers } = stream(original, ['keep one\n', 'keep two\n']);
    expect(buffers[1]).toBe('keep one\nkeep two\ndrop tail\n');
    expect(buffers.at(-1)).toBe(output);
  });

  it('does not let a weak line such as "}" swallow a block far ahead', () => {
    const original = 'if (a) {\n  one();\n  two();\n}\n';
    const { buffers } = stream(original, ['}\n']);
    // "}" is inserted, not anchored four lines down (which would delete the body first).
    expect(buffers[0]).toBe('}\n' + original);
  });

  it('handles an original without a final newline and an output with one', () => {
    expect(stream('a\nb', ['a\nb\n']).buffers.at(-1)).toBe('a\nb\n');
    expect(stream('a\nb\n', ['a\nb']).buffers.at(-1)).toBe('a\nb');
    expect(stream('', ['x', 'y\n']).buffers.at(-1)).toBe('xy\n');
    expect(stream('abc\n', []).buffers.at(-1)).toBe('');
  });

  it('keeps CRLF lines intact', () => {
    const original = 'a\r\nb\r\nc\r\n';
    const output = 'a\r\nB\r\nc\r\n';
    expect(stream(original, randomChunks(seededRandom(5), output, 2)).buffers.at(-1)).toBe(output);
  });

  it('property: any chunking of any rewrite ends exactly at the output, every step a valid buffer', () => {
    const random = seededRandom(20261125);
    for (let i = 0; i < 600; i++) {
      const original = randomCode(random, Math.floor(random() * 30));
      const output = random() < 0.1 ? randomCode(random, 10) : mutateCode(random, original);
      const chunks = randomChunks(random, output, 1 + Math.floor(random() * 12));
      const { buffers } = stream(original, chunks);
      expect(buffers.at(-1), `seed case ${i}`).toBe(output);
    }
  });

  it('property: each buffer is the complete output lines, then the line in progress, then whole original lines', () => {
    const random = seededRandom(77);
    for (let i = 0; i < 300; i++) {
      const original = randomCode(random, 20);
      const output = mutateCode(random, original);
      const chunks = randomChunks(random, output, 8);
      const { buffers } = stream(original, chunks);
      const lines = splitLinesKeepingEnds(original);
      const suffixes = new Set(lines.map((_, j) => lines.slice(j).join('')).concat(''));
      let streamed = '';
      chunks.forEach((chunk, k) => {
        streamed += chunk;
        const completeLines = streamed.slice(0, streamed.lastIndexOf('\n') + 1);
        const partial = streamed.slice(completeLines.length);
        const buffer = buffers[k]!;
        expect(buffer.startsWith(completeLines), `case ${i} step ${k}`).toBe(true);
        const rest = buffer.slice(completeLines.length);
        // Either the partial line is shown on its own line before whole original
        // lines, or it is still tracking an original line (which then starts with it).
        const shown = partial.length > 0 && rest.startsWith(partial + '\n') && suffixes.has(rest.slice(partial.length + 1));
        const tracking = suffixes.has(rest) && rest.startsWith(partial);
        expect(shown || tracking, `case ${i} step ${k}: ${JSON.stringify(rest)}`).toBe(true);
      });
    }
  });

  it('work per delta stays flat as the region grows (counted, not timed)', () => {
    const perDelta = (lines: number): number => {
      const random = seededRandom(lines);
      const original = randomCode(random, lines);
      const output = mutateCode(random, original);
      const chunks = randomChunks(random, output, 4);
      const diff = new StreamingDiff(original);
      for (const chunk of chunks) diff.push(chunk);
      diff.finish();
      return diff.work / chunks.length;
    };
    const small = perDelta(100);
    const large = perDelta(10_000);
    expect(large).toBeLessThan(small * 2);
  });

  it('splitLinesKeepingEnds keeps terminators and a final partial line', () => {
    expect(splitLinesKeepingEnds('a\nb')).toEqual(['a\n', 'b']);
    expect(splitLinesKeepingEnds('a\n')).toEqual(['a\n']);
    expect(splitLinesKeepingEnds('')).toEqual([]);
  });

  it('refuses input after finish', () => {
    const diff = new StreamingDiff('x');
    diff.finish();
    expect(() => diff.push('y')).toThrow(/after finish/);
  });
});
