import * as vscode from 'vscode';
import { systemClock } from './core/clock';
import type { RunSnapshot } from './core/session/runController';
import { ApiKeyStore } from './vscode/apiKey';
import { ReviewCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { ConnectionManager } from './vscode/connection';
import { Decorations } from './vscode/decorations';
import { Log } from './vscode/log';
import { RunManager } from './vscode/runManager';
import { readSettings, SECTION } from './vscode/settings';
import { StatusBar } from './vscode/statusBar';

/** What the extension exports: read-only views for tests, benchmarks and other extensions. */
export interface SparkEditApi {
  runs(): RunSnapshot[];
  statusText(): string;
  statusTooltip(): string;
  editCalls(document: vscode.TextDocument): number;
  localServerUrl(): Promise<string | undefined>;
  /** Where this extension's log files live (tests check no secret reaches them). */
  logFolder(): vscode.Uri;
}

export function activate(context: vscode.ExtensionContext): SparkEditApi {
  const settings = () => readSettings().settings;
  const log = new Log();
  const keys = new ApiKeyStore(context.secrets);
  const status = new StatusBar();
  const connection = new ConnectionManager(settings, keys, log, status, systemClock);
  const decorations = new Decorations();
  // The lens reads runs from the manager, which renders through the lens: late-bound on purpose.
  const runsFor = { current: (_doc: vscode.TextDocument): RunSnapshot[] => [] };
  const codeLens = new ReviewCodeLens((doc) => runsFor.current(doc));
  const manager = new RunManager(connection, settings, log, status, decorations, codeLens, systemClock);
  runsFor.current = (doc) => manager.runsFor(doc);

  const reportSettingProblems = (): void => {
    for (const p of readSettings().problems) log.warn(`setting sparkEdit.${p.key} ignored: ${p.message}`);
  };
  reportSettingProblems();

  context.subscriptions.push(
    log,
    status,
    connection,
    decorations,
    codeLens,
    manager,
    ...registerCommands({ runs: manager, keys, connection, log, memento: context.globalState }),
    vscode.languages.registerCodeLensProvider({ scheme: '*' }, codeLens),
    vscode.workspace.onDidChangeTextDocument((e) => manager.onDidChangeTextDocument(e)),
    vscode.workspace.onDidCloseTextDocument((d) => manager.onDidCloseTextDocument(d)),
    vscode.window.onDidChangeActiveTextEditor(() => manager.renderNow()),
    vscode.window.onDidChangeVisibleTextEditors(() => manager.renderNow()),
    keys.onDidChange(() => connection.reset()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      reportSettingProblems();
      connection.reset();
      void connection.warm();
    }),
  );

  // Pre-warm the socket so the first edit pays no handshake; quietly, since no key may be set yet.
  void connection.warm().catch((error: unknown) => log.warn(`warm-up failed: ${String(error)}`));
  log.info(`Spark Edit activated (VS Code ${vscode.version})`);

  return {
    runs: () => manager.snapshots(),
    statusText: () => status.text,
    statusTooltip: () => status.tooltip,
    editCalls: (doc) => manager.editCalls(doc),
    localServerUrl: () => connection.localServerUrl(),
    logFolder: () => context.logUri,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
