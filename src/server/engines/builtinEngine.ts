import { writePatch } from '../patchWriter';
import type { Engine, EngineRequest } from './engine';

/**
 * A deterministic engine that needs no model: enough real edits for the demo
 * and every test. Each rule recognises an instruction and rewrites the region.
 * Documented in README.md ("The built-in engine").
 */
interface Rule {
  readonly name: string;
  readonly example: string;
  readonly match: RegExp;
  apply(region: string, m: RegExpMatchArray, ctx: RuleContext): string;
}

interface RuleContext {
  readonly comment: string;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mapLines(region: string, f: (line: string) => string | undefined): string {
  const trailing = region.endsWith('\n');
  const lines = (trailing ? region.slice(0, -1) : region).split('\n');
  const out = lines.map(f).filter((l): l is string => l !== undefined);
  return out.join('\n') + (trailing && out.length > 0 ? '\n' : '');
}

const indentOf = (line: string): string => /^\s*/.exec(line)?.[0] ?? '';

function firstIndent(region: string): string {
  const line = region.split('\n').find((l) => l.trim().length > 0) ?? '';
  return indentOf(line);
}

const toSnake = (id: string): string => id.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const toCamel = (id: string): string => id.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

const FUNCTION_DECL = /^(\s*)(export\s+)?(async\s+)?function\s+([A-Za-z_$][\w$]*)\s*\(([^)]*)\)\s*(:\s*[^{]+)?\{\s*$/;
const ARROW_DECL = /^(\s*)(export\s+)?const\s+([A-Za-z_$][\w$]*)\s*=\s*(async\s+)?\(([^)]*)\)\s*(:\s*[^=]+)?=>\s*\{\s*$/;

function paramsOf(list: string): string[] {
  return list
    .split(',')
    .map((p) => p.trim().replace(/[:=?].*$/, '').replace(/^\.\.\./, '').trim())
    .filter((p) => p.length > 0);
}

function inferType(param: string): string {
  if (/^(is|has|should|can)[A-Z_]/.test(param)) return 'boolean';
  if (/(count|size|length|index|ms|total|num|n)$/i.test(param)) return 'number';
  if (/(name|text|path|id|key|label|url|message)$/i.test(param)) return 'string';
  if (/s$/.test(param)) return 'unknown[]';
  return 'unknown';
}

const RULES: readonly Rule[] = [
  {
    name: 'rename',
    example: 'rename oldName to newName',
    match: /^rename\s+([A-Za-z_$][\w$]*)\s+(?:to|->|as)\s+([A-Za-z_$][\w$]*)/i,
    apply: (region, m) => region.replace(new RegExp(`(?<![\\w$])${escapeRegExp(m[1]!)}(?![\\w$])`, 'g'), m[2]!),
  },
  {
    name: 'delete-matching',
    example: 'delete lines matching console.log',
    match: /^(?:delete|remove|drop)\s+(?:all\s+)?lines?\s+(?:matching|containing|with)\s+(.+)$/i,
    apply: (region, m) => {
      const needle = m[1]!.trim().replace(/^["'`](.*)["'`]$/, '$1');
      return mapLines(region, (line) => (line.includes(needle) ? undefined : line));
    },
  },
  {
    name: 'jsdoc',
    example: 'add jsdoc',
    match: /\b(jsdoc|docs?|document|docstrings?)\b/i,
    apply: (region) =>
      mapLines(region, (line) => {
        const f = FUNCTION_DECL.exec(line);
        const a = f ? undefined : ARROW_DECL.exec(line);
        if (!f && !a) return line;
        const indent = (f ?? a)![1]!;
        const name = f ? f[4]! : a![3]!;
        const params = paramsOf(f ? f[5]! : a![5]!);
        const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
        const doc = [`${indent}/**`, `${indent} * ${words.charAt(0).toUpperCase()}${words.slice(1)}.`];
        for (const p of params) doc.push(`${indent} * @param ${p} - the ${p.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()}`);
        doc.push(`${indent} */`);
        return `${doc.join('\n')}\n${line}`;
      }),
  },
  {
    name: 'types',
    example: 'add types',
    match: /\b(add\s+)?types?\b|\btype annotations?\b/i,
    apply: (region) =>
      mapLines(region, (line) => {
        const f = FUNCTION_DECL.exec(line) ?? ARROW_DECL.exec(line);
        if (!f) return line;
        return line.replace(/\(([^)]*)\)/, (_all, list: string) =>
          `(${list
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p.length > 0)
            .map((p) => (p.includes(':') ? p : `${p}: ${inferType(p.replace(/[=?].*$/, '').trim())}`))
            .join(', ')})`,
        );
      }),
  },
  {
    name: 'to-function',
    example: 'convert to function declarations',
    match: /\bfunction (declarations?|keyword)\b|\bto functions?\b/i,
    apply: (region) =>
      mapLines(region, (line) => {
        const a = ARROW_DECL.exec(line);
        if (!a) return line;
        const [, indent, exp = '', name, asyncKw = '', params, ret = ''] = a;
        return `${indent}${exp}${asyncKw}function ${name}(${params})${ret ? ret.trimEnd() + ' ' : ' '}{`;
      }),
  },
  {
    name: 'to-arrow',
    example: 'convert to arrow functions',
    match: /\barrow\b/i,
    apply: (region) =>
      mapLines(region, (line) => {
        const f = FUNCTION_DECL.exec(line);
        if (!f) return line;
        const [, indent, exp = '', asyncKw = '', name, params, ret = ''] = f;
        return `${indent}${exp}const ${name} = ${asyncKw}(${params})${ret ? ret.trimEnd() + ' ' : ' '}=> {`;
      }),
  },
  {
    name: 'sort-imports',
    example: 'sort imports',
    match: /\bsort\s+imports?\b/i,
    apply: (region) => {
      const lines = region.split('\n');
      const imports = lines.filter((l) => /^\s*import\b/.test(l)).sort((a, b) => a.localeCompare(b));
      let k = 0;
      return lines.map((l) => (/^\s*import\b/.test(l) ? imports[k++]! : l)).join('\n');
    },
  },
  {
    name: 'sort-lines',
    example: 'sort lines',
    match: /\bsort\b/i,
    apply: (region) => {
      const trailing = region.endsWith('\n');
      const lines = (trailing ? region.slice(0, -1) : region).split('\n').sort((a, b) => a.localeCompare(b));
      return lines.join('\n') + (trailing ? '\n' : '');
    },
  },
  {
    name: 'reverse-lines',
    example: 'reverse lines',
    match: /\breverse\b/i,
    apply: (region) => {
      const trailing = region.endsWith('\n');
      return (trailing ? region.slice(0, -1) : region).split('\n').reverse().join('\n') + (trailing ? '\n' : '');
    },
  },
  { name: 'uppercase', example: 'uppercase', match: /\bupper\s*-?case\b/i, apply: (region) => region.toUpperCase() },
  { name: 'lowercase', example: 'lowercase', match: /\blower\s*-?case\b/i, apply: (region) => region.toLowerCase() },
  {
    name: 'snake-case',
    example: 'snake case',
    match: /\bsnake[\s_-]*case\b/i,
    apply: (region) => region.replace(/\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g, toSnake),
  },
  {
    name: 'camel-case',
    example: 'camel case',
    match: /\bcamel[\s_-]*case\b/i,
    apply: (region) => region.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, toCamel),
  },
  {
    name: 'try-catch',
    example: 'wrap in try/catch',
    match: /\btry\b/i,
    apply: (region, _m, ctx) => {
      const indent = firstIndent(region);
      const body = mapLines(region, (l) => (l.trim().length ? `  ${l}` : l));
      const nl = region.endsWith('\n') ? '' : '\n';
      void ctx;
      return `${indent}try {\n${body}${nl}${indent}} catch (error) {\n${indent}  console.error(error);\n${indent}  throw error;\n${indent}}\n`;
    },
  },
  {
    name: 'add-log',
    example: 'add a log line',
    match: /\blog(ging)?\b/i,
    apply: (region) => {
      let added = false;
      const out = mapLines(region, (line) => {
        const f = FUNCTION_DECL.exec(line);
        const a = f ? undefined : ARROW_DECL.exec(line);
        if (!f && !a) return line;
        added = true;
        const indent = (f ?? a)![1]!;
        const name = f ? f[4]! : a![3]!;
        const params = paramsOf(f ? f[5]! : a![5]!);
        return `${line}\n${indent}  console.log('${name}', ${params.length ? `{ ${params.join(', ')} }` : "'called'"});`;
      });
      if (added) return out;
      const indent = firstIndent(region);
      return `${indent}console.log('reached here');\n${region}`;
    },
  },
  {
    name: 'uncomment',
    example: 'uncomment',
    match: /\buncomment\b/i,
    apply: (region, _m, ctx) => mapLines(region, (l) => l.replace(new RegExp(`^(\\s*)${escapeRegExp(ctx.comment)} ?`), '$1')),
  },
  {
    name: 'comment-out',
    example: 'comment out',
    match: /\bcomment(\s+out)?\b/i,
    apply: (region, _m, ctx) => mapLines(region, (l) => (l.trim().length ? `${indentOf(l)}${ctx.comment} ${l.slice(indentOf(l).length)}` : l)),
  },
  {
    name: 'repeat',
    example: 'repeat 3 times',
    match: /\brepeat\s+(\d{1,4})\b/i,
    apply: (region, m) => region.repeat(Math.min(10_000, Number(m[1]))),
  },
  { name: 'empty', example: 'delete everything', match: /^(delete|remove|clear)\s+(everything|all|it)$/i, apply: () => '' },
  { name: 'echo', example: 'keep as is', match: /^(echo|keep( as is)?|no change)$/i, apply: (region) => region },
  {
    name: 'fenced',
    example: 'answer in a markdown fence',
    match: /\bmarkdown fence\b|\bfenced?\b/i,
    apply: (region) => '```\n' + region + (region.endsWith('\n') ? '' : '\n') + '```\n',
  },
  { name: 'crlf', example: 'use crlf', match: /\bcrlf\b/i, apply: (region) => region.replace(/\r?\n/g, '\r\n') },
];

export const BUILTIN_EXAMPLES: readonly string[] = RULES.map((r) => r.example);

function commentFor(languageId: string): string {
  return /^(python|shellscript|ruby|yaml|perl|r|makefile|dockerfile|toml|powershell)$/.test(languageId) ? '#' : /^(sql|lua|haskell)$/.test(languageId) ? '--' : '//';
}

/** Splits a redirect note "(continue, …)" off an instruction. */
const stripNote = (instruction: string): string => instruction.replace(/\s*\(continue[^)]*\)\s*$/i, '').trim();

/** Applies one instruction; undefined when no rule knows it. */
export function applyInstruction(region: string, instruction: string, languageId: string): string | undefined {
  const text = stripNote(instruction);
  const ctx: RuleContext = { comment: commentFor(languageId) };
  for (const rule of RULES) {
    const m = text.match(rule.match);
    if (m) return rule.apply(region, m, ctx);
  }
  return undefined;
}

/**
 * The built-in engine's answer. A redirect carries on: earlier instructions
 * are applied again (they are idempotent on text already rewritten), then the
 * new one, unless it begins with "instead". A follow-up applies only the new
 * one: the region already holds the earlier ones' finished result.
 */
export function builtinRewrite(request: Pick<EngineRequest, 'region' | 'instruction' | 'history' | 'languageId'> & { readonly earlierDone?: boolean }): string {
  const instead = /^instead\b[,:]?\s*/i;
  const steps = instead.test(request.instruction) ? [request.instruction.replace(instead, '')] : request.earlierDone ? [request.instruction] : [...request.history, request.instruction];
  let region = request.region;
  let unknown: string | undefined;
  for (const step of steps) {
    const next = applyInstruction(region, step, request.languageId);
    if (next === undefined) unknown = step;
    else region = next;
  }
  if (unknown !== undefined && unknown === steps[steps.length - 1]) {
    const c = commentFor(request.languageId);
    const indent = firstIndent(request.region);
    const known = RULES.slice(0, 8).map((r) => r.example).join('; ');
    return `${indent}${c} Spark Edit built-in engine: "${stripNote(unknown)}" is not an instruction it knows (no model is configured).\n${indent}${c} Try: ${known}. Reject (Esc) to drop this note.\n${region}`;
  }
  return region;
}

const NOT_UNDERSTOOD = [
  'This is the Spark Edit reference server (built-in engine, no model).',
  'Send the code to rewrite in a fenced block, or after a line "Instruction: <what to change>",',
  `and an instruction it knows, such as: ${RULES.slice(0, 6).map((r) => r.example).join('; ')}.`,
].join('\n');

/** Instructions asking for harm get a refusal, as a model would answer them. */
const HARMFUL = /\b(keylogger|malware|ransomware|steal\w*|exfiltrat\w*|backdoor)\b/i;
/** "…, drop the connection midway": the server drops the socket mid-stream once, and the client resumes. */
const DROP = /\bdrop the connection\b/i;

/**
 * Take 2 and up of an alternatives request: the built-in engine knows one
 * answer per instruction, so a later take is that answer under a comment
 * naming the take: different, deterministic, and easy to tell apart.
 */
function markTake(rewrite: string, request: Pick<EngineRequest, 'take' | 'languageId' | 'region'>): string {
  const take = request.take;
  if (!take || take.index < 2) return rewrite;
  return `${firstIndent(request.region)}${commentFor(request.languageId)} take ${take.index} of ${take.count}\n${rewrite}`;
}

export const builtinEngine: Engine = {
  name: 'builtin',
  paced: true,
  cue: (request) => ({ refuse: HARMFUL.test(request.instruction), dropAfter: DROP.test(request.instruction) && request.continueAfter === undefined ? 24 : undefined }),
  *generate(request: EngineRequest): Iterable<string> {
    // A prompt it cannot read still gets an answer, never a failed response.
    const rewrite = request.understood ? markTake(builtinRewrite(request), request) : NOT_UNDERSTOOD;
    // Asked for a patch: only what changes, against the region as the request showed it.
    const answer = request.understood && request.format === 'patch' ? writePatch(request.fileName, request.region, rewrite) : rewrite;
    // A resume gets the rest of the same (deterministic) answer.
    const prefix = request.continueAfter;
    yield prefix !== undefined && answer.startsWith(prefix) ? answer.slice(prefix.length) : answer;
  },
};
