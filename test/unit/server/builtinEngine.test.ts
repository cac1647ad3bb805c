import { describe, expect, it } from 'vitest';
import { applyInstruction, builtinRewrite } from '../../../src/server/engines/builtinEngine';

const rewrite = (region: string, instruction: string, history: string[] = [], languageId = 'typescript'): string =>
  builtinRewrite({ region, instruction, history, languageId });

describe('built-in engine', () => {
  it('renames identifiers on word boundaries only', () => {
    expect(rewrite('const total = subtotal + total;\n', 'rename total to sum')).toBe('const sum = subtotal + sum;\n');
  });

  it('adds JSDoc above functions and arrow functions', () => {
    expect(rewrite('function addItem(cart, item) {\n  return [...cart, item];\n}\n', 'add jsdoc')).toBe(
      '/**\n * Add item.\n * @param cart - the cart\n * @param item - the item\n */\nfunction addItem(cart, item) {\n  return [...cart, item];\n}\n',
    );
  });

  it('adds parameter types', () => {
    expect(rewrite('function greet(name, count) {\n', 'add types')).toBe('function greet(name: string, count: number) {\n');
  });

  it('converts function declarations to arrow functions and back', () => {
    const fn = 'export async function load(id) {\n  return id;\n}\n';
    const arrow = rewrite(fn, 'convert to arrow functions');
    expect(arrow).toBe('export const load = async (id) => {\n  return id;\n}\n');
    expect(rewrite(arrow, 'convert to function declarations')).toBe(fn);
  });

  it('sorts lines and imports, reverses lines', () => {
    expect(rewrite('b\nc\na\n', 'sort lines')).toBe('a\nb\nc\n');
    expect(rewrite("import z from 'z';\nimport a from 'a';\nconst x = 1;\n", 'sort imports')).toBe("import a from 'a';\nimport z from 'z';\nconst x = 1;\n");
    expect(rewrite('1\n2\n3\n', 'reverse lines')).toBe('3\n2\n1\n');
  });

  it('changes case: upper, lower, snake, camel', () => {
    expect(rewrite('abc\n', 'uppercase')).toBe('ABC\n');
    expect(rewrite('ABC\n', 'lowercase')).toBe('abc\n');
    expect(rewrite('const userName = getUserName();\n', 'to snake case')).toBe('const user_name = get_user_name();\n');
    expect(rewrite('const user_name = get_user_name();\n', 'to camel case')).toBe('const userName = getUserName();\n');
  });

  it('wraps in try/catch keeping indentation', () => {
    expect(rewrite('  doThing();\n', 'wrap in try/catch')).toBe('  try {\n    doThing();\n  } catch (error) {\n    console.error(error);\n    throw error;\n  }\n');
  });

  it('adds a log line to each function, deletes matching lines, comments and uncomments', () => {
    expect(rewrite('function f(a, b) {\n  return a;\n}\n', 'add logging')).toBe("function f(a, b) {\n  console.log('f', { a, b });\n  return a;\n}\n");
    expect(rewrite('a();\nconsole.log(1);\nb();\n', 'delete lines matching console.log')).toBe('a();\nb();\n');
    expect(rewrite('x = 1\n', 'comment out', [], 'python')).toBe('# x = 1\n');
    expect(rewrite('  // y();\n', 'uncomment')).toBe('  y();\n');
  });

  it('test helpers: repeat, empty, echo, fenced, crlf', () => {
    expect(rewrite('ab\n', 'repeat 3 times')).toBe('ab\nab\nab\n');
    expect(rewrite('ab\n', 'delete everything')).toBe('');
    expect(rewrite('ab\n', 'echo')).toBe('ab\n');
    expect(rewrite('ab\n', 'answer in a markdown fence')).toBe('```\nab\n```\n');
    expect(rewrite('a\nb\n', 'use crlf')).toBe('a\r\nb\r\n');
  });

  it('a redirect carries on: earlier instructions, then the new one; "instead" replaces them', () => {
    expect(rewrite('const fooBar = 1;\nfoo();\n', 'uppercase', ['rename foo to baz'])).toBe('CONST FOOBAR = 1;\nBAZ();\n');
    expect(rewrite('foo();\n', 'instead reverse lines', ['uppercase'])).toBe('foo();\n');
    expect(rewrite('a\n', 'uppercase (continue, keeping the edits I just made)')).toBe('A\n');
  });

  it('explains an unknown instruction briefly, in a comment, and keeps the region', () => {
    const out = rewrite('  x();\n', 'make it webscale');
    expect(out).toMatch(/^ {2}\/\/ Spark Edit built-in engine: "make it webscale" is not an instruction/);
    expect(out.endsWith('  x();\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(4);
    expect(applyInstruction('x', 'make it webscale', 'typescript')).toBeUndefined();
  });
});
