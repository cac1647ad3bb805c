/**
 * What a good colleague reads before touching a region, besides the file:
 * the project's rules (AGENTS.md, as Codex reads them) and the definitions
 * of what the region uses that live elsewhere. Pure: the editor side finds
 * the files and definitions, this decides which of them the model is shown.
 */

/** One piece of project context in the prompt. */
export interface ContextPart {
  readonly kind: 'rules' | 'definition' | 'problems' | 'attachment';
  /** A path relative to the workspace (rules), or `path:line` and the symbol's name (a definition). */
  readonly label: string;
  readonly text: string;
}

/** Codex's project_doc_max_bytes: all rules files together, at most this many characters. */
export const RULES_BUDGET_CHARS = 32 * 1024;

/** When no folder has an AGENTS.md: the first of these at the workspace root (other agents' rules files). */
export const FALLBACK_RULES_FILES: readonly string[] = ['CLAUDE.md', '.github/copilot-instructions.md', '.cursorrules'];

/** The folders from the workspace root (`''`) down to the file's own folder, root first, as workspace-relative paths. */
export function foldersDownTo(fileDir: string): string[] {
  const parts = fileDir.split('/').filter((p) => p.length > 0 && p !== '.');
  return ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
}

const join = (folder: string, name: string): string => (folder ? `${folder}/${name}` : name);

/** Every path a rules file may have for a file in `fileDir`, in the order they are read (the editor side reads those that exist). */
export function rulesCandidates(fileDir: string): string[] {
  return [...foldersDownTo(fileDir).flatMap((f) => [join(f, 'AGENTS.override.md'), join(f, 'AGENTS.md')]), ...FALLBACK_RULES_FILES];
}

/**
 * The rules the model is shown, as Codex picks them: in each folder from the
 * root down to the file's, AGENTS.override.md if there is one, else
 * AGENTS.md; root first, so the nearest rules come last and read as the most
 * specific. With none anywhere, the first fallback file at the root. At most
 * RULES_BUDGET_CHARS in all: the file that crosses it is cut, later ones dropped.
 */
export function pickRules(fileDir: string, read: (path: string) => string | undefined, budgetChars = RULES_BUDGET_CHARS): ContextPart[] {
  const picked: ContextPart[] = [];
  for (const folder of foldersDownTo(fileDir)) {
    const override = read(join(folder, 'AGENTS.override.md'));
    const path = override !== undefined ? join(folder, 'AGENTS.override.md') : join(folder, 'AGENTS.md');
    const text = override ?? read(path);
    if (text !== undefined && text.trim().length > 0) picked.push({ kind: 'rules', label: path, text });
  }
  if (picked.length === 0) {
    for (const path of FALLBACK_RULES_FILES) {
      const text = read(path);
      if (text !== undefined && text.trim().length > 0) {
        picked.push({ kind: 'rules', label: path, text });
        break;
      }
    }
  }
  return withinBudget(picked, budgetChars);
}

/** The parts in order while they fit `budgetChars`: the one that crosses it is cut, later ones dropped. */
export function withinBudget(parts: readonly ContextPart[], budgetChars: number): ContextPart[] {
  const kept: ContextPart[] = [];
  let left = budgetChars;
  for (const part of parts) {
    if (left <= 0) break;
    kept.push(part.text.length <= left ? part : { ...part, text: `${part.text.slice(0, left)}\n[cut to fit]` });
    left -= part.text.length;
  }
  return kept;
}

/** A definition the editor found for an identifier the region uses, outside the region. */
export interface FoundDefinition {
  readonly name: string;
  /** Workspace-relative path (or the file's name when outside the workspace). */
  readonly path: string;
  /** Zero-based line of the definition. */
  readonly line: number;
  readonly text: string;
  /** 0: the same file; 1: the same folder; more: further away. */
  readonly distance: number;
}

/** How far `path` is from the file being edited, in folders: 0 the file itself, 1 its folder, +1 per folder between. */
export function pathDistance(from: string, to: string): number {
  if (from === to) return 0;
  const a = from.split('/').slice(0, -1);
  const b = to.split('/').slice(0, -1);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return 1 + (a.length - common) + (b.length - common);
}

/**
 * The definitions the model is shown: each place once, nearest first and,
 * at the same distance, smallest first, as many whole ones as fit in
 * `budgetChars` (a definition that does not fit is skipped, a smaller one
 * after it may still fit).
 */
export function pickDefinitions(found: readonly FoundDefinition[], budgetChars: number): ContextPart[] {
  const seen = new Set<string>();
  const unique = found.filter((d) => {
    const key = `${d.path}:${d.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const ordered = [...unique].sort((x, y) => x.distance - y.distance || x.text.length - y.text.length || x.path.localeCompare(y.path) || x.line - y.line);
  const kept: ContextPart[] = [];
  let left = budgetChars;
  for (const d of ordered) {
    if (d.text.length > left) continue;
    kept.push({ kind: 'definition', label: `${d.path}:${d.line + 1} (${d.name})`, text: d.text });
    left -= d.text.length;
  }
  return kept;
}

/** `#problems` in an instruction attaches the diagnostics in and around the region. */
const PROBLEMS_TAG = /(^|\s)#problems\b/i;

/** What the user attached by hand: `#file:path`, `#symbol:name`, `#selection` (another editor's selection). */
export const ATTACHMENT_TOKEN = /(?<=^|\s)#(?:file:\S*[\w/]|symbol:[\w$]+(?:\.[\w$]+)*|selection\b)/g;

/** The attachment tokens of an instruction, each once, in order. */
export const attachmentTokens = (instruction: string): string[] => [...new Set(instruction.match(ATTACHMENT_TOKEN) ?? [])];

/** How the model reads a token in the instruction: the thing it names, pointing at the attached text. */
function tokenAsWords(token: string): string {
  if (token === '#selection') return 'the attached selection';
  return `${token.slice(token.indexOf(':') + 1)} (attached above)`;
}

/**
 * What an instruction attaches, and the instruction as the model reads it:
 * `fix #problems` becomes "fix the problems listed above"; `#problems` alone,
 * "Fix the problems listed above."; `#file:lib/money.ts` becomes
 * "lib/money.ts (attached above)".
 */
export function attachmentsOf(instruction: string): { readonly instruction: string; readonly problems: boolean; readonly tokens: readonly string[] } {
  const tokens = attachmentTokens(instruction);
  const worded = instruction.replace(ATTACHMENT_TOKEN, tokenAsWords);
  if (!PROBLEMS_TAG.test(worded)) return { instruction: worded, problems: false, tokens };
  const rest = worded.replace(PROBLEMS_TAG, '$1the problems listed above').trim();
  return { instruction: rest === 'the problems listed above' ? 'Fix the problems listed above.' : rest, problems: true, tokens };
}

const KEYWORDS = new Set(
  (
    'abstract as async await break case catch class const continue debugger declare default delete do else enum export extends false finally for from function get if implements import in ' +
    'instanceof interface is keyof let module namespace new null of package private protected public readonly require return set static super switch this throw true try type typeof ' +
    'undefined unique unknown var void while with yield any boolean number string symbol never object bigint def elif except lambda nonlocal pass raise None True False self print ' +
    'and or not fn pub mut impl struct trait use crate mod match loop where func go defer chan map range select'
  ).split(' '),
);

/**
 * The identifiers a region uses, each once with its first offset in the
 * region, keywords left out, at most `limit`: where to ask the editor for
 * definitions. Identifiers the region declares are asked for too; their
 * definitions fall inside the region and are dropped by the caller.
 */
export function identifiersIn(region: string, limit = 40): { readonly name: string; readonly offset: number }[] {
  const found: { name: string; offset: number }[] = [];
  const seen = new Set<string>();
  // Text in quotes and comments is not code the region calls (a template literal is kept: its ${…} parts are code).
  const code = region.replace(/\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|(["'])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => ' '.repeat(m.length));
  for (const m of code.matchAll(/[A-Za-z_$][\w$]*/g)) {
    const name = m[0];
    // After a dot it is a member: its definition is the object's type, which the object's own name leads to.
    if (KEYWORDS.has(name) || seen.has(name) || name.length < 2 || code[m.index - 1] === '.') continue;
    seen.add(name);
    found.push({ name, offset: m.index });
    if (found.length >= limit) break;
  }
  return found;
}
