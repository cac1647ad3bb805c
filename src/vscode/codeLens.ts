import * as vscode from 'vscode';
import type { RunSnapshot } from '../core/session/runController';

const round = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Accept / Reject (and the All variants) above each run under review. */
export class ReviewCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly runsFor: (document: vscode.TextDocument) => readonly RunSnapshot[]) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const runs = this.runsFor(document);
    const reviewing = runs.filter((r) => r.state.phase === 'review' && r.region);
    const lenses: vscode.CodeLens[] = [];
    for (const run of reviewing) {
      const at = document.positionAt(run.region!.start);
      const range = new vscode.Range(at, at);
      lenses.push(new vscode.CodeLens(range, { title: '$(check) Accept', command: 'sparkEdit.accept', arguments: [run.id], tooltip: 'Keep this edit (Ctrl+Enter)' }));
      lenses.push(new vscode.CodeLens(range, { title: '$(discard) Reject', command: 'sparkEdit.reject', arguments: [run.id], tooltip: 'Restore the original text (Escape)' }));
      if (reviewing.length > 1) {
        lenses.push(new vscode.CodeLens(range, { title: 'Accept All', command: 'sparkEdit.acceptAll' }));
        lenses.push(new vscode.CodeLens(range, { title: 'Reject All', command: 'sparkEdit.rejectAll' }));
      }
      const facts: string[] = [];
      if (run.state.endReason && run.state.endReason !== 'completed') facts.push(`partial (${run.state.endReason})`);
      if (run.tokensPerSecond !== undefined) facts.push(`${round(run.tokensPerSecond)} tok/s`);
      if (run.timeToFirstTokenMs !== undefined) facts.push(`TTFT ${round(run.timeToFirstTokenMs)} ms`);
      if (facts.length) lenses.push(new vscode.CodeLens(range, { title: facts.join(' · '), command: '' }));
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
