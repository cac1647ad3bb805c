import * as vscode from 'vscode';
import { systemClock } from './core/clock';
import type { RunSnapshot } from './core/session/runController';
import type { ChannelStats } from './core/transport/responseChannel';
import { ApiKeyStore } from './vscode/apiKey';
import { ReviewCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { QuickPickInstructionBox, ScriptedInstructionBox } from './vscode/instructionInput';
import { ConnectionManager } from './vscode/connectionManager';
import { ContextKeys } from './vscode/contextKeys';
import { Decorations } from './vscode/decorations';
import { Log } from './vscode/log';
import { showRunReports } from './vscode/notifications';
import { ProblemWatcher } from './vscode/problems';
import { ReviewStore } from './vscode/reviewStore';
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
  /** The connection pool's counters: connections opened, cold requests, steers. */
  connectionStats(): Readonly<ChannelStats> | undefined;
  /** Problems before / after a run under review: 'checking', 'not checked', or the new problems' messages. */
  problems(runId: string): { status: string; added: string[] } | undefined;
  /** Resolves once the reviews kept for the next window are written (a reload test waits for this). */
  reviewsSaved(): Promise<void>;
  /**
   * Replaces the instruction box with one a test drives (nothing can type
   * into a QuickPick from the extension host); `restore` brings the real one back.
   */
  scriptInstructionBox(): { box: ScriptedInstructionBox; restore: () => void };
  /** What is still alive: runs, documents, timers, sockets, the bundled server (zero after deactivation). */
  resources(): { runs: number; documents: number; timers: number; sockets: number; localServer: boolean };
}

/**
 * Everything the extension owns, in one place. `deactivate` (which VS Code
 * awaits) disposes it and waits for the bundled server to close; disposing
 * twice does nothing.
 */
let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): SparkEditApi {
  const settings = () => readSettings().settings;
  const log = new Log();
  const keys = new ApiKeyStore(context.secrets);
  const connection = new ConnectionManager(settings, keys, log, systemClock);
  const manager = new RunManager(connection, settings, log, systemClock);
  const status = new StatusBar(manager, connection);
  const problems = new ProblemWatcher(manager);
  const codeLens = new ReviewCodeLens(manager, problems);
  const reportSettingProblems = (): void => {
    for (const p of readSettings().problems) log.warn(`setting sparkEdit.${p.key} ignored: ${p.message}`);
  };
  reportSettingProblems();
  const warm = (): void => {
    // Quietly: no key may be set yet.
    connection.warm().catch((error: unknown) => log.warn(`warm-up failed: ${String(error)}`));
  };

  const realBox = new QuickPickInstructionBox(context.globalState);
  let box: QuickPickInstructionBox | ScriptedInstructionBox = realBox;

  const owned: vscode.Disposable[] = [
    log,
    keys,
    connection,
    manager,
    status,
    problems,
    codeLens,
    new Decorations(manager),
    new ContextKeys(manager),
    showRunReports(manager, log),
    ...registerCommands({ runs: manager, keys, connection, log, problems, box: () => box }),
    vscode.languages.registerCodeLensProvider({ scheme: '*' }, codeLens),
    vscode.workspace.onDidChangeTextDocument((e) => manager.onDidChangeTextDocument(e)),
    vscode.workspace.onDidCloseTextDocument((d) => manager.onDidCloseTextDocument(d)),
    vscode.workspace.onWillSaveTextDocument((e) => manager.onWillSaveTextDocument(e.document)),
    vscode.workspace.onDidSaveTextDocument((d) => manager.onDidSaveTextDocument(d)),
    vscode.window.tabGroups.onDidChangeTabs((e) => manager.onDidCloseTabs(e.closed.flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri] : [])))),
    keys.onDidChange(() => connection.reset()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      reportSettingProblems();
      // Runs in flight keep their sockets and settings; the next run connects with the new ones.
      connection.reset();
      warm();
    }),
  ];
  const reviews = new ReviewStore(context.workspaceState, manager, log);
  reviews.start().catch((error: unknown) => log.warn(`could not restore the last window's reviews: ${String(error)}`));
  shutdown = async () => {
    shutdown = undefined;
    // First keep what is under review (live runs as partial), before stopping anything changes it.
    await reviews.save().catch((error: unknown) => log.warn(`could not keep the reviews for the next window: ${String(error)}`));
    reviews.dispose();
    // In reverse order of creation: listeners and views, then the runs (they cancel their responses), then the sockets and the server, the log last.
    for (const d of [...owned].reverse()) d.dispose();
    await connection.close();
  };
  context.subscriptions.push({ dispose: () => void shutdown?.() });

  // Pre-warm the socket so the first edit pays no handshake.
  warm();
  log.info(`Spark Edit activated (VS Code ${vscode.version})`);

  return {
    runs: () => manager.snapshots(),
    statusText: () => status.text,
    statusTooltip: () => status.tooltip,
    editCalls: (doc) => manager.editCalls(doc),
    localServerUrl: () => connection.localServerUrl(),
    logFolder: () => context.logUri,
    connectionStats: () => connection.stats(),
    resources: () => ({ ...manager.resources(), ...connection.resources() }),
    reviewsSaved: () => reviews.save(),
    scriptInstructionBox: () => {
      const scripted = new ScriptedInstructionBox();
      box = scripted;
      return { box: scripted, restore: () => (box = realBox) };
    },
    problems: (runId) => {
      const check = problems.check(runId);
      return check && { status: check.status, added: check.status === 'checked' ? check.added.map((d) => d.message) : [] };
    },
  };
}

export async function deactivate(): Promise<void> {
  await shutdown?.();
}
