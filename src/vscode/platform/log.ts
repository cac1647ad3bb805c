import * as vscode from 'vscode';

/**
 * The extension's log: a LogOutputChannel whose every line passes through a
 * redactor, so a secret handed to `addSecret` can never be written out.
 */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Spark Edit', { log: true });
  private secrets = new Set<string>();
  /** Sockets and the bundled server close after the channel does, on shutdown: their last words go nowhere. */
  private disposed = false;

  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  redact(message: string): string {
    let out = message;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out.replace(/(Bearer\s+)[^\s"']+/gi, '$1***').replace(/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-***');
  }

  info(message: string): void {
    if (!this.disposed) this.channel.info(this.redact(message));
  }
  warn(message: string): void {
    if (!this.disposed) this.channel.warn(this.redact(message));
  }
  error(message: string): void {
    if (!this.disposed) this.channel.error(this.redact(message));
  }
  show(): void {
    if (!this.disposed) this.channel.show(true);
  }
  dispose(): void {
    this.disposed = true;
    this.channel.dispose();
  }
}
