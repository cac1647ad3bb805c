import type { ResponseCreate } from '../core/protocol/clientEvents';
import { parseEditText, parsePartial } from '../core/prompt/buildRequest';
import type { ConversationItem } from './conversation';
import type { EngineRequest, FunctionToolSpec } from './engines/engine';

/** What the built-in engine understood of a prompt; `region` undefined when it understood nothing. */
export interface UnderstoodPrompt {
  readonly region: string | undefined;
  readonly instruction: string;
  readonly history: readonly string[];
  /** A follow-up: the earlier instructions are done, only the new one is to be carried out. */
  readonly earlierDone?: true;
  /** An alternative take: which of how many. */
  readonly take?: { readonly index: number; readonly count: number };
  readonly format?: 'patch';
}

const FENCE = /```[\w+-]*\n([\s\S]*?)```/;
const INSTRUCTION_LINE = /^\s*(?:instruction|task)\s*:\s*(.+)$/im;
/** Characters that make a line code rather than a sentence. */
const CODE_PUNCTUATION = /[{};=<>()[\]]|^\s*(?:\/\/|#|import |export |const |let |def |class |function )/;

/**
 * "Convert to an arrow function:" and then the code, as a person writes a
 * prompt: a first line that is a sentence (or ends with a colon), the rest code.
 */
function naturalPrompt(text: string): UnderstoodPrompt | undefined {
  const lines = text.replace(/^\s*\n/, '').split('\n');
  const first = lines[0]?.trim() ?? '';
  const rest = lines.slice(1).join('\n');
  if (first.length === 0 || rest.trim().length === 0) return undefined;
  if (!first.endsWith(':') && CODE_PUNCTUATION.test(first)) return undefined;
  return { region: rest, instruction: first.replace(/:$/, '').trim(), history: [] };
}

/**
 * Reads an instruction and code out of any prompt: Spark Edit's framed one
 * (`<rewrite>…</rewrite>` and "Instruction:" lines), a fenced code block with
 * the instruction around it, or an "Instruction: …" line followed by the code.
 */
export function understandPrompt(text: string): UnderstoodPrompt {
  const framed = parseEditText(text);
  if (framed.region !== undefined && framed.instruction !== undefined) {
    const { region, instruction, history, earlierDone, take, format } = framed;
    return { region, instruction, history, ...(earlierDone ? { earlierDone } : {}), ...(take ? { take } : {}), ...(format ? { format } : {}) };
  }
  const fenced = FENCE.exec(text);
  if (fenced) {
    const outside = (text.slice(0, fenced.index) + text.slice(fenced.index + fenced[0].length)).trim();
    const instruction = INSTRUCTION_LINE.exec(outside)?.[1]?.trim() ?? outside.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
    return { region: fenced[1]!, instruction, history: [] };
  }
  const line = INSTRUCTION_LINE.exec(text);
  if (line) {
    const after = text.slice(line.index + line[0].length).replace(/^\r?\n/, '');
    const before = text.slice(0, line.index);
    const region = after.trim().length > 0 ? after : before;
    return { region: region.trim().length > 0 ? region : undefined, instruction: line[1]!.trim(), history: [] };
  }
  return naturalPrompt(text) ?? { region: undefined, instruction: text.trim(), history: [] };
}

/** The file name and language of Spark Edit's "File: name (language)" line. */
function fileOf(text: string): { fileName: string; languageId: string } | undefined {
  const m = /^File: (.*) \(([\w.+-]+)\)$/m.exec(text);
  return m ? { fileName: m[1]!, languageId: m[2]! } : undefined;
}

/** The function tools of a request, as a bridge forwards them (other tool types have no Chat Completions form). */
function functionTools(request: ResponseCreate): FunctionToolSpec[] {
  return (request.tools ?? [])
    .filter((t) => t.type === 'function' && typeof t.name === 'string')
    .map((t) => ({ name: t.name!, description: t.description ?? undefined, parameters: t.parameters ?? undefined }));
}

/**
 * The engine's view of a `response.create` (or of a steer's input, continuing
 * `previous`); `conversation` is the whole conversation, this input last.
 */
export function engineRequestFor(request: ResponseCreate, conversation: readonly ConversationItem[], previous?: EngineRequest): EngineRequest {
  const messages = conversation.filter((i) => i.kind === 'message');
  const last = [...messages].reverse().find((m) => m.role === 'user') ?? messages.at(-1);
  const understood = understandPrompt(last?.text ?? '');
  // A steer that only says what to change applies to the region the steered response was rewriting.
  const region = understood.region ?? previous?.region;
  const history = understood.region === undefined && previous ? [...previous.history, previous.instruction] : understood.history;
  const continueAfter = parsePartial(last?.text ?? '');
  return {
    region: region ?? '',
    ...(continueAfter !== undefined ? { continueAfter } : {}),
    understood: region !== undefined,
    instruction: understood.instruction,
    history,
    earlierDone: understood.earlierDone ?? false,
    ...(understood.take ? { take: understood.take } : {}),
    languageId: previous?.languageId ?? fileOf(last?.text ?? '')?.languageId ?? 'plaintext',
    fileName: previous?.fileName ?? fileOf(last?.text ?? '')?.fileName ?? 'region',
    format: understood.format ?? (understood.region === undefined ? previous?.format : undefined) ?? 'rewrite',
    instructions: request.instructions ?? undefined,
    conversation,
    tools: functionTools(request),
    model: request.model,
  };
}
