import * as vscode from 'vscode';

/**
 * The extension's log: a LogOutputChannel whose every line passes through a
 * redactor, so a secret handed to `addSecret` can never be written out.
 */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Spark Edit', { log: true });
  private secrets = new Set<string>();

  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  redact(message: string): string {
    let out = message;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out.replace(/(Bearer\s+)[^\s"']+/gi, '$1***').replace(/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-***');
  }

  info(message: string): void {
    this.channel.info(this.redact(message));
  }
  warn(message: string): void {
    this.channel.warn(this.redact(message));
  }
  error(message: string): void {
    this.channel.error(this.redact(message));
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
