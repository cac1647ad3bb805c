import * as vscode from 'vscode';

const KEY = 'sparkEdit.apiKey';

/**
 * The API key lives in SecretStorage only: never in settings, logs or errors.
 * It is read once and kept in memory until SecretStorage says it changed (in
 * any window): reading it is a round trip to the workbench, which in a remote
 * window cost every run 60 to 130 ms before its request could go out.
 */
export class ApiKeyStore implements vscode.Disposable {
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;
  private cached: Thenable<string | undefined> | undefined;
  private readonly forget: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.onDidChange = (listener, thisArg, disposables) =>
      secrets.onDidChange(
        (e) => {
          if (e.key === KEY) listener.call(thisArg, e);
        },
        undefined,
        disposables,
      );
    this.forget = this.onDidChange(() => (this.cached = undefined));
  }

  get(): Thenable<string | undefined> {
    if (this.cached) return this.cached;
    const read = this.secrets.get(KEY);
    this.cached = read;
    // A failed read is not remembered: the next run asks again.
    read.then(undefined, () => {
      if (this.cached === read) this.cached = undefined;
    });
    return read;
  }

  set(value: string): Thenable<void> {
    this.cached = undefined;
    return this.secrets.store(KEY, value.trim());
  }

  clear(): Thenable<void> {
    this.cached = undefined;
    return this.secrets.delete(KEY);
  }

  dispose(): void {
    this.forget.dispose();
  }
}
