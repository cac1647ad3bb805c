import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SETTING_KEYS, SettingsSchema } from '../../src/core/config/settings';

const root = join(__dirname, '../..');
interface Setting {
  type: string;
  default: unknown;
  description?: string;
  markdownDescription?: string;
  enum?: string[];
  order?: number;
  minimum?: number;
  maximum?: number;
}
interface Manifest {
  scripts: Record<string, string>;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    keybindings: { command: string; key: string; when?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { id: string; title: string; order: number; properties: Record<string, Setting> }[];
    walkthroughs: { steps: { media: { markdown?: string } }[] }[];
  };
  devDependencies: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const commandsSource = readFileSync(join(root, 'src/vscode/commands/commands.ts'), 'utf8');
const registered = [...commandsSource.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]!);

describe('package.json manifest', () => {
  it('declares exactly the commands the code registers, each with a title and category', () => {
    const declared = manifest.contributes.commands.map((c) => c.command);
    expect([...declared].sort()).toEqual([...registered].sort());
    for (const c of manifest.contributes.commands) {
      expect(c.title.length, c.command).toBeGreaterThan(0);
      expect(c.category, c.command).toBe('Spark Edit');
    }
  });

  it('gives every keybinding a when-clause and a declared command', () => {
    const declared = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const k of manifest.contributes.keybindings) {
      expect(declared.has(k.command), k.command).toBe(true);
      expect(k.when, `${k.command} ${k.key}`).toBeTruthy();
    }
    for (const items of Object.values(manifest.contributes.menus)) for (const m of items) expect(declared.has(m.command), m.command).toBe(true);
  });

  const settings = Object.fromEntries(manifest.contributes.configuration.flatMap((group) => Object.entries(group.properties)));

  it('mirrors the settings schema: same keys, same defaults and ranges, each with a type and description', () => {
    expect(Object.keys(settings).sort()).toEqual(SETTING_KEYS.map((k) => `sparkEdit.${k}`).sort());
    const defaults = SettingsSchema.parse({});
    for (const key of SETTING_KEYS) {
      const p = settings[`sparkEdit.${key}`]!;
      expect(p.default, key).toEqual(defaults[key]);
      expect(p.type, key).toBeTruthy();
      expect((p.description ?? p.markdownDescription ?? '').length, key).toBeGreaterThan(30);
      // A number's range in the Settings editor is the one the schema enforces.
      const schema = SettingsSchema.shape[key].unwrap();
      if (schema instanceof z.ZodNumber) expect([p.minimum, p.maximum], key).toEqual([schema.minValue, schema.maxValue]);
    }
    expect(settings['sparkEdit.onType']!.enum).toEqual(SettingsSchema.shape.onType.unwrap().options);
  });

  it('groups the settings (connection, live instruction, context, editing and review, limits), each with an order, in order', () => {
    expect(manifest.contributes.configuration.map((g) => g.title)).toEqual(['Connection', 'Live Instruction', 'Context', 'Editing and Review', 'Limits']);
    manifest.contributes.configuration.forEach((group, i) => {
      expect(group.order, group.title).toBe(i);
      expect(group.id, group.title).toMatch(/^sparkEdit\./);
      expect(Object.values(group.properties).map((p) => p.order), group.title).toEqual(Object.keys(group.properties).map((_, j) => j));
    });
  });

  it('builds the bundle before any vsce package or publish (vscode:prepublish), and package relies on it', () => {
    expect(manifest.scripts.package).toMatch(/^vsce package /);
    const out = mkdtempSync(join(tmpdir(), 'spark-prepublish-'));
    try {
      execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'vscode:prepublish'], { cwd: root, env: { ...process.env, SPARK_BUILD_OUT: out }, stdio: 'pipe' });
      const bundle = readFileSync(join(out, 'extension.js'), 'utf8');
      expect(bundle).toContain('activate');
      // The production bundle is minified: far fewer lines than characters / 100.
      expect(bundle.split('\n').length).toBeLessThan(bundle.length / 1_000);
      expect(existsSync(join(out, 'server.js'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it('points at the bundle and a VS Code version its types allow', () => {
    expect(manifest.main).toBe('./dist/extension.js');
    const engine = manifest.engines.vscode.replace(/^\^/, '');
    const types = manifest.devDependencies['@types/vscode']!.replace(/^[~^]/, '');
    expect(types.localeCompare(engine, undefined, { numeric: true })).toBeLessThanOrEqual(0);
  });

  it('ships the walkthrough media it names', () => {
    for (const w of manifest.contributes.walkthroughs) for (const s of w.steps) if (s.media.markdown) expect(() => readFileSync(join(root, s.media.markdown!))).not.toThrow();
  });

  it('Escape rejects or cancels only when nothing else in the editor wants it, and Ctrl+Enter never edits while streaming', () => {
    const escapes = manifest.contributes.keybindings.filter((k) => k.key === 'escape');
    // Reject by Escape takes two presses (see commands.ts): a hover hides on Escape's keydown, before any when-clause is read.
    expect(escapes.map((k) => k.command).sort()).toEqual(['sparkEdit.cancel', 'sparkEdit.rejectByEscape']);
    for (const k of escapes) {
      for (const other of ['!suggestWidgetVisible', '!editorHasMultipleSelections', '!editorHasSelection', '!parameterHintsVisible', '!renameInputVisible', '!inSnippetMode', '!findWidgetVisible', '!editorHoverVisible', '!codeActionMenuVisible', '!markersNavigationVisible', '!isComposing']) {
        expect(k.when, `${k.command}: ${other}`).toContain(other);
      }
    }
    const ctrlEnter = manifest.contributes.keybindings.filter((k) => k.key === 'ctrl+enter');
    expect(ctrlEnter.map((k) => [k.command, k.when])).toEqual([
      ['sparkEdit.accept', 'editorTextFocus && sparkEdit.reviewing && !sparkEdit.streaming'],
      ['sparkEdit.accept', 'editorTextFocus && sparkEdit.streaming'],
    ]);
    const ctrlI = manifest.contributes.keybindings.filter((k) => k.key === 'ctrl+i');
    expect(ctrlI.map((k) => k.command)).toEqual(['sparkEdit.editInline', 'sparkEdit.redirect', 'sparkEdit.explainReadOnly']);
    // The fallback must not shadow a built-in key: Cmd+Alt+I is Toggle Developer Tools on macOS.
    expect(manifest.contributes.keybindings.map((k) => (k as { mac?: string }).mac)).not.toContain('cmd+alt+i');
  });
});
