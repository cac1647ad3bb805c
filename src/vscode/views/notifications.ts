import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import type { ConnectReason } from '../../core/transport/responseChannel';
import type { Log } from '../platform/log';
import type { RunRegistry } from '../runs/runRegistry';

/** The same message from several runs at once (every selection failing to connect) is shown once in this window. */
const REPEAT_WINDOW_MS = 2_000;

/** What the user can do about a connection that could not be made: the buttons and the command each runs. */
const ACTIONS: Partial<Record<ConnectReason, readonly (readonly [string, string])[]>> = {
  needsKey: [
    ['Set API Key', 'sparkEdit.setApiKey'],
    ['Use Local Server', 'sparkEdit.useLocalServer'],
  ],
  unauthorized: [['Set API Key', 'sparkEdit.setApiKey']],
  needsApproval: [['Review Endpoint', 'sparkEdit.reviewWorkspaceEndpoint']],
};

/**
 * Shows what runs report: errors with a way to the log (or to the fix, for
 * a connection the user can repair), warnings (a refusal, a closed
 * document) as they are. Info stays in the log.
 */
export function showRunReports(runs: RunRegistry, log: Log, clock: Clock): vscode.Disposable {
  const shown = new Map<string, number>();
  return runs.onDidReport(({ level, message, reason }) => {
    if (level === 'info') return;
    const text = `Spark Edit: ${log.redact(message)}`;
    const now = clock.now();
    for (const [t, at] of shown) if (now - at > REPEAT_WINDOW_MS) shown.delete(t);
    if (shown.has(text)) return;
    shown.set(text, now);
    if (level === 'warning') {
      void vscode.window.showWarningMessage(text).then(undefined, () => undefined);
      return;
    }
    const actions = (reason && ACTIONS[reason]) ?? [['Show Log', 'sparkEdit.showLog'] as const];
    // Not awaited: nothing may hang on an unanswered notification.
    vscode.window.showErrorMessage(text, ...actions.map(([title]) => title)).then(
      (choice) => {
        const command = actions.find(([title]) => title === choice)?.[1];
        if (command) void vscode.commands.executeCommand(command);
      },
      () => undefined,
    );
  });
}
