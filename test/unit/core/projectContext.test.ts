import { describe, expect, it } from 'vitest';
import { attachmentsOf, foldersDownTo, identifiersIn, pathDistance, pickDefinitions, pickRules, rulesCandidates, RULES_BUDGET_CHARS, type FoundDefinition } from '../../../src/core/prompt/projectContext';

/** A fixture tree: path → content. */
const tree = (files: Record<string, string>) => (path: string): string | undefined => files[path];

describe('rules files', () => {
  it('AGENTS.md from the root down to the file’s folder, root first; an AGENTS.override.md wins in its folder', () => {
    const read = tree({ 'AGENTS.md': 'root rules', 'src/AGENTS.md': 'src rules', 'src/AGENTS.override.md': 'src override', 'src/cart/AGENTS.md': 'cart rules', 'other/AGENTS.md': 'not on the way' });
    expect(pickRules('src/cart', read).map((p) => [p.label, p.text])).toEqual([
      ['AGENTS.md', 'root rules'],
      ['src/AGENTS.override.md', 'src override'],
      ['src/cart/AGENTS.md', 'cart rules'],
    ]);
    expect(foldersDownTo('src/cart')).toEqual(['', 'src', 'src/cart']);
    expect(rulesCandidates('src')).toEqual(['AGENTS.override.md', 'AGENTS.md', 'src/AGENTS.override.md', 'src/AGENTS.md', 'CLAUDE.md', '.github/copilot-instructions.md', '.cursorrules']);
  });

  it('with no AGENTS.md anywhere: CLAUDE.md, else .github/copilot-instructions.md, else .cursorrules (the first there is)', () => {
    expect(pickRules('src', tree({ 'CLAUDE.md': 'claude', '.cursorrules': 'cursor' })).map((p) => p.label)).toEqual(['CLAUDE.md']);
    expect(pickRules('src', tree({ '.github/copilot-instructions.md': 'copilot', '.cursorrules': 'cursor' })).map((p) => p.label)).toEqual(['.github/copilot-instructions.md']);
    expect(pickRules('', tree({ '.cursorrules': 'cursor' })).map((p) => p.label)).toEqual(['.cursorrules']);
    // An AGENTS.md anywhere on the way means no fallback.
    expect(pickRules('src', tree({ 'src/AGENTS.md': 'src', 'CLAUDE.md': 'claude' })).map((p) => p.label)).toEqual(['src/AGENTS.md']);
    expect(pickRules('src', tree({}))).toEqual([]);
    expect(pickRules('src', tree({ 'AGENTS.md': '  \n' }))).toEqual([]);
  });

  it('32 KiB in all: the file that crosses it is cut, the ones after it dropped', () => {
    const big = 'r'.repeat(30 * 1024);
    const parts = pickRules('a/b', tree({ 'AGENTS.md': big, 'a/AGENTS.md': 'x'.repeat(4 * 1024), 'a/b/AGENTS.md': 'never' }));
    expect(parts.map((p) => p.label)).toEqual(['AGENTS.md', 'a/AGENTS.md']);
    expect(parts[1]!.text).toBe('x'.repeat(RULES_BUDGET_CHARS - big.length) + '\n[cut to fit]');
  });
});

describe('related code', () => {
  const def = (name: string, path: string, line: number, size: number, distance: number): FoundDefinition => ({ name, path, line, text: name.padEnd(size, '.'), distance });

  it('nearest first, then smallest; each place once; only what fits (a big one skipped, a smaller one after it kept)', () => {
    const found = [def('far', 'x/y/z.ts', 1, 50, 4), def('big', 'src/a.ts', 3, 500, 1), def('small', 'src/b.ts', 9, 40, 1), def('same', 'src/cart.ts', 80, 60, 0), def('small', 'src/b.ts', 9, 40, 1)];
    expect(pickDefinitions(found, 10_000).map((p) => p.label)).toEqual(['src/cart.ts:81 (same)', 'src/b.ts:10 (small)', 'src/a.ts:4 (big)', 'x/y/z.ts:2 (far)']);
    expect(pickDefinitions(found, 160).map((p) => p.label)).toEqual(['src/cart.ts:81 (same)', 'src/b.ts:10 (small)', 'x/y/z.ts:2 (far)']);
  });

  it('distance: the same file 0, its folder 1, one folder more per step', () => {
    expect(pathDistance('src/cart.ts', 'src/cart.ts')).toBe(0);
    expect(pathDistance('src/cart.ts', 'src/format.ts')).toBe(1);
    expect(pathDistance('src/cart.ts', 'lib/helper.ts')).toBe(3);
    expect(pathDistance('src/cart.ts', 'src/util/money.ts')).toBe(2);
  });

  it('the identifiers a region uses: each once, no keywords, no members after a dot, nothing in strings or comments', () => {
    const region = "const due = applyDiscount(subtotal, discount); // helper here\nreturn `${items.length} items, ${formatPrice(due)}` + 'notAName';\n";
    expect(identifiersIn(region).map((i) => i.name)).toEqual(['due', 'applyDiscount', 'subtotal', 'discount', 'items', 'formatPrice']);
    expect(identifiersIn(region)[1]).toEqual({ name: 'applyDiscount', offset: region.indexOf('applyDiscount') });
    expect(identifiersIn('a1 b2 c3 d4', 2).map((i) => i.name)).toEqual(['a1', 'b2']);
  });
});

describe('attachments in the instruction', () => {
  it('#problems attaches the problems and reads as "the problems listed above"', () => {
    expect(attachmentsOf('fix #problems')).toEqual({ instruction: 'fix the problems listed above', problems: true, tokens: [] });
    expect(attachmentsOf('#problems')).toEqual({ instruction: 'Fix the problems listed above.', problems: true, tokens: [] });
    expect(attachmentsOf('rename a to b')).toEqual({ instruction: 'rename a to b', problems: false, tokens: [] });
    expect(attachmentsOf('use #problemsolver')).toEqual({ instruction: 'use #problemsolver', problems: false, tokens: [] });
  });
});
