import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { LOCAL_ENDPOINT, type Settings } from '../../core/config/settings';
import { pickRegion } from '../../core/edit/regionPicker';
import type { Region } from '../../core/edit/regionTracker';
import { err, ok, type Result } from '../../core/result';
import type { ApiKeyStore } from '../connection/apiKey';
import type { ConnectionManager } from '../connection/connectionManager';
import type { DestinationGuard } from '../connection/destinations';
import type { Attachments } from '../editor/attachments';
import type { ContextLookup, GatheredContext, ProjectContext } from '../editor/projectContext';
import type { RunController, RunOptions } from '../../core/session/runController';
import { problemsNear } from '../views/problems';
import { LOCAL_SPEEDS, type LocalSpeed } from '../connection/localSpeed';
import type { Saves } from '../editor/saves';
import type { Log } from '../platform/log';
import { SECTION } from '../platform/settings';
import type { RunActions } from '../runs/runActions';
import type { RunRegistry, StartFailure } from '../runs/runRegistry';
import type { ProblemWatcher } from '../views/problems';
import type { InstructionBox } from './instructionInput';
import { LiveInstructionSession, type PreviewTarget } from './liveInstruction';

/** The run ids a start made, or why it made none. */
export type StartResult = Result<string[], StartFailure>;

const SELECTION_GONE = 'the selection is gone (the file changed while the instruction box was open); nothing was changed';

/** How long Ctrl+S waits for a streaming edit to land before it stops it and saves. */
const SAVE_WAIT_MS = 2_000;

/**
 * Reject by Escape takes two presses this close together: the editor hides
 * an open hover on the key's way down, before any when-clause is read, so
 * one Escape meant to close a hover would otherwise throw the edit away.
 */
const ESCAPE_TWICE_MS = 2_000;

/** Optional arguments, so tests and keybindings can pass what a user would type. */
interface InstructionArgs {
  readonly instruction?: string;
}

export interface CommandDeps {
  readonly registry: RunRegistry;
  readonly actions: RunActions;
  readonly saves: Saves;
  readonly keys: ApiKeyStore;
  readonly connection: ConnectionManager;
  readonly destinations: DestinationGuard;
  readonly localSpeed: LocalSpeed;
  readonly projectContext: ProjectContext;
  readonly attachments: Attachments;
  readonly log: Log;
  readonly problems: ProblemWatcher;
  readonly settings: () => Settings;
  readonly clock: Clock;
  /** Where instructions are typed (the QuickPick; a scripted box in integration tests). */
  readonly box: () => InstructionBox;
}

const instructionFrom = (args: unknown): string | undefined =>
  typeof args === 'object' && args !== null && typeof (args as InstructionArgs).instruction === 'string' ? (args as InstructionArgs).instruction : undefined;

function selectionRegions(editor: vscode.TextEditor): Region[] {
  const doc = editor.document;
  return editor.selections.filter((s) => !s.isEmpty).map((s) => ({ start: doc.offsetAt(s.start), end: doc.offsetAt(s.end) }));
}

const inform = (message: string): void => void vscode.window.showInformationMessage(`Spark Edit: ${message}`).then(undefined, () => undefined);

/** What the instruction box says of the context the model will see. */
function describeContext(context: GatheredContext): string | undefined {
  const parts = [...(context.rules.length > 0 ? [`rules: ${context.rules.map((r) => r.label).join(', ')}`] : []), ...(context.definitions.length > 0 ? [`${context.definitions.length} related definition${context.definitions.length > 1 ? 's' : ''}`] : [])];
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** The editor an edit command works in, or why there is none (said, never silently nothing). */
function editableEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    inform('open a file and put the cursor in it first: Spark Edit edits the text of an editor.');
    return undefined;
  }
  if (editor.document.uri.scheme === 'output' || editor.document.uri.scheme === 'vscode') {
    inform('this view is read-only: open a file to edit.');
    return undefined;
  }
  return editor;
}

/** Every command of the extension; package.json lists the same ids (a unit test checks). */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { registry, actions, saves, keys, connection, destinations, localSpeed, projectContext, attachments, log, problems, settings, clock, box } = deps;

  const explainFailure = (result: StartResult): StartResult => {
    if (!result.ok && result.error.reason !== 'empty') {
      log.warn(result.error.message);
      void vscode.window.showErrorMessage(`Spark Edit: ${result.error.message}`).then(undefined, () => undefined);
    }
    return result;
  };

  /**
   * Picks the regions from the editor as it is *now* and starts at once: the
   * document may have changed while the box was open (a keystroke that
   * reached the editor first, a file reloaded from disk), and VS Code's
   * selections follow such changes where offsets taken before would not.
   */
  const startOrdinary = (editor: vscode.TextEditor, pickRegions: (editor: vscode.TextEditor) => Region[] | string, instruction: string, project?: RunOptions['project']): StartResult => {
    const regions = pickRegions(editor);
    // The range is already being edited (a run started while the box was open; its start collapsed the selection, or it overlaps): the instruction redirects it, never dropped.
    const redirectInstead = (failure: () => StartResult): StartResult => {
      log.info(`"${instruction}": that range is being edited, so it redirects the run there`);
      return actions.redirect(editor.document, instruction) > 0 ? ok([]) : failure();
    };
    if (typeof regions === 'string' && registry.isLive(editor.document)) return redirectInstead(() => err({ reason: 'empty', message: regions }));
    if (typeof regions === 'string') {
      log.warn(regions);
      void vscode.window.showWarningMessage(`Spark Edit: ${regions}`).then(undefined, () => undefined);
      return err({ reason: 'empty', message: regions });
    }
    const result = registry.start(editor.document, regions, instruction, false, project);
    return !result.ok && result.error.reason === 'overlap' ? redirectInstead(() => explainFailure(result)) : explainFailure(result);
  };

  /**
   * Asks in the instruction box; with live instruction on, what is typed is
   * previewed through `target` while the box is open (Enter keeps the
   * preview, Escape puts back what was there).
   */
  const askLive = async (options: { title: string; prefill?: string; detail?: Promise<string | undefined> }, target: PreviewTarget): Promise<StartResult | undefined> => {
    // The socket opens while the instruction is typed: the handshake hides behind the typing, and no window connects before it is asked to.
    connection.warm().catch((error: unknown) => log.warn(`could not open the connection ahead: ${String(error)}`));
    const current = settings();
    const live = current.liveInstruction
      ? new LiveInstructionSession(
          registry,
          actions,
          target,
          { pauseMs: current.liveInstructionPauseMs, maxWaitMs: current.liveInstructionMaxWaitMs, minChars: current.liveInstructionMinChars, maxRequests: current.liveInstructionMaxRequests },
          log,
          clock,
          options.prefill,
        )
      : undefined;
    try {
      const onChange = (text: string): unknown => {
        // What the instruction attaches is read while the rest is typed.
        attachments.notice(text);
        return live?.changed(text);
      };
      const instruction = await box().ask({ ...options, onChange, suggest: (word) => attachments.suggest(word) });
      if (!instruction) {
        live?.dismissed();
        return undefined;
      }
      await attachments.resolve(instruction);
      return live ? live.accepted(instruction) : target.ordinary(instruction);
    } finally {
      live?.dispose();
    }
  };

  /**
   * Asks for the instruction and starts the edit. With live instruction on,
   * each pause in typing previews the edit in place; Enter keeps it, Escape
   * restores the original.
   */
  const run = async (editor: vscode.TextEditor, pickRegions: (editor: vscode.TextEditor) => Region[] | string, title: string, args: unknown): Promise<StartResult | undefined> => {
    // What the model is shown besides the file is looked up now, while the instruction is typed; a request takes what is ready.
    const picked = pickRegions(editor);
    let lookup: ContextLookup | undefined;
    let project: RunOptions['project'];
    if (typeof picked !== 'string') {
      const document = editor.document;
      const found = projectContext.lookup(document, picked);
      lookup = found;
      // The problems near the region are read when a request is built: they are only sent when the instruction says #problems.
      project = () => ({ ...(found.current() ?? { rules: [], definitions: [] }), ...problemsNear(document, picked), attachments: attachments.parts() });
    }
    // Once the box has closed (Enter sent what was ready; Escape needs nothing), the lookup stops asking.
    try {
      const given = instructionFrom(args);
      if (given) {
        await attachments.resolve(given);
        return startOrdinary(editor, pickRegions, given, project);
      }
      return await askLive(
        { title, ...(lookup ? { detail: lookup.ready.then(describeContext) } : {}) },
        {
          begin: (instruction) => {
            const regions = pickRegions(editor);
            if (typeof regions === 'string') return err(regions);
            if (regions.length !== 1) return err('previews edit one region; Enter edits every selection');
            const started = registry.start(editor.document, regions, instruction, true, project);
            return started.ok ? ok(started.value[0]!) : err(started.error.message);
          },
          ordinary: (instruction) => startOrdinary(editor, pickRegions, instruction, project),
        },
      );
    } finally {
      lookup?.stop();
    }
  };

  /**
   * Ctrl+I in an edit under review refines it: the model is told the earlier
   * instructions (and continues its own response where the connection still
   * holds it), the result is one more Undo step, and Reject still puts back
   * the text from before the first instruction.
   */
  const followUp = async (run: RunController, args: unknown): Promise<StartResult | undefined> => {
    const id = run.id;
    const gone = 'the edit under review is gone';
    const ordinary = (instruction: string): StartResult => (actions.redirectRun(id, instruction) ? ok([id]) : err({ reason: 'empty', message: gone }));
    const given = instructionFrom(args);
    if (given) return ordinary(given);
    const { instruction, history } = run.snapshot.state;
    const earlier = [...history, instruction].map((i) => `“${i}”`).join(' → ');
    return askLive(
      { title: `Spark Edit: follow up on ${earlier} (Reject puts back the text from before the first)` },
      { begin: (next) => (actions.redirectRun(id, next, true) ? ok(id) : err(gone)), ordinary },
    );
  };

  const editInline = async (args?: unknown): Promise<StartResult | undefined> => {
    const editor = editableEditor();
    if (!editor) return undefined;
    if (registry.isLive(editor.document)) return redirect(args);
    if (editor.selections.length === 1) {
      const { document, selection } = editor;
      const reviewed = actions.reviewedRunAt(document, document.offsetAt(selection.start), document.offsetAt(selection.end));
      if (reviewed) return followUp(reviewed, args);
    }
    const hadSelection = selectionRegions(editor).length > 0;
    return run(
      editor,
      (e) => {
        const selected = selectionRegions(e);
        if (selected.length > 0) return selected;
        if (hadSelection) return SELECTION_GONE;
        const doc = e.document;
        return [pickRegion(doc.getText(), doc.offsetAt(e.selection.active), settings().regionLines)];
      },
      'Spark Edit: what should change here?',
      args,
    );
  };

  const refactorSelection = async (args?: unknown): Promise<StartResult | undefined> => {
    const editor = editableEditor();
    if (!editor) return undefined;
    const regions = selectionRegions(editor);
    if (regions.length === 0) {
      inform('select the code to refactor first.');
      return undefined;
    }
    return run(editor, (e) => (selectionRegions(e).length > 0 ? selectionRegions(e) : SELECTION_GONE), `Spark Edit: refactor ${regions.length > 1 ? `${regions.length} selections` : 'the selection'}`, args);
  };

  const redirect = async (args?: unknown): Promise<StartResult | undefined> => {
    const editor = editableEditor();
    if (!editor) return undefined;
    const document = editor.document;
    const previous = actions.lastInstruction(document);
    if (previous === undefined) return editInline(args);
    const ordinary = (instruction: string): StartResult => (actions.redirect(document, instruction) > 0 ? ok([]) : err({ reason: 'empty', message: 'no run to redirect' }));
    const given = instructionFrom(args);
    if (given) return ordinary(given);
    // Live: with one run in the document, each pause in typing redirects it as a preview (Escape puts back
    // what it had written when the redirect began); with several, Enter redirects them all.
    return askLive(
      { title: 'Spark Edit: redirect (keeps what was written so far)', prefill: previous },
      {
        begin: (instruction) => {
          const id = actions.soleRun(document);
          if (id === undefined) return err('a live redirect previews one run; Enter redirects them all');
          return actions.redirectRun(id, instruction, true) ? ok(id) : err('the run is gone');
        },
        ordinary,
      },
    );
  };

  const setApiKey = async (args?: unknown): Promise<boolean> => {
    const given = typeof args === 'string' ? args : undefined;
    const value =
      given ??
      (await vscode.window.showInputBox({
        title: 'Spark Edit: API key',
        prompt: 'Stored in VS Code SecretStorage, never in settings or logs.',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim().length < 8 ? 'That looks too short for an API key.' : undefined),
      }));
    if (!value) return false;
    await keys.set(value);
    log.addSecret(value.trim());
    connection.reset();
    log.info('API key stored in SecretStorage');
    return true;
  };

  const active = (): vscode.TextDocument | undefined => vscode.window.activeTextEditor?.document;

  /** From a CodeLens (run and hunk ids) or a key (the hunk at the cursor). */
  const decideHunk = (decision: 'accept' | 'reject', runId: unknown, hunkId: unknown): boolean => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return false;
    const target = typeof runId === 'string' && typeof hunkId === 'string' ? { runId, hunkId } : { offset: editor.document.offsetAt(editor.selection.active) };
    return actions.decideHunk(editor.document, target, decision);
  };

  /** Moves the cursor to the next (or previous) pending hunk, wrapping around, and reveals it. */
  const goToHunk = (direction: 1 | -1): boolean => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return false;
    const hunks = actions.hunksFor(editor.document);
    if (hunks.length === 0) return false;
    const at = editor.document.offsetAt(editor.selection.active);
    const next = direction === 1 ? (hunks.find((h) => h.hunk.range.start > at) ?? hunks[0]!) : ([...hunks].reverse().find((h) => h.hunk.range.start < at) ?? hunks.at(-1)!);
    const position = editor.document.positionAt(next.hunk.range.start);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  };

  /** Alt+] / Alt+[ (or the lens): another take of the edit under review; says why when there is none to show. */
  const showTake = (direction: 1 | -1, runId: unknown): number | undefined => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const target = typeof runId === 'string' ? { runId } : { offset: editor.document.offsetAt(editor.selection.active) };
    const shown = actions.cycleTake(editor.document, target, direction);
    if (shown === undefined) vscode.window.setStatusBarMessage('$(versions) Spark Edit: no other take to show yet (sparkEdit.alternatives asks for more)', 3_000);
    return shown;
  };

  /** The first Escape of a pair: the document and when. */
  let escapeArmed: { readonly uri: string; readonly at: number } | undefined;
  const rejectByEscape = (): number => {
    const doc = active();
    if (!doc) return 0;
    const now = clock.now();
    if (escapeArmed?.uri === doc.uri.toString() && now - escapeArmed.at < ESCAPE_TWICE_MS) {
      escapeArmed = undefined;
      return actions.decide('reject', { document: doc });
    }
    escapeArmed = { uri: doc.uri.toString(), at: now };
    vscode.window.setStatusBarMessage('$(discard) Escape again to reject the edit · Ctrl+Enter keeps it', ESCAPE_TWICE_MS);
    return 0;
  };

  const decide = (decision: 'accept' | 'reject', runId: unknown): number => {
    if (typeof runId === 'string') return actions.decide(decision, { runId });
    const doc = active();
    return doc ? actions.decide(decision, { document: doc }) : 0;
  };

  /** Spark Edit: Set Local Server Speed (a number from a script or test, else a quick pick). */
  async function setLocalSpeed(given: unknown): Promise<void> {
    let rate = typeof given === 'number' && Number.isInteger(given) && given > 0 ? given : undefined;
    if (rate === undefined) {
      const current = localSpeed.tokensPerSecond ?? 1_000;
      const picked = await vscode.window.showQuickPick(
        LOCAL_SPEEDS.map((s) => ({ label: s.label, detail: s.detail, description: s.tokensPerSecond === current ? 'current' : undefined, rate: s.tokensPerSecond })),
        { title: 'Spark Edit: Local Server Speed', placeHolder: 'How fast the local server answers (the bundled server, or a ws:// one on this machine)' },
      );
      if (!picked) return;
      rate = picked.rate;
    }
    await localSpeed.set(rate);
    log.info(`local server speed: ${rate} tokens/s from the next run`);
    if (!localSpeed.metadataFor(settings().endpoint)) inform(`the speed applies to a local server; the endpoint now is ${settings().endpoint}. "Spark Edit: Use Local Server" switches to the bundled one.`);
  }

  return [
    vscode.commands.registerCommand('sparkEdit.editInline', editInline),
    vscode.commands.registerCommand('sparkEdit.refactorSelection', refactorSelection),
    vscode.commands.registerCommand('sparkEdit.redirect', redirect),
    vscode.commands.registerCommand('sparkEdit.cancel', () => {
      const doc = active();
      return doc ? actions.cancel(doc) : 0;
    }),
    vscode.commands.registerCommand('sparkEdit.accept', (runId?: unknown) => decide('accept', runId)),
    vscode.commands.registerCommand('sparkEdit.reject', (runId?: unknown) => decide('reject', runId)),
    vscode.commands.registerCommand('sparkEdit.rejectByEscape', rejectByEscape),
    vscode.commands.registerCommand('sparkEdit.acceptHunk', (runId?: unknown, hunkId?: unknown) => decideHunk('accept', runId, hunkId)),
    vscode.commands.registerCommand('sparkEdit.rejectHunk', (runId?: unknown, hunkId?: unknown) => decideHunk('reject', runId, hunkId)),
    vscode.commands.registerCommand('sparkEdit.nextHunk', () => goToHunk(1)),
    vscode.commands.registerCommand('sparkEdit.previousHunk', () => goToHunk(-1)),
    vscode.commands.registerCommand('sparkEdit.nextTake', (runId?: unknown) => showTake(1, runId)),
    vscode.commands.registerCommand('sparkEdit.previousTake', (runId?: unknown) => showTake(-1, runId)),
    vscode.commands.registerCommand('sparkEdit.fixProblems', (runId?: unknown) => {
      if (typeof runId !== 'string') return false;
      const check = problems.check(runId);
      if (check?.status !== 'checked' || check.added.length === 0) return false;
      const list = check.added.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('; ');
      return actions.redirectRun(runId, `fix these problems the last edit introduced: ${list}`);
    }),
    vscode.commands.registerCommand('sparkEdit.acceptAll', () => actions.decide('accept', 'all')),
    vscode.commands.registerCommand('sparkEdit.rejectAll', () => actions.decide('reject', 'all')),
    vscode.commands.registerCommand('sparkEdit.saveWhenLanded', async () => {
      const doc = active();
      if (doc) {
        const outcome = await saves.settleForSave(doc, SAVE_WAIT_MS);
        if (outcome !== 'overdue') log.info(outcome === 'landed' ? 'saving once the edit had landed' : `the edit had not landed after ${SAVE_WAIT_MS} ms: stopped it (whole lines kept), then saving`);
        // This very document, whatever editor is active now.
        await doc.save();
        return;
      }
      await vscode.commands.executeCommand('workbench.action.files.save');
    }),
    vscode.commands.registerCommand('sparkEdit.explainReadOnly', () => inform('this editor is read-only: Spark Edit edits files you can change.')),
    vscode.commands.registerCommand('sparkEdit.setApiKey', setApiKey),
    vscode.commands.registerCommand('sparkEdit.clearApiKey', async () => {
      await keys.clear();
      connection.reset();
      log.info('API key removed');
    }),
    vscode.commands.registerCommand('sparkEdit.useLocalServer', async () => {
      await vscode.workspace.getConfiguration(SECTION).update('endpoint', LOCAL_ENDPOINT, vscode.ConfigurationTarget.Global);
      log.info('endpoint set to the bundled local server');
    }),
    vscode.commands.registerCommand('sparkEdit.setLocalSpeed', (tokensPerSecond?: unknown) => setLocalSpeed(tokensPerSecond)),
    vscode.commands.registerCommand('sparkEdit.showLog', () => log.show()),
    vscode.commands.registerCommand('sparkEdit.reviewWorkspaceEndpoint', async () => {
      const decided = await destinations.review(settings());
      if (decided) connection.reset();
      else if (destinations.resolve(settings()).ok) inform('this workspace does not change where Spark Edit connects.');
      return decided;
    }),
    vscode.commands.registerCommand('sparkEdit.manageEndpointApprovals', async (args?: unknown) => {
      const decisions = destinations.decisions();
      // `{ revoke: 'all' }`: forget every decision without asking (revoking only ever takes trust away).
      if (typeof args === 'object' && args !== null && (args as { revoke?: unknown }).revoke === 'all') {
        for (const d of decisions) await destinations.revoke(d.workspace, d.key);
        connection.reset();
        return decisions.length;
      }
      if (decisions.length === 0) {
        inform('no workspace has asked to change where Spark Edit connects.');
        return 0;
      }
      const picked = await vscode.window.showQuickPick(
        decisions.map((d) => ({ label: `${d.decision === 'allow' ? '$(check) allowed' : '$(circle-slash) declined'}: sparkEdit.${d.key} = ${d.value}`, detail: d.workspace, decision: d })),
        { title: 'Spark Edit: workspace endpoint decisions (pick to revoke)', canPickMany: true },
      );
      for (const p of picked ?? []) await destinations.revoke(p.decision.workspace, p.decision.key);
      if (picked?.length) connection.reset();
      return picked?.length ?? 0;
    }),
  ];
}
