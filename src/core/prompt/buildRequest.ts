import { inputTexts, type OutgoingMessage, type OutgoingResponseCreate, type OutgoingResponseSteer, type ReasoningEffort, type ResponseCreate } from '../protocol/clientEvents';
import { attachmentsOf, pickDefinitions, withinBudget, type ContextPart, type FoundDefinition } from './projectContext';
import { estimateTokens } from './tokens';

/** Tags that frame the region; the reference server's built-in engine reads them too. */
export const REGION_OPEN = '<rewrite>';
export const REGION_CLOSE = '</rewrite>';
export const INSTRUCTION_LABEL = 'Instruction:';
export const PREVIOUS_INSTRUCTION_LABEL = 'Earlier instruction:';
/** An alternative take: "Take 2 of 3: …" (the reference server varies its answer by it). */
export const TAKE_LABEL = 'Take';
const TAKE_LINE = new RegExp(`^${TAKE_LABEL} (\\d) of (\\d):`);
/** A follow-up: the earlier instructions are done (the reference server then applies only the new one). */
export const FOLLOW_UP_LINE = 'The earlier instructions are done: the region holds their result and any edits the user made. Carry out only the new instruction on it, keeping the rest.';

const ROLE = 'You are Spark Edit, a code-editing model inside an editor.';
const KEEP_STYLE = ['Keep indentation, line endings and style consistent with the file.', 'When a redirect says the user edited the region, keep their edits exactly.'];

export const SYSTEM_INSTRUCTIONS = [
  ROLE,
  `Rewrite only the text between ${REGION_OPEN} and ${REGION_CLOSE} as the instruction asks.`,
  'Answer with the rewritten region alone: no markdown fences, no explanations, no surrounding code.',
  ...KEEP_STYLE,
].join('\n');

/** The line that asks for a patch (the reference server's built-in engine reads it too). */
export const PATCH_FORMAT_LINE = 'Answer format: patch';

/** For a large region: the change as a patch, so the model writes only what changes. */
export const PATCH_SYSTEM_INSTRUCTIONS = [
  ROLE,
  `Change only the text between ${REGION_OPEN} and ${REGION_CLOSE} as the instruction asks.`,
  'Answer with a patch against that region alone, in the apply_patch format, and nothing else:',
  '*** Begin Patch',
  '*** Update File: <the file name>',
  '@@',
  ' an unchanged context line (a space, then the line)',
  '-a line to remove',
  '+a line to add',
  '*** End Patch',
  'Give each hunk its own @@ line, hunks in the order of the region, with up to three unchanged lines of context before and after each change, copied exactly.',
  'When the context could match more than one place, put the nearest line above it that is unique after @@ (for example the function it is in).',
  ...KEEP_STYLE,
].join('\n');

export interface EditContext {
  readonly fileName: string;
  readonly languageId: string;
  /** Document text before and after the region. */
  readonly before: string;
  readonly region: string;
  readonly after: string;
  /** The project's rules files and the definitions the region uses from elsewhere (see projectContext.ts). */
  readonly project?: {
    readonly rules: readonly ContextPart[];
    readonly definitions: readonly FoundDefinition[];
    /** The diagnostics in and around the region, sent when the instruction says `#problems`. */
    readonly problems?: ContextPart;
    /** What the user attached (`#file:…`, `#symbol:…`, `#selection`), by token: sent when the instruction names it. */
    readonly attachments?: readonly { readonly token: string; readonly part: ContextPart }[];
  };
}

/**
 * How the prompt budget is shared, by priority: the region and the
 * instruction always; then the rules, up to a quarter of what is left (and
 * 32 KiB); then related definitions, up to a quarter; the file around the
 * region takes the rest, nearest lines first.
 */
export const PROJECT_SHARE = 0.25;
/** What the user attached by hand comes before rules and related code, up to half the budget. */
export const ATTACHED_SHARE = 0.5;

/** The project parts that fit `budgetChars` by the shares above: rules root first, definitions nearest and smallest first. */
export function fitProject(project: EditContext['project'], budgetChars: number): ContextPart[] {
  if (!project) return [];
  const share = Math.floor(Math.max(0, budgetChars) * PROJECT_SHARE);
  return [...withinBudget(project.rules, share), ...pickDefinitions(project.definitions, share)];
}

/** The project parts as they open the user message: the stable part of the prompt, before the file. */
function projectText(parts: readonly ContextPart[]): string {
  const rules = parts.filter((p) => p.kind === 'rules');
  const definitions = parts.filter((p) => p.kind === 'definition');
  const sections: string[] = [];
  if (rules.length > 0) sections.push(`Project rules (${rules.map((r) => r.label).join(', ')}); follow them:`, ...rules.map((r) => `--- ${r.label}\n${r.text.trimEnd()}`), '');
  if (definitions.length > 0) sections.push('Related code: definitions from elsewhere of what the region uses (read only, do not rewrite):', ...definitions.map((d) => `--- ${d.label}\n${d.text.trimEnd()}`), '');
  const attached = parts.filter((p) => p.kind === 'attachment');
  if (attached.length > 0) sections.push('Attached by the user (read only, do not rewrite):', ...attached.map((a) => `--- ${a.label}\n${a.text.trimEnd()}`), '');
  for (const problems of parts.filter((p) => p.kind === 'problems')) sections.push(`Problems ${problems.label}:`, problems.text.trimEnd(), '');
  return sections.join('\n');
}

export interface RequestOptions {
  readonly model: string;
  /** Total budget for the prompt, in estimated tokens. */
  readonly contextTokens: number;
  /** Tokens kept free for the answer. */
  readonly reserveForOutput?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Sent as `reasoning.effort` when set (endpoints that do not reason ignore or refuse it). */
  readonly reasoningEffort?: ReasoningEffort;
  /** Sent as `prompt_cache_key`: every request of a run shares it, so the stable part of its prompts is cached. */
  readonly promptCacheKey?: string;
  /** `patch`: ask for the change as a patch against the region instead of the region rewritten. */
  readonly format?: 'rewrite' | 'patch';
}

const systemFor = (options: Pick<RequestOptions, 'format'>): string => (options.format === 'patch' ? PATCH_SYSTEM_INSTRUCTIONS : SYSTEM_INSTRUCTIONS);

export interface BuiltPrompt {
  readonly request: OutgoingResponseCreate;
  /** Estimated tokens of the prompt, and how many characters of far context were dropped to fit. */
  readonly estimatedTokens: number;
  readonly trimmedChars: number;
  /** What the prompt is made of, in characters, for the log (never the key: it is not in the prompt). */
  readonly parts?: readonly { readonly name: string; readonly chars: number }[];
}

/**
 * Keeps the context nearest the region: whole lines, far ends dropped first,
 * `before` from its start and `after` from its end.
 */
export function fitContext(before: string, after: string, budgetChars: number): { before: string; after: string; trimmed: number } {
  if (before.length + after.length <= budgetChars) return { before, after, trimmed: 0 };
  const budget = Math.max(0, budgetChars);
  // Share the budget, giving unused share of one side to the other.
  let keepAfter = Math.min(after.length, Math.floor(budget / 3));
  let keepBefore = Math.min(before.length, budget - keepAfter);
  keepAfter = Math.min(after.length, budget - keepBefore);
  let b = before.slice(before.length - keepBefore);
  let a = after.slice(0, keepAfter);
  // Whole lines only: a cut line confuses more than it informs.
  if (keepBefore < before.length) {
    const nl = b.indexOf('\n');
    b = nl >= 0 ? b.slice(nl + 1) : '';
  }
  if (keepAfter < after.length) {
    const nl = a.lastIndexOf('\n');
    a = nl >= 0 ? a.slice(0, nl + 1) : '';
  }
  keepBefore = b.length;
  return { before: b, after: a, trimmed: before.length - keepBefore + (after.length - a.length) };
}

function regionBlock(region: string): string {
  return `${REGION_OPEN}\n${region}${REGION_CLOSE}`;
}

function userText(context: EditContext, fitted: { before: string; after: string }, instructionLines: string, project: readonly ContextPart[] = []): string {
  return [
    ...(project.length > 0 ? [projectText(project)] : []),
    `File: ${context.fileName} (${context.languageId})`,
    '```',
    `${fitted.before}${regionBlock(context.region)}${fitted.after}`,
    '```',
    instructionLines,
  ].join('\n');
}

/**
 * The instruction, after the earlier ones of the run. `earlierDone`: a
 * follow-up on an edit that finished, so only the new instruction is to be
 * carried out; otherwise a redirect, whose earlier edit was cut short.
 */
function instructionLines(instruction: string, history: readonly string[], format: RequestOptions['format'] = 'rewrite', earlierDone = false): string {
  const lines = history.map((h) => `${PREVIOUS_INSTRUCTION_LABEL} ${h}`);
  if (history.length > 0) lines.push(earlierDone ? FOLLOW_UP_LINE : 'The earlier edit was interrupted. The region now holds its partial output and any edits the user made; keep the user\'s edits.');
  if (format === 'patch') lines.push(PATCH_FORMAT_LINE);
  lines.push(`${INSTRUCTION_LABEL} ${instruction}`);
  return lines.join('\n');
}

const message = (text: string): OutgoingMessage => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

/** One user message under the system instructions; `store: false`, so only the latest response can be continued. */
function responseCreate(text: string, options: RequestOptions, previousResponseId?: string): OutgoingResponseCreate {
  return {
    type: 'response.create',
    model: options.model,
    instructions: systemFor(options),
    input: [message(text)],
    ...(previousResponseId !== undefined ? { previous_response_id: previousResponseId } : {}),
    store: false,
    ...(options.reasoningEffort ? { reasoning: { effort: options.reasoningEffort } } : {}),
    ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
    ...(options.promptCacheKey ? { prompt_cache_key: options.promptCacheKey } : {}),
  };
}

/** What an instruction attaches, as prompt parts: the files, symbols and selection it names (up to their share of `budgetChars`), then #problems. */
function attachedParts(context: EditContext, attached: ReturnType<typeof attachmentsOf>, budgetChars: number): ContextPart[] {
  const named = (context.project?.attachments ?? []).filter((a) => attached.tokens.includes(a.token)).map((a) => a.part);
  const problems = attached.problems && context.project?.problems ? [context.project.problems] : [];
  return [...withinBudget(named, Math.floor(Math.max(0, budgetChars) * ATTACHED_SHARE)), ...problems];
}

/** A full-context request: the first of a run, or a redirect whose previous response is gone. */
export function buildEditRequest(context: EditContext, typed: string, history: readonly string[], options: RequestOptions, earlierDone = false): BuiltPrompt {
  const attached = attachmentsOf(typed);
  const instruction = attached.instruction;
  const lines = instructionLines(instruction, history, options.format, earlierDone);
  const system = systemFor(options);
  const reserve = options.reserveForOutput ?? estimateTokens(context.region) * 2 + 256;
  const fixedTokens = estimateTokens(system) + estimateTokens(context.region) + estimateTokens(lines) + 64;
  const budgetChars = Math.max(0, (options.contextTokens - reserve - fixedTokens) * 4);
  const project = [...fitProject(context.project, budgetChars), ...attachedParts(context, attached, budgetChars)];
  const projectChars = project.reduce((n, p) => n + p.text.length + p.label.length + 8, 0);
  const fitted = fitContext(context.before, context.after, budgetChars - projectChars);
  const text = userText(context, fitted, lines, project);
  const request = responseCreate(text, options);
  const parts = [
    { name: 'system', chars: system.length },
    ...project.map((p) => ({ name: `${p.kind === 'attachment' ? 'attached' : p.kind} ${p.label}`, chars: p.text.length })),
    { name: 'file around the region', chars: fitted.before.length + fitted.after.length },
    { name: 'region', chars: context.region.length },
    { name: 'instruction', chars: lines.length },
  ];
  return { request, estimatedTokens: estimateTokens(system) + estimateTokens(text), trimmedChars: fitted.trimmed, parts };
}

/**
 * A redirect that continues the previous response on the same connection: the
 * model already holds the file, so only the current region and the
 * instructions travel.
 */
export function buildContinuationRequest(context: EditContext, instruction: string, history: readonly string[], previousResponseId: string, options: RequestOptions, earlierDone = false): BuiltPrompt {
  // What the new instruction attaches is new to the model (the file it holds already): it comes first.
  const attached = attachmentsOf(instruction);
  const parts = attachedParts(context, attached, options.contextTokens * 4);
  const text = [...(parts.length > 0 ? [projectText(parts)] : []), `The region now reads:`, regionBlock(context.region), instructionLines(attached.instruction, history, options.format, earlierDone)].join('\n');
  const request = responseCreate(text, options, previousResponseId);
  return { request, estimatedTokens: estimateTokens(systemFor(options)) + estimateTokens(text), trimmedChars: 0 };
}

/** Tags around the output so far in a resume request; the reference server's built-in engine reads them too. */
export const PARTIAL_OPEN = '<partial>';
export const PARTIAL_CLOSE = '</partial>';

/**
 * After a dropped connection: the full request again, plus the answer as far
 * as it arrived, asking for exactly the rest (no repetition), so the client
 * can splice it in without duplicating or losing a character.
 */
export function buildResumeRequest(context: EditContext, instruction: string, history: readonly string[], outputSoFar: string, options: RequestOptions, earlierDone = false): BuiltPrompt {
  const built = buildEditRequest(context, instruction, history, options, earlierDone);
  const note = ['', 'Your answer was cut off by a dropped connection. It began exactly with:', `${PARTIAL_OPEN}${outputSoFar}${PARTIAL_CLOSE}`, 'Continue exactly where it stopped: send only the rest of the answer, repeating nothing.'].join('\n');
  const message = built.request.input[0]!;
  const text = message.content[0]!.text + note;
  return { ...built, request: { ...built.request, input: [{ ...message, content: [{ type: 'input_text', text }] }] }, estimatedTokens: built.estimatedTokens + estimateTokens(note) };
}

/** What a steer says: the region as it reads now (the model's unfinished line removed) and the new instruction, rewritten whole (or patched). */
export function buildSteer(region: string, instruction: string, history: readonly string[], responseId: string, format: RequestOptions['format'] = 'rewrite'): OutgoingResponseSteer {
  const text = [
    'Stop the current answer. Start the rewrite over with the new instruction.',
    format === 'patch'
      ? 'Answer with a new patch against the region as it now reads, as before; do not continue the earlier answer.'
      : 'Answer with the whole rewritten region alone, as before; do not continue the earlier answer.',
    'The region now reads:',
    regionBlock(region),
    instructionLines(instruction, history, format),
  ].join('\n');
  return { type: 'response.steer', previous_response_id: responseId, input: [message(text)] };
}

/** Reads the region and the latest instruction back out of a request's last message (the reference server uses this). */
export function parseEditRequest(request: Pick<ResponseCreate, 'input'>): ReturnType<typeof parseEditText> {
  const text = inputTexts(request.input).at(-1)?.text ?? '';
  return parseEditText(text);
}

/** The output so far of a resume request, if it is one. */
export function parsePartial(text: string): string | undefined {
  const open = text.lastIndexOf(PARTIAL_OPEN);
  const close = text.lastIndexOf(PARTIAL_CLOSE);
  return open >= 0 && close > open ? text.slice(open + PARTIAL_OPEN.length, close) : undefined;
}

/** What a request's text asks: the region, the instruction, the earlier ones, and `format: 'patch'` when it asks for a patch. */
export function parseEditText(text: string): { region: string | undefined; instruction: string | undefined; history: string[]; earlierDone?: true; take?: { index: number; count: number }; format?: 'patch' } {
  // A resume's output so far is the model's text, not the user's: it never counts as region or instruction.
  const partialAt = text.lastIndexOf(PARTIAL_OPEN);
  if (partialAt >= 0 && parsePartial(text) !== undefined) text = text.slice(0, partialAt);
  const open = text.indexOf(`${REGION_OPEN}\n`);
  const close = text.lastIndexOf(REGION_CLOSE);
  const region = open >= 0 && close >= open ? text.slice(open + REGION_OPEN.length + 1, close) : undefined;
  const tailText = close >= 0 ? text.slice(close) : text;
  let instruction: string | undefined;
  let patch = false;
  let earlierDone: true | undefined;
  let take: { index: number; count: number } | undefined;
  const history: string[] = [];
  for (const line of tailText.split('\n')) {
    if (line.startsWith(INSTRUCTION_LABEL)) instruction = line.slice(INSTRUCTION_LABEL.length).trim();
    else if (line.startsWith(PREVIOUS_INSTRUCTION_LABEL)) history.push(line.slice(PREVIOUS_INSTRUCTION_LABEL.length).trim());
    else if (line.trim() === PATCH_FORMAT_LINE) patch = true;
    else if (line.trim() === FOLLOW_UP_LINE) earlierDone = true;
    else {
      const m = TAKE_LINE.exec(line);
      if (m) take = { index: Number(m[1]), count: Number(m[2]) };
    }
  }
  return { region, instruction, history, ...(earlierDone ? { earlierDone } : {}), ...(take ? { take } : {}), ...(patch ? { format: 'patch' as const } : {}) };
}
