import * as vscode from 'vscode';
import type { Clock } from '../../core/clock';
import { DisposableStore, sleep } from '../../core/lifetime';
import { attachmentTokens, type ContextPart } from '../../core/prompt/projectContext';
import type { Log } from '../platform/log';

/** An attached file or symbol is cut to this many characters: enough to read what it is. */
const MAX_ATTACHMENT_CHARS = 16 * 1024;
/** Suggestions shown for `#file:` and `#symbol:` while typing. */
const MAX_SUGGESTIONS = 20;
/** Enter waits at most this long for attachments still being read (they are read while the instruction is typed). */
export const ATTACHMENT_WAIT_MS = 300;
/** …and this long for one it had not seen while the instruction was typed. */
const UNSEEN_WAIT_MS = 2_000;

/** One completion of a `#` token in the instruction box. */
export interface AttachmentSuggestion {
  readonly label: string;
  readonly description?: string;
  /** What replaces the token being typed; a kind (`#file:`) keeps the box on it, a full token is followed by a space. */
  readonly token: string;
}

const KINDS: readonly AttachmentSuggestion[] = [
  { label: '#file:', description: 'a file of the workspace', token: '#file:' },
  { label: '#symbol:', description: 'a function, class or type, found by the language server', token: '#symbol:' },
  { label: '#selection', description: "another editor's selection", token: '#selection' },
  { label: '#problems', description: 'the errors and warnings in and around the region', token: '#problems' },
];

/** A workspace symbol's bare name (the TypeScript server calls a function `doubled()`). */
const bareName = (symbol: vscode.SymbolInformation): string => symbol.name.replace(/\(\)$/, '');
const relative = (uri: vscode.Uri): string => vscode.workspace.asRelativePath(uri, false).replace(/\\/g, '/');
const clip = (text: string): string => (text.length > MAX_ATTACHMENT_CHARS ? `${text.slice(0, MAX_ATTACHMENT_CHARS)}\n… (cut at ${MAX_ATTACHMENT_CHARS} characters)` : text);

/**
 * Context the user attaches from the instruction box: `#file:path`,
 * `#symbol:name` and `#selection`. Each token is read once, as soon as it is
 * typed (while the user goes on typing), and kept by token, so a request
 * includes it at once and an instruction brought back from the history
 * brings its context back with it.
 */
export class Attachments {
  private readonly resolved = new Map<string, Promise<ContextPart | undefined>>();
  private readonly ready = new Map<string, ContextPart>();

  constructor(
    private readonly log: Log,
    private readonly clock: Clock,
  ) {}

  /** Starts reading every token of `instruction` not read yet (as it is typed). */
  notice(instruction: string): void {
    for (const token of attachmentTokens(instruction)) if (token !== '#selection') void this.read(token);
  }

  /**
   * Reads every token of `instruction` not read yet; resolves when all are
   * (or after `waitMs`). A token first seen now had no typing time to be
   * read in (an instruction handed to the command, not typed into the box):
   * it is waited for up to UNSEEN_WAIT_MS. What is still being read when the
   * wait ends is left out, and the log says so.
   */
  async resolve(instruction: string, waitMs = ATTACHMENT_WAIT_MS): Promise<void> {
    const tokens = attachmentTokens(instruction);
    if (tokens.length === 0) return;
    const unseen = tokens.some((token) => token !== '#selection' && !this.resolved.has(token));
    const reads = tokens.map((token) => this.read(token));
    const wait = new DisposableStore();
    let done = false;
    try {
      await Promise.race([Promise.all(reads).then(() => (done = true)), sleep(this.clock, unseen ? Math.max(waitMs, UNSEEN_WAIT_MS) : waitMs, wait)]);
    } finally {
      wait.dispose();
    }
    if (!done) this.log.warn(`sent without ${tokens.filter((t) => !this.ready.has(t)).join(', ')}: still being read when the request went out`);
  }

  /** Every attachment read so far, by token (a request sends those its instruction names). */
  parts(): { token: string; part: ContextPart }[] {
    return [...this.ready].map(([token, part]) => ({ token, part }));
  }

  private read(token: string): Promise<ContextPart | undefined> {
    // The selection is read again each time: it is whatever the other editor has selected now.
    const cached = token === '#selection' ? undefined : this.resolved.get(token);
    if (cached) return cached;
    const reading = this.readToken(token).then(
      (part) => {
        if (part) this.ready.set(token, part);
        else this.log.warn(`${token}: nothing found to attach`);
        return part;
      },
      (error: unknown) => {
        this.log.warn(`${token}: could not be read (${String(error)})`);
        return undefined;
      },
    );
    this.resolved.set(token, reading);
    return reading;
  }

  private async readToken(token: string): Promise<ContextPart | undefined> {
    if (token === '#selection') return this.selection();
    const [kind, name] = [token.slice(1, token.indexOf(':')), token.slice(token.indexOf(':') + 1)];
    if (kind === 'file') return this.file(name);
    if (kind === 'symbol') return this.symbol(name);
    return undefined;
  }

  private async file(path: string): Promise<ContextPart | undefined> {
    const [uri] = await vscode.workspace.findFiles(path, undefined, 1);
    if (!uri) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = open ? open.getText() : new TextDecoder('utf-8', { fatal: false }).decode(await vscode.workspace.fs.readFile(uri));
    return { kind: 'attachment', label: `file ${relative(uri)}`, text: clip(text) };
  }

  /** The symbol's whole declaration: the workspace symbol's location, widened to the document symbol around it. */
  private async symbol(name: string): Promise<ContextPart | undefined> {
    const found = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', name)) ?? [];
    const symbol = found.find((s) => bareName(s) === name) ?? found[0];
    if (!symbol) return undefined;
    const document = await vscode.workspace.openTextDocument(symbol.location.uri);
    const outline = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri)) ?? [];
    const range = enclosing(outline, symbol.location.range.start) ?? symbol.location.range;
    const lines = new vscode.Range(range.start.line, 0, range.end.line, document.lineAt(range.end.line).text.length);
    return { kind: 'attachment', label: `symbol ${bareName(symbol)} (${relative(document.uri)}:${range.start.line + 1})`, text: clip(document.getText(lines)) };
  }

  private selection(): ContextPart | undefined {
    const active = vscode.window.activeTextEditor;
    const other = vscode.window.visibleTextEditors.find((e) => e !== active && !e.selection.isEmpty);
    if (!other) return undefined;
    const { start, end } = other.selection;
    return { kind: 'attachment', label: `selection ${relative(other.document.uri)}:${start.line + 1}-${end.line + 1}`, text: clip(other.document.getText(other.selection)) };
  }

  /** Completions for the `#` word being typed: the kinds, then files or symbols matching what follows the colon. */
  async suggest(word: string): Promise<AttachmentSuggestion[]> {
    if (word.startsWith('#file:')) {
      const query = word.slice('#file:'.length);
      const files = await vscode.workspace.findFiles(`**/*${query.replace(/[[\]{}*?]/g, '')}*`, '**/{node_modules,.git,dist,out}/**', MAX_SUGGESTIONS);
      return files.map((uri) => ({ label: relative(uri), description: 'file', token: `#file:${relative(uri)}` }));
    }
    if (word.startsWith('#symbol:')) {
      const query = word.slice('#symbol:'.length);
      if (query.length === 0) return [];
      const found = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', query)) ?? [];
      return found.slice(0, MAX_SUGGESTIONS).map((s) => ({ label: s.name, description: `${vscode.SymbolKind[s.kind]} · ${relative(s.location.uri)}`, token: `#symbol:${bareName(s)}` }));
    }
    return KINDS.filter((k) => k.token.startsWith(word));
  }
}

/** The innermost document symbol whose name is at `at`. */
function enclosing(symbols: readonly vscode.DocumentSymbol[], at: vscode.Position): vscode.Range | undefined {
  for (const s of symbols) {
    if (!s.range.contains(at)) continue;
    return enclosing(s.children, at) ?? s.range;
  }
  return undefined;
}
