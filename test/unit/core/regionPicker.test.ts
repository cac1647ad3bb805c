import { describe, expect, it } from 'vitest';
import { pickRegion } from '../../../src/core/edit/regionPicker';

const SOURCE = [
  "import { a } from 'a';", // 0
  '', // 1
  'export function total(items) {', // 2
  '  let sum = 0;', // 3
  '  for (const item of items) {', // 4
  '    sum += item.price;', // 5
  '  }', // 6
  '  return sum;', // 7
  '}', // 8
  '', // 9
  'const x = 1;', // 10
  'const y = 2;', // 11
].join('\n');

const at = (line: number, column = 2): number => SOURCE.split('\n').slice(0, line).join('\n').length + (line > 0 ? 1 : 0) + column;
const text = (r: { start: number; end: number }): string => SOURCE.slice(r.start, r.end);

describe('pickRegion', () => {
  it('takes the innermost enclosing block with its header and closing line', () => {
    expect(text(pickRegion(SOURCE, at(5), 40))).toBe('  for (const item of items) {\n    sum += item.price;\n  }\n');
    expect(text(pickRegion(SOURCE, at(3), 40))).toBe(SOURCE.split('\n').slice(2, 9).join('\n') + '\n');
  });

  it('on a block header takes that block', () => {
    expect(text(pickRegion(SOURCE, at(2, 0), 40))).toBe(SOURCE.split('\n').slice(2, 9).join('\n') + '\n');
  });

  it('at top level takes the paragraph', () => {
    expect(text(pickRegion(SOURCE, at(10), 40))).toBe('const x = 1;\nconst y = 2;');
  });

  it('falls back to N lines around the cursor when the block is too big', () => {
    const r = pickRegion(SOURCE, at(5), 3);
    expect(text(r)).toBe('  for (const item of items) {\n    sum += item.price;\n  }\n');
    const small = pickRegion(SOURCE, at(3), 2);
    expect(text(small).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('handles python-style blocks and empty documents', () => {
    const py = 'def f(x):\n    y = x\n    return y\n\nprint(f(1))\n';
    expect(pickRegion(py, py.indexOf('y = x'), 40)).toEqual({ start: 0, end: py.indexOf('\n\n') + 1 });
    expect(pickRegion('', 0, 40)).toEqual({ start: 0, end: 0 });
  });
});
