import * as vscode from 'vscode';
import { parseSettings, SETTING_KEYS, type Settings, type SettingsProblem } from '../../core/config/settings';

export const SECTION = 'sparkEdit';

/** Reads `sparkEdit.*` through the schema: a bad value falls back to its default and is reported. */
function readSettings(): { settings: Settings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) raw[key] = config.get(key);
  return parseSettings(raw);
}

/**
 * The settings as they are now, read once per change (a run reads them when
 * it starts, a flush several times a second): `current` is always fresh and
 * costs nothing.
 */
export class SettingsStore implements vscode.Disposable {
  private value: Settings;
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  /** Fires after `current` has been updated. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly onProblems: (problems: readonly SettingsProblem[]) => void) {
    const read = readSettings();
    this.value = read.settings;
    onProblems(read.problems);
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      const next = readSettings();
      this.value = next.settings;
      this.onProblems(next.problems);
      this.changed.fire(e);
    });
  }

  get current(): Settings {
    return this.value;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
