import * as vscode from 'vscode';
import { z } from 'zod';
import { LOCAL_ENDPOINT, SettingsSchema, type Settings } from '../../core/config/settings';
import { err, ok, type Result } from '../../core/result';
import { redactUrl } from '../../core/transport/wsTransport';
import type { Log } from '../platform/log';
import { SECTION } from '../platform/settings';

/** The settings that decide where requests, and the API key, go. */
const DESTINATION_KEYS = ['endpoint', 'headers', 'allowInsecure', 'codexAccountId'] as const;
export type DestinationKey = (typeof DESTINATION_KEYS)[number];
export type Destination = Pick<Settings, DestinationKey>;

/** A workspace's value for a destination setting that differs from the user's own and waits for their word. */
export interface PendingDestination {
  readonly key: DestinationKey;
  readonly value: unknown;
  /** What it means, in a sentence a user can judge. */
  readonly description: string;
}

/** Asks the user (a modal in the product; a script in the integration tests). */
export interface Prompter {
  ask(message: string, detail: string, choices: readonly string[]): Promise<string | undefined>;
}

export const modalPrompter: Prompter = {
  ask: async (message, detail, choices) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...choices),
};

const DecisionsSchema = z.record(z.string(), z.record(z.string(), z.object({ value: z.string(), decision: z.enum(['allow', 'deny']) })));
type Decisions = z.infer<typeof DecisionsSchema>;
const STORE_KEY = 'sparkEdit.destinationDecisions';
const ALLOW = 'Allow';
const DENY = 'Use My Own Setting';

/** This workspace, as the decisions are kept: its .code-workspace file, or its folders. */
function workspaceId(): string | undefined {
  if (vscode.workspace.workspaceFile) return vscode.workspace.workspaceFile.toString();
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.length > 0 ? folders.map((f) => f.uri.toString()).join('\n') : undefined;
}

function describe(key: DestinationKey, value: unknown): string {
  switch (key) {
    case 'endpoint':
      return `sends your code and your API key to ${typeof value === 'string' ? redactUrl(value) : String(value)}`;
    case 'headers':
      return `adds the headers ${typeof value === 'object' && value !== null ? Object.keys(value).join(', ') || '(none)' : String(value)} to every connection`;
    case 'allowInsecure':
      return value === true ? 'allows plaintext ws:// to other machines (your code and key unencrypted)' : 'forbids plaintext ws://';
    case 'codexAccountId':
      return 'sends a ChatGPT account id of its choosing';
  }
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A repository must never get the user's key: a destination setting (the
 * endpoint, headers, the insecure flag, the account id) that comes from
 * workspace settings and differs from the user's own is used only once the
 * user approved that exact value for that workspace; until then the run
 * stops and says so. The bundled `local` endpoint needs no approval. A
 * decision is kept per workspace and per value (a changed value asks again)
 * and can be revoked.
 */
export class DestinationGuard {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly log: Log,
    private prompter: Prompter = modalPrompter,
  ) {}

  /** Replaces the prompter (integration tests answer the modal through this). */
  usePrompter(prompter: Prompter): void {
    this.prompter = prompter;
  }

  /** Where requests go under `settings`, or what waits for the user's approval. */
  resolve(settings: Settings): Result<Destination, { message: string; pending: PendingDestination[] }> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const destination: Record<string, unknown> = {};
    const pending: PendingDestination[] = [];
    for (const key of DESTINATION_KEYS) {
      const info = config.inspect(key);
      const fromWorkspace = info?.workspaceFolderValue ?? info?.workspaceValue;
      const own = info?.globalValue ?? info?.defaultValue;
      if (fromWorkspace === undefined || sameValue(fromWorkspace, own) || (key === 'endpoint' && fromWorkspace === LOCAL_ENDPOINT)) {
        destination[key] = settings[key];
        continue;
      }
      const decision = this.decision(key, fromWorkspace);
      if (decision === 'allow') destination[key] = settings[key];
      else if (decision === 'deny') destination[key] = SettingsSchema.shape[key].safeParse(own).data ?? SettingsSchema.parse({})[key];
      else pending.push({ key, value: fromWorkspace, description: describe(key, fromWorkspace) });
    }
    if (pending.length === 0) return ok(destination as Destination);
    const what = pending.map((p) => `sparkEdit.${p.key} (it ${p.description})`).join('; ');
    return err({ message: `this workspace's settings change where Spark Edit connects: ${what}. Nothing is sent until you approve it.`, pending });
  }

  /** Asks about every workspace value waiting for approval; true when any decision was made. */
  async review(settings: Settings): Promise<boolean> {
    const id = workspaceId();
    const resolved = this.resolve(settings);
    if (resolved.ok || !id) return false;
    let decided = false;
    for (const p of resolved.error.pending) {
      const answer = await this.prompter.ask(
        `This workspace's settings want Spark Edit to use a different ${p.key === 'endpoint' ? 'endpoint' : `sparkEdit.${p.key}`}.`,
        `The workspace sets sparkEdit.${p.key}: it ${p.description}.\n\nAllow it only if you trust this repository. "${DENY}" keeps your own setting for this workspace.`,
        [ALLOW, DENY],
      );
      if (answer !== ALLOW && answer !== DENY) continue;
      await this.remember(id, p.key, p.value, answer === ALLOW ? 'allow' : 'deny');
      this.log.info(`${answer === ALLOW ? 'allowed' : 'declined'} this workspace's sparkEdit.${p.key}`);
      decided = true;
    }
    return decided;
  }

  /** Every decision kept, for the command that lists and revokes them. */
  decisions(): { workspace: string; key: string; value: string; decision: 'allow' | 'deny' }[] {
    return Object.entries(this.read()).flatMap(([workspace, byKey]) => Object.entries(byKey).map(([key, d]) => ({ workspace, key, value: d.value, decision: d.decision })));
  }

  async revoke(workspace: string, key: string): Promise<void> {
    const all = this.read();
    const byKey = { ...all[workspace] };
    delete byKey[key];
    const next: Decisions = { ...all, [workspace]: byKey };
    if (Object.keys(byKey).length === 0) delete next[workspace];
    await this.memento.update(STORE_KEY, next);
  }

  private decision(key: DestinationKey, value: unknown): 'allow' | 'deny' | undefined {
    const id = workspaceId();
    const kept = id ? this.read()[id]?.[key] : undefined;
    return kept && kept.value === JSON.stringify(value) ? kept.decision : undefined;
  }

  private async remember(workspace: string, key: DestinationKey, value: unknown, decision: 'allow' | 'deny'): Promise<void> {
    const all = this.read();
    await this.memento.update(STORE_KEY, { ...all, [workspace]: { ...all[workspace], [key]: { value: JSON.stringify(value), decision } } });
  }

  private read(): Decisions {
    const parsed = DecisionsSchema.safeParse(this.memento.get<unknown>(STORE_KEY, {}));
    return parsed.success ? parsed.data : {};
  }
}
