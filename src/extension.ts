import * as vscode from 'vscode';
import { systemClock } from './core/clock';
import type { Settings } from './core/config/settings';
import { DisposableStore } from './core/lifetime';
import type { RunSnapshot } from './core/session/runController';
import type { ChannelStats } from './core/transport/responseChannel';
import { registerCommands } from './vscode/commands/commands';
import { QuickPickInstructionBox, ScriptedInstructionBox, type InstructionBox } from './vscode/commands/instructionInput';
import { ApiKeyStore } from './vscode/connection/apiKey';
import { ConnectionManager } from './vscode/connection/connectionManager';
import { DestinationGuard, modalPrompter, type Prompter } from './vscode/connection/destinations';
import { LocalSpeed } from './vscode/connection/localSpeed';
import { Attachments } from './vscode/editor/attachments';
import { ProjectContext } from './vscode/editor/projectContext';
import { DocumentEvents } from './vscode/editor/documentEvents';
import { Saves } from './vscode/editor/saves';
import { SelectionAfterRun } from './vscode/editor/selectionAfterRun';
import { Log } from './vscode/platform/log';
import { SettingsStore } from './vscode/platform/settings';
import { ReviewStore } from './vscode/runs/reviewStore';
import { RunActions } from './vscode/runs/runActions';
import { RunRegistry, type RunReport } from './vscode/runs/runRegistry';
import { ReviewCodeLens } from './vscode/views/codeLens';
import { editorTraffic, type TrafficCounts } from './vscode/platform/editorTraffic';
import { ContextKeys } from './vscode/views/contextKeys';
import { Decorations } from './vscode/views/decorations';
import { showRunReports } from './vscode/views/notifications';
import { ProblemWatcher } from './vscode/views/problems';
import { StatusBar } from './vscode/views/statusBar';

/** What the extension exports: read-only views for tests, benchmarks and other extensions. */
export interface SparkEditApi {
  runs(): RunSnapshot[];
  statusText(): string;
  /** Resolves when the latest context lookup (started when the instruction box opened) has finished: how long it took, what it found. */
  contextReady(): Promise<{ readonly ms: number; readonly rules: number; readonly definitions: number } | undefined>;
  statusTooltip(): string;
  editCalls(document: vscode.TextDocument): number;
  /** How much longer runs in this document hold their edits for the user's typing in another one (0: not held). */
  typingHoldMs(document: vscode.TextDocument): number;
  /** What the extension has sent the workbench's renderer so far (edits, decorations, lens refreshes, …). */
  traffic(): Readonly<TrafficCounts>;
  /** Every run's phase and every document sync's state, a line each: what a test that timed out prints. */
  describeState(): string[];
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
  /** Answers the security prompts in place of the user (tests), until `restore`. */
  scriptPrompts(answer: (message: string) => string | undefined): { restore: () => void };
  /** The latest reports of runs (errors, warnings, info), newest last, each with its index among all reports so far. */
  reports(): readonly (RunReport & { readonly index: number })[];
  /** What is still alive: runs, documents, timers, sockets, the bundled server (zero after deactivation). */
  resources(): { runs: number; documents: number; timers: number; sockets: number; localServer: boolean };
}

/**
 * Everything the extension owns is added to one store, in order of creation;
 * `deactivate` (which VS Code awaits) keeps the reviews for the next window,
 * disposes the store in reverse and waits for the bundled server to close.
 */
let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): SparkEditApi {
  const owned = new DisposableStore();
  const clock = systemClock;
  const log = owned.add(new Log());
  const settings = owned.add(new SettingsStore((problems) => problems.forEach((p) => log.warn(`setting sparkEdit.${p.key} ignored: ${p.message}`))));
  const current = (): Settings => settings.current;
  const keys = owned.add(new ApiKeyStore(context.secrets));
  const destinations = new DestinationGuard(context.globalState, log);
  const connection = owned.add(new ConnectionManager(current, keys, destinations, log, clock, versionOf(context)));
  const localSpeed = new LocalSpeed(context.globalState);
  const projectContext = owned.add(new ProjectContext(log, () => ({ rules: current().includeRules, relatedCode: current().includeRelatedCode })));
  const registry = owned.add(new RunRegistry(connection, current, log, clock, (s) => localSpeed.metadataFor(s.endpoint)));
  const actions = new RunActions(registry);
  const saves = owned.add(new Saves(registry, log, clock));
  owned.add(new DocumentEvents(registry, saves, log));
  owned.add(new SelectionAfterRun(registry));
  const status = owned.add(new StatusBar(registry, connection, clock));
  const problems = owned.add(new ProblemWatcher(registry, clock));
  const codeLens = owned.add(new ReviewCodeLens(registry, problems, clock));
  owned.add(new Decorations(registry));
  owned.add(new ContextKeys(registry));
  owned.add(showRunReports(registry, log, clock));
  const reports: (RunReport & { index: number })[] = [];
  let reported = 0;
  owned.add(registry.onDidReport((r) => reports.push({ ...r, index: reported++ }) > 20 && reports.shift()));
  const realBox = new QuickPickInstructionBox(context.globalState);
  let box: InstructionBox = realBox;
  const attachments = new Attachments(log, clock);
  for (const command of registerCommands({ registry, actions, saves, keys, connection, destinations, localSpeed, projectContext, attachments, log, problems, settings: current, clock, box: () => box })) owned.add(command);
  owned.add(vscode.languages.registerCodeLensProvider({ scheme: '*' }, codeLens));
  // Runs in flight keep their sockets and settings; the next run connects with the new ones.
  owned.add(keys.onDidChange(() => connection.reset()));
  owned.add(settings.onDidChange(() => connection.reset()));
  const reviews = new ReviewStore(context.workspaceState, registry, log, clock);
  reviews.start().catch((error: unknown) => log.warn(`could not restore the last window's reviews: ${String(error)}`));

  shutdown = async () => {
    shutdown = undefined;
    // First keep what is under review (live runs as partial), before stopping anything changes it.
    await reviews.save().catch((error: unknown) => log.warn(`could not keep the reviews for the next window: ${String(error)}`));
    reviews.dispose();
    owned.dispose();
    await connection.close();
  };
  context.subscriptions.push({ dispose: () => void shutdown?.() });
  log.info(`Spark Edit activated (VS Code ${vscode.version})`);

  return {
    runs: () => registry.snapshots(),
    statusText: () => status.text,
    contextReady: async () => {
      const found = await projectContext.whenLatestReady();
      return found && { ms: found.ms, rules: found.rules.length, definitions: found.definitions.length };
    },
    statusTooltip: () => status.tooltip,
    editCalls: (doc) => registry.editCalls(doc),
    typingHoldMs: (doc) => registry.typingElsewhereForMs(doc),
    traffic: () => editorTraffic.mark(),
    describeState: () => registry.describe(),
    localServerUrl: () => connection.localServerUrl(),
    logFolder: () => context.logUri,
    connectionStats: () => connection.stats(),
    resources: () => ({ ...registry.resources(), ...connection.resources() }),
    reviewsSaved: () => reviews.save(),
    reports: () => [...reports],
    scriptInstructionBox: () => {
      const scripted = new ScriptedInstructionBox();
      box = scripted;
      return { box: scripted, restore: () => (box = realBox) };
    },
    scriptPrompts: (answer) => {
      const scripted: Prompter = { ask: (message) => Promise.resolve(answer(message)) };
      destinations.usePrompter(scripted);
      return { restore: () => destinations.usePrompter(modalPrompter) };
    },
    problems: (runId) => {
      const check = problems.check(runId);
      return check && { status: check.status, added: check.status === 'checked' ? check.added.map((d) => d.message) : [] };
    },
  };
}

/** The extension's own version, from its manifest. */
function versionOf(context: vscode.ExtensionContext): string {
  const version: unknown = (context.extension.packageJSON as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}

export async function deactivate(): Promise<void> {
  await shutdown?.();
}
