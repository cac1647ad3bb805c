import * as vscode from 'vscode';

const KEY = 'sparkEdit.apiKey';

/** The API key lives in SecretStorage only: never in settings, logs or errors. */
export class ApiKeyStore {
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.onDidChange = (listener, thisArg, disposables) =>
      secrets.onDidChange(
        (e) => {
          if (e.key === KEY) listener.call(thisArg, e);
        },
        undefined,
        disposables,
      );
  }

  get(): Thenable<string | undefined> {
    return this.secrets.get(KEY);
  }

  set(value: string): Thenable<void> {
    return this.secrets.store(KEY, value.trim());
  }

  clear(): Thenable<void> {
    return this.secrets.delete(KEY);
  }
}
