import * as vscode from 'vscode';
import type { Region } from '../../core/edit/regionTracker';
import { DisposableStore } from '../../core/lifetime';
import { identifiersIn, pathDistance, pickRules, rulesCandidates, type ContextPart, type FoundDefinition } from '../../core/prompt/projectContext';
import type { Log } from '../platform/log';

/** What a lookup found: the parts for the prompt, and what to say about them. */
export interface GatheredContext {
  readonly rules: readonly ContextPart[];
  readonly definitions: readonly FoundDefinition[];
  /** How long the lookup took, in ms. */
  readonly ms: number;
}

/** A lookup under way: `current()` is what is ready now (never waits), `ready` resolves when all of it is. */
export interface ContextLookup {
  current(): GatheredContext | undefined;
  readonly ready: Promise<GatheredContext>;
  /**
   * The instruction box closed: no more definitions are asked for (what was
   * found so far is kept for the run's later requests). Each ask is a round
   * trip through the workbench and the language server, and a lookup still
   * running during a stream delays the editor's answers to the run's edits.
   */
  stop(): void;
}

/** Definitions longer than this many lines are cut: the signature and the start say what a helper is. */
const MAX_DEFINITION_LINES = 40;
/** Definitions asked for at once (each is a language-server round trip). */
const PARALLEL = 8;

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The workspace-relative path of a URI, or its file name when it lies outside every workspace folder. */
function relative(uri: vscode.Uri): string {
  const path = vscode.workspace.asRelativePath(uri, false);
  return path.replace(/\\/g, '/');
}

/**
 * Gathers what the model is shown besides the file (see
 * core/prompt/projectContext.ts): the rules files on the way from the
 * workspace root to the file, and the definitions, elsewhere, of the
 * identifiers the region uses, through the editor's definition providers
 * (so any language with a language server works). A lookup starts when the
 * instruction box opens and runs while the user types; a request takes what
 * is ready and never waits for the rest.
 */
export class ProjectContext implements vscode.Disposable {
  private readonly owned = new DisposableStore();
  /** Rules per folder (workspace-relative), read once and forgotten when a rules file changes. */
  private readonly rules = new Map<string, Promise<ContextPart[]>>();
  private latest: Promise<GatheredContext> | undefined;

  constructor(
    private readonly log: Log,
    private readonly include: () => { readonly rules: boolean; readonly relatedCode: boolean },
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/{AGENTS.md,AGENTS.override.md,CLAUDE.md,.cursorrules,copilot-instructions.md}');
    const forget = (): void => this.rules.clear();
    this.owned.add(watcher);
    this.owned.add(watcher.onDidChange(forget));
    this.owned.add(watcher.onDidCreate(forget));
    this.owned.add(watcher.onDidDelete(forget));
  }

  /** The latest lookup's end (tests wait on it; nothing else should). */
  whenLatestReady(): Promise<GatheredContext | undefined> {
    return this.latest ?? Promise.resolve(undefined);
  }

  lookup(document: vscode.TextDocument, regions: readonly Region[]): ContextLookup {
    const started = performance.now();
    let done: GatheredContext | undefined;
    let stopped = false;
    const { rules, relatedCode } = this.include();
    const ready = Promise.all([rules ? this.rulesFor(document) : Promise.resolve([]), relatedCode ? this.definitionsFor(document, regions, () => stopped) : Promise.resolve([])]).then(
      ([r, d]) => {
        done = { rules: r, definitions: d, ms: performance.now() - started };
        const stoppedEarly = stopped ? ', stopped when the box closed' : '';
        this.log.info(`context for ${relative(document.uri)}: ${r.length ? `rules ${r.map((p) => p.label).join(', ')}` : 'no rules files'}; ${d.length} definition(s) elsewhere (${Math.round(done.ms)} ms${stoppedEarly})`);
        return done;
      },
      (error: unknown) => {
        this.log.warn(`context lookup failed: ${String(error)}`);
        done = { rules: [], definitions: [], ms: performance.now() - started };
        return done;
      },
    );
    this.latest = ready;
    return { current: () => done, ready, stop: () => (stopped = true) };
  }

  private rulesFor(document: vscode.TextDocument): Promise<ContextPart[]> {
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    if (!folder) return Promise.resolve([]);
    const dir = relative(document.uri).split('/').slice(0, -1).join('/');
    const key = `${folder.uri.toString()}|${dir}`;
    let cached = this.rules.get(key);
    if (!cached) {
      cached = (async () => {
        const found = new Map<string, string>();
        await Promise.all(
          rulesCandidates(dir).map(async (path) => {
            try {
              found.set(path, decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, path))));
            } catch {
              // Not there: the usual case.
            }
          }),
        );
        return pickRules(dir, (path) => found.get(path));
      })();
      this.rules.set(key, cached);
    }
    return cached;
  }

  private async definitionsFor(document: vscode.TextDocument, regions: readonly Region[], stopped: () => boolean): Promise<FoundDefinition[]> {
    const here = relative(document.uri);
    const inRegion = (uri: vscode.Uri, range: vscode.Range): boolean =>
      uri.toString() === document.uri.toString() && regions.some((r) => document.offsetAt(range.start) >= r.start && document.offsetAt(range.start) < r.end);
    const asks = regions.flatMap((r) => identifiersIn(document.getText().slice(r.start, r.end)).map((id) => ({ name: id.name, position: document.positionAt(r.start + id.offset) })));
    const found: FoundDefinition[] = [];
    for (let i = 0; i < asks.length && !stopped(); i += PARALLEL) {
      await Promise.all(
        asks.slice(i, i + PARALLEL).map(async ({ name, position }) => {
          const results = (await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[] | undefined>('vscode.executeDefinitionProvider', document.uri, position)) ?? [];
          for (const result of results) {
            const uri = 'targetUri' in result ? result.targetUri : result.uri;
            const range = 'targetUri' in result ? result.targetRange : result.range;
            // Only the project's own code: a library's declarations are not what a colleague reads first.
            if (inRegion(uri, range) || !vscode.workspace.getWorkspaceFolder(uri) || /[\\/]node_modules[\\/]/.test(uri.path)) continue;
            const target = await vscode.workspace.openTextDocument(uri);
            const path = relative(uri);
            found.push({ name, path, line: range.start.line, text: definitionText(target, range), distance: pathDistance(here, path) });
          }
        }),
      );
    }
    return found;
  }

  dispose(): void {
    this.owned.dispose();
  }
}

/** The definition's text: its whole range when the provider gave one, else from its line to where its braces close; at most MAX_DEFINITION_LINES lines. */
function definitionText(document: vscode.TextDocument, range: vscode.Range): string {
  const first = range.start.line;
  let last = range.end.line;
  if (last === first) {
    let depth = 0;
    for (let line = first; line < document.lineCount && line < first + MAX_DEFINITION_LINES; line++) {
      const text = document.lineAt(line).text;
      for (const ch of text) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      last = line;
      if (depth <= 0 && (line > first || !text.trimEnd().endsWith('{'))) break;
    }
  }
  const end = Math.min(last, first + MAX_DEFINITION_LINES - 1);
  const text = document.getText(new vscode.Range(first, 0, end, document.lineAt(end).text.length));
  return end < last ? `${text}\n…` : text;
}
