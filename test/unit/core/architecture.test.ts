import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );

describe('architecture', () => {
  const core = filesUnder(join(root, 'src/core'));

  it('src/core never imports vscode or src/vscode', () => {
    expect(core.length).toBeGreaterThan(10);
    const offenders = core.filter((f) => importsOf(f).some((i) => i === 'vscode' || i.includes('/vscode/') || i.startsWith('../vscode')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('only the transport adapter imports ws', () => {
    const all = [...core, ...filesUnder(join(root, 'src/vscode')), join(root, 'src/extension.ts')];
    const users = all.filter((f) => importsOf(f).includes('ws')).map((f) => relative(root, f));
    expect(users).toEqual(['src/core/transport/wsTransport.ts']);
  });

  it('the server never imports vscode', () => {
    const offenders = filesUnder(join(root, 'src/server')).filter((f) => importsOf(f).includes('vscode'));
    expect(offenders).toEqual([]);
  });
});
