import { z } from 'zod';
import { err, ok, type Result } from '../result';

export const OPENAI_RESPONSES_WS = 'wss://api.openai.com/v1/responses';
export const CHATGPT_CODEX_WS = 'wss://chatgpt.com/backend-api/codex/responses';
/** The endpoint value that starts the bundled reference server inside the extension. */
export const LOCAL_ENDPOINT = 'local';

/**
 * Every `sparkEdit.*` setting with its default. package.json's
 * contributes.configuration mirrors this; a unit test keeps them in step.
 */
export const SettingsSchema = z.object({
  endpoint: z.string().min(1).default(OPENAI_RESPONSES_WS),
  model: z.string().min(1).default('gpt-5.3-codex-spark'),
  headers: z.record(z.string(), z.string()).default({}),
  flushIntervalMs: z.number().int().min(0).max(1000).default(16),
  applyMode: z.enum(['stream', 'preview']).default('stream'),
  /** `auto`: regions of at least patchMinLines lines are answered as a patch; `always` / `never` force it. */
  patchMode: z.enum(['auto', 'always', 'never']).default('auto'),
  patchMinLines: z.number().int().min(1).max(100_000).default(200),
  /** Alternatives: how many takes each edit asks for (they stream in parallel; Alt+] / Alt+[ cycle them under review). */
  alternatives: z.number().int().min(1).max(4).default(1),
  onType: z.enum(['cancel', 'redirect']).default('cancel'),
  redirectPauseMs: z.number().int().min(100).max(10_000).default(700),
  liveInstruction: z.boolean().default(true),
  liveInstructionPauseMs: z.number().int().min(50).max(5_000).default(300),
  liveInstructionMaxWaitMs: z.number().int().min(0).max(10_000).default(600),
  liveInstructionMinChars: z.number().int().min(1).max(200).default(4),
  liveInstructionMaxRequests: z.number().int().min(1).max(100).default(8),
  contextTokens: z.number().int().min(2_000).max(128_000).default(32_000),
  regionLines: z.number().int().min(1).max(2_000).default(40),
  stallTimeoutMs: z.number().int().min(1_000).max(600_000).default(8_000),
  /** Reasoning models may think in silence: the budget before the first output text. */
  firstOutputTimeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
  reasoningEffort: z.enum(['default', 'none', 'minimal', 'low', 'medium', 'high']).default('default'),
  /** ChatGPT account id for the Codex backend (sent as ChatGPT-Account-ID). */
  codexAccountId: z.string().default(''),
  allowInsecure: z.boolean().default(false),
  /** Show the model the project's rules files (AGENTS.md and the like). */
  includeRules: z.boolean().default(true),
  /** Show the model the definitions, from other files, of what the region uses. */
  includeRelatedCode: z.boolean().default(true),
  /** Idle connections close after this long: an idle window holds no socket and sends no heartbeat. */
  idleDisconnectSeconds: z.number().int().min(10).max(3_600).default(180),
});

export type Settings = z.infer<typeof SettingsSchema>;
export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

export type SettingsProblem = { readonly key: string; readonly message: string };

/**
 * Parses raw settings; a bad value falls back to its default and is reported,
 * so one typo never disables the extension.
 */
export function parseSettings(raw: Readonly<Record<string, unknown>>): { settings: Settings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const clean: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    const one = SettingsSchema.shape[key].safeParse(value);
    if (one.success) clean[key] = one.data;
    else problems.push({ key, message: one.error.issues[0]?.message ?? 'invalid value' });
  }
  return { settings: SettingsSchema.parse(clean), problems };
}

/** A usable endpoint: its URL, and whether it is this machine (no key needed). */
export interface CheckedEndpoint {
  readonly url: string;
  readonly local: boolean;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Refuses plaintext to anything but loopback unless the user opted in. */
export function checkEndpoint(endpoint: string, allowInsecure: boolean): Result<CheckedEndpoint, string> {
  if (endpoint === LOCAL_ENDPOINT) return ok({ url: endpoint, local: true });
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return err(`sparkEdit.endpoint is not a URL: "${endpoint}"`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    return err(`sparkEdit.endpoint must be a ws:// or wss:// URL (got ${url.protocol})`);
  }
  if (url.username || url.password) return err('sparkEdit.endpoint must not carry credentials; use "Spark Edit: Set API Key"');
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol === 'ws:' && !loopback && !allowInsecure) {
    return err(`refusing plaintext ws:// to ${url.hostname}: your code and API key would travel unencrypted. Use wss://, or set sparkEdit.allowInsecure.`);
  }
  return ok({ url: url.toString(), local: loopback });
}

/**
 * Whether a region is answered as a patch (only what changes) or rewritten
 * whole. A patch needs whole lines: the region starts a line and ends with a
 * line break.
 */
export function answerFormatFor(region: string, startsLine: boolean, settings: Pick<Settings, 'patchMode' | 'patchMinLines'>): 'rewrite' | 'patch' {
  if (settings.patchMode === 'never' || !startsLine || !region.endsWith('\n')) return 'rewrite';
  if (settings.patchMode === 'always') return 'patch';
  let lines = 0;
  for (let i = region.indexOf('\n'); i >= 0 && lines < settings.patchMinLines; i = region.indexOf('\n', i + 1)) lines++;
  return lines >= settings.patchMinLines ? 'patch' : 'rewrite';
}
