import type * as vscode from 'vscode';
import { checkEndpoint } from '../../core/config/settings';

const KEY = 'sparkEdit.localTokensPerSecond';

/** The rates offered in the palette: slow enough to watch and redirect by hand, up to faster than the model. */
export const LOCAL_SPEEDS: readonly { readonly tokensPerSecond: number; readonly label: string; readonly detail: string }[] = [
  { tokensPerSecond: 25, label: '25 tokens/s', detail: 'Watch every token: time to redirect, or to review hunks while it streams' },
  { tokensPerSecond: 100, label: '100 tokens/s', detail: 'A block takes a few seconds' },
  { tokensPerSecond: 1_000, label: '1,000 tokens/s', detail: 'Codex-Spark speed (the default)' },
  { tokensPerSecond: 5_000, label: '5,000 tokens/s', detail: 'Faster than the model' },
];

/**
 * How fast a local reference server answers, chosen from the palette (Spark
 * Edit: Set Local Server Speed) rather than a setting: a knob for trying the
 * extension, kept per machine. It reaches the server as request metadata
 * (`spark_tps`), and only a local endpoint (the bundled server or a ws://
 * loopback one) is sent it.
 */
export class LocalSpeed {
  constructor(private readonly state: vscode.Memento) {}

  get tokensPerSecond(): number | undefined {
    return this.state.get<number>(KEY);
  }

  async set(tokensPerSecond: number | undefined): Promise<void> {
    await this.state.update(KEY, tokensPerSecond);
  }

  /** The metadata that asks a local server for the chosen rate; none for a remote endpoint or when none was chosen. */
  metadataFor(endpoint: string): Readonly<Record<string, string>> | undefined {
    const rate = this.tokensPerSecond;
    if (rate === undefined) return undefined;
    const checked = checkEndpoint(endpoint, false);
    return checked.ok && checked.value.local ? { spark_tps: String(rate) } : undefined;
  }
}
