import { describe, expect, it } from 'vitest';
import { OutputNormalizer } from '../../../src/core/edit/outputFilters';
import { randomChunks, seededRandom } from '../support/random';

function run(eol: '\n' | '\r\n', chunks: readonly string[]): string {
  const n = new OutputNormalizer(eol);
  return chunks.map((c) => n.push(c)).join('') + n.finish();
}

describe('OutputNormalizer', () => {
  it('passes plain code through unchanged and at once', () => {
    const n = new OutputNormalizer('\n');
    expect(n.push('const x')).toBe('const x');
    expect(n.push(' = 1;\n')).toBe(' = 1;\n');
    expect(n.finish()).toBe('');
  });

  it('converts line endings to the document\'s, even when \\r\\n is split across chunks', () => {
    expect(run('\n', ['a\r', '\nb\r\n'])).toBe('a\nb\n');
    expect(run('\r\n', ['a\n', 'b\r', '\nc'])).toBe('a\r\nb\r\nc');
  });

  it('strips a markdown fence around the answer, however it is chunked', () => {
    const fenced = '```ts\nconst a = 1;\nconst b = 2;\n```\n';
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      expect(run('\n', randomChunks(random, fenced, 5))).toBe('const a = 1;\nconst b = 2;');
    }
    expect(run('\n', ['```\nx\n```'])).toBe('x');
  });

  it('keeps backticks that are code, not a fence', () => {
    expect(run('\n', ['const s = `a`;\n'])).toBe('const s = `a`;\n');
    expect(run('\n', ['```ts\nconst t = `x`;\nmore\n```'])).toBe('const t = `x`;\nmore');
  });

  it('handles empty output', () => {
    expect(run('\n', [])).toBe('');
  });
});

describe('OutputNormalizer with a region that ends in a newline', () => {
  it('keeps the newline before the closing fence as content', () => {
    const n = new OutputNormalizer('\r\n', true);
    const out = ['```\none\r\n', 'two\r\n```', '\n'].map((c) => n.push(c)).join('') + n.finish();
    expect(out).toBe('one\r\ntwo\r\n');
    const m = new OutputNormalizer('\n', true);
    expect(m.push('```\nx\n```') + m.finish()).toBe('x\n');
  });
});
