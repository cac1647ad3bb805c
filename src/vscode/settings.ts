import * as vscode from 'vscode';
import { parseSettings, SETTING_KEYS, type Settings, type SettingsProblem } from '../core/config/settings';

export const SECTION = 'sparkEdit';

/** Reads `sparkEdit.*` through the zod schema: a bad value falls back to its default and is reported. */
export function readSettings(): { settings: Settings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) raw[key] = config.get(key);
  return parseSettings(raw);
}
