import { describe, expect, it } from 'vitest';
import { PatchApplier } from '../../../src/core/edit/patch/patchApplier';
import { findHeader, seekLines } from '../../../src/core/edit/patch/patchMatch';
import { PatchError, PatchStreamParser, type PatchEvent } from '../../../src/core/edit/patch/patchParser';
import { applyEdits, type TextEdit } from '../../../src/core/edit/textEdit';

const REGION = ['function total(items) {', '  let total = 0;', '  for (const item of items) {', '    total += item.price;', '  }', '  return total;', '}', ''].join('\n');

const PATCH = [
  '*** Begin Patch',
  '*** Update File: cart.js',
  '@@ function total(items) {',
  '  let total = 0;',
  '  for (const item of items) {',
  '-    total += item.price;',
  '+    total += item.price * item.quantity;',
  '+    count += 1;',
  '   }',
  '*** End Patch',
  '',
].join('\n');

const PATCHED = REGION.replace('    total += item.price;\n', '    total += item.price * item.quantity;\n    count += 1;\n');

/** Events of a text pushed in the given pieces, with consecutive add pieces of one line joined. */
function parse(pieces: readonly string[]): PatchEvent[] {
  const parser = new PatchStreamParser();
  const events = [...pieces.flatMap((p) => parser.push(p)), ...parser.finish()];
  const joined: PatchEvent[] = [];
  for (const e of events) {
    const last = joined.at(-1);
    if (e.type === 'add' && last?.type === 'add' && !last.done) joined[joined.length - 1] = { type: 'add', text: last.text + e.text, done: e.done };
    else joined.push(e);
  }
  return joined;
}

/** The region after the patch, pushed in the given pieces, and the edits as they came; the patch's error is thrown. */
function patch(region: string, pieces: readonly string[], eol: '\n' | '\r\n' = '\n'): { text: string; edits: TextEdit[][] } {
  const applier = new PatchApplier(region, eol);
  const edits = [...pieces.map((p) => applier.push(p)), applier.finish()];
  if (applier.error) throw applier.error;
  return { text: applyEdits(region, edits.flat()), edits };
}

describe('the streaming patch parser', () => {
  const whole = parse([PATCH]);

  it('reads the envelope: a hunk with its header, context, removed and added lines, the end', () => {
    expect(whole).toEqual([
      { type: 'hunk', header: 'function total(items) {' },
      { type: 'context', text: ' let total = 0;' },
      { type: 'context', text: ' for (const item of items) {' },
      { type: 'remove', text: '    total += item.price;' },
      { type: 'add', text: '    total += item.price * item.quantity;', done: true },
      { type: 'add', text: '    count += 1;', done: true },
      { type: 'context', text: '  }' },
      { type: 'end' },
    ]);
  });

  it('gives the same events split at every point (inside "***" markers and "@@" headers too), and in single characters', () => {
    for (let i = 0; i <= PATCH.length; i++) expect(parse([PATCH.slice(0, i), PATCH.slice(i)]), `split at ${i}`).toEqual(whole);
    for (let i = 0; i < PATCH.length; i += 7) expect(parse([PATCH.slice(0, i), PATCH.slice(i, i + 3), PATCH.slice(i + 3)]), `split at ${i} and ${i + 3}`).toEqual(whole);
    expect(parse([...PATCH])).toEqual(whole);
  });

  it('streams an added line as it is written, and nothing else before its end', () => {
    const parser = new PatchStreamParser();
    parser.push('*** Begin Patch\n@@\n-old\n+new');
    expect(parser.push(' li')).toEqual([{ type: 'add', text: ' li', done: false }]);
    expect(parser.push('ne\n ctx')).toEqual([{ type: 'add', text: 'ne', done: true }]);
    expect(parser.push('\n')).toEqual([{ type: 'context', text: 'ctx' }]);
  });

  it('tolerates a fence around the envelope, CRLF, a missing final newline and unified-diff ranges in the header', () => {
    const events = parse(['```diff\r\n*** Begin Patch\r\n@@ -3,2 +3,2 @@\r\n-a\r\n+b\r\n*** End Patch']);
    expect(events).toEqual([{ type: 'hunk', header: undefined }, { type: 'remove', text: 'a' }, { type: 'add', text: 'b', done: true }, { type: 'end' }]);
  });

  it('a malformed patch is a clear error, never text', () => {
    expect(() => parse(['const total = 1;\n'])).toThrow(PatchError);
    expect(() => parse(['const total = 1;\n'])).toThrow(/not a patch/);
    expect(() => parse([''])).toThrow(/not a patch/);
    expect(() => parse(['*** Begin Patch\n@@\n?what\n'])).toThrow(/line 3 of the patch is not a context/);
    expect(() => parse(['*** Begin Patch\n*** Add File: x.ts\n'])).toThrow(/only the region can change/);
  });
});

describe('context matching (the apply_patch rules)', () => {
  const lines = ['a', '  b  ', 'c', 'a', 'b', 'c'];

  it('exact first, then ignoring trailing whitespace, then all surrounding whitespace', () => {
    expect(seekLines(lines, ['a', 'b'], 0)).toEqual({ level: 'exact', starts: [3] });
    expect(seekLines(['x  ', 'y'], ['x', 'y'], 0)).toEqual({ level: 'trailing', starts: [0] });
    expect(seekLines(lines, ['b', 'c'], 0)).toEqual({ level: 'exact', starts: [4] });
    expect(seekLines(['  x', 'y'], ['x', 'y'], 0)).toEqual({ level: 'whitespace', starts: [0] });
  });

  it('not found, and more than one match (ambiguous), from a start line', () => {
    expect(seekLines(lines, ['z'], 0)).toEqual({ level: undefined, starts: [] });
    expect(seekLines(lines, ['c'], 0).starts).toEqual([2, 5]);
    expect(seekLines(lines, ['c'], 3).starts).toEqual([5]);
    expect(findHeader(lines, 'c', 3)).toBe(5);
  });
});

describe('applying a streaming patch to a region', () => {
  it('gives the patched region whole, and split at every point', () => {
    expect(patch(REGION, [PATCH]).text).toBe(PATCHED);
    for (let i = 0; i <= PATCH.length; i++) expect(patch(REGION, [PATCH.slice(0, i), PATCH.slice(i)]).text, `split at ${i}`).toBe(PATCHED);
    expect(patch(REGION, [...PATCH]).text).toBe(PATCHED);
  });

  it('locates a hunk as soon as its context is unique; an added line is written token by token above the line it replaces, which goes when it is finished', () => {
    const applier = new PatchApplier(REGION, '\n');
    let text = REGION;
    const step = (piece: string): string => (text = applyEdits(text, applier.push(piece)));
    step('*** Begin Patch\n@@\n   for (const item of items) {\n');
    // Located: the removed line stays until a line is written in its place, which appears above it, token by token.
    expect(step('-    total += item.price;\n')).toBe(REGION);
    expect(step('+    total +=')).toBe(REGION.replace('    total += item.price;\n', '    total +=\n    total += item.price;\n'));
    expect(applier.frontier).toBe(REGION.indexOf('    total += item.price;') + '    total +='.length);
    expect(applier.unfinishedLine).toEqual({ start: REGION.indexOf('    total += item.price;'), text: '    total +=\n' });
    // Finished, the new line takes the old one's place.
    expect(step(' item.price * 2;\n')).toBe(REGION.replace('item.price;', 'item.price * 2;'));
    expect(step('*** End Patch\n')).toBe(REGION.replace('item.price;', 'item.price * 2;'));
  });

  it('waits while the context matches several places, then applies what waited at the one place it matches', () => {
    const region = 'x\ncommon\nA\ny\ncommon\nB\n';
    const applier = new PatchApplier(region, '\n');
    expect(applier.push('*** Begin Patch\n@@\n common\n+inserted\n')).toEqual([]);
    const edits = applier.push(' B\n*** End Patch\n');
    expect(applyEdits(region, edits)).toBe('x\ncommon\nA\ny\ncommon\ninserted\nB\n');
  });

  it('an ambiguous hunk is an error when it ends, unless its header disambiguates', () => {
    const region = 'function a() {\n  return 1;\n}\nfunction b() {\n  return 1;\n}\n';
    expect(() => patch(region, ['*** Begin Patch\n@@\n-  return 1;\n+  return 2;\n*** End Patch\n'])).toThrow(/matches 2 places/);
    expect(patch(region, ['*** Begin Patch\n@@ function b() {\n-  return 1;\n+  return 2;\n*** End Patch\n']).text).toBe(region.replace(/return 1;\n}\n$/, 'return 2;\n}\n'));
  });

  it('a context that does not match, or stops matching where it was located, is an error naming the hunk', () => {
    expect(() => patch(REGION, ['*** Begin Patch\n@@\n-  let sum = 0;\n+  let sum = 1;\n*** End Patch\n'])).toThrow(/hunk 1: its context does not match the region/);
    expect(() => patch(REGION, ['*** Begin Patch\n@@\n   let total = 0;\n-  nothing like this\n*** End Patch\n'])).toThrow('hunk 1: "  nothing like this" does not match line 3');
    expect(() => patch(REGION, ['*** Begin Patch\n@@ function nowhere(\n-  let total = 0;\n*** End Patch\n'])).toThrow(/header "function nowhere\(" is not in the region/);
  });

  it('several hunks in order; a later hunk is looked for after the earlier one; whitespace-tolerant matches; CRLF', () => {
    const region = 'a\nb\nc\nd\ne\nf\ng\nh\n';
    const two = '*** Begin Patch\n@@\n a\n-b\n+B\n c\n@@\n f\n-g  \n+G\n h\n*** End Patch\n';
    expect(patch(region, [two]).text).toBe('a\nB\nc\nd\ne\nf\nG\nh\n');
    const crlf = region.replace(/\n/g, '\r\n');
    expect(patch(crlf, [two], '\r\n').text).toBe('a\r\nB\r\nc\r\nd\r\ne\r\nf\r\nG\r\nh\r\n');
    // Hunks out of order: the second is not found after the first.
    expect(() => patch(region, ['*** Begin Patch\n@@\n f\n-g\n+G\n@@\n a\n-b\n+B\n*** End Patch\n'])).toThrow(/hunk 2: its context does not match the region after the previous hunk/);
  });

  it('a hunk of added lines only goes after its header, or at the end of the region', () => {
    expect(patch('a\nb\n', ['*** Begin Patch\n@@ a\n+between\n*** End Patch\n']).text).toBe('a\nbetween\nb\n');
    expect(patch('a\nb\n', ['*** Begin Patch\n@@\n+last\n*** End Patch\n']).text).toBe('a\nb\nlast\n');
  });

  it('removed lines with fewer added lines: the rest go when the change is over (a context line, the next hunk, the end)', () => {
    const applier = new PatchApplier('a\nb\nc\nd\n', '\n');
    let text = 'a\nb\nc\nd\n';
    const step = (piece: string): string => (text = applyEdits(text, applier.push(piece)));
    expect(step('*** Begin Patch\n@@\n a\n-b\n-c\n+B\n')).toBe('a\nB\nc\nd\n');
    expect(step(' d\n')).toBe('a\nB\nd\n');
    expect(applyEdits(text, [...applier.push('*** End Patch\n'), ...applier.finish()])).toBe('a\nB\nd\n');
  });

  it('after an error nothing more applies, and the edits before it stand', () => {
    const applier = new PatchApplier(REGION, '\n');
    const before = applier.push('*** Begin Patch\n@@\n   let total = 0;\n-  for (const item of items) {\n+  for (const item of list) {\n@@\n-no such line\n');
    expect(applier.error?.message).toMatch(/hunk 2: its context does not match/);
    expect(applyEdits(REGION, before)).toBe(REGION.replace('of items', 'of list'));
    expect(applier.push('+more\n*** End Patch\n')).toEqual([]);
    expect(applier.finish()).toEqual([]);
  });

  it('an empty patch changes nothing; a patch cut off inside a located hunk keeps what applied', () => {
    expect(patch(REGION, ['*** Begin Patch\n*** End Patch\n']).text).toBe(REGION);
    expect(patch(REGION, ['*** Begin Patch\n@@\n   return total;\n-}\n+};\n']).text).toBe(REGION.replace(/}\n$/, '};\n'));
  });
});
