import * as vscode from 'vscode';
import type { Log } from './log';
import type { RunManager } from './runManager';

/** Shows what runs report: errors with a way to the log, warnings (a refusal, a closed document) as they are. */
export function showRunReports(runs: RunManager, log: Log): vscode.Disposable {
  return runs.onDidReport(({ level, message }) => {
    const text = `Spark Edit: ${log.redact(message)}`;
    if (level === 'error') {
      void vscode.window.showErrorMessage(text, 'Show Log').then(
        (choice) => {
          if (choice) log.show();
        },
        () => undefined,
      );
    } else if (level === 'warning') {
      void vscode.window.showWarningMessage(text).then(undefined, () => undefined);
    }
  });
}
