import { inputTexts, type ResponseCreate } from '../core/protocol/clientEvents';
import { parseEditText, parsePartial } from '../core/prompt/buildRequest';
import type { EngineRequest } from './engines/engine';

/** What the built-in engine understood of a prompt; `region` undefined when it understood nothing. */
export interface UnderstoodPrompt {
  readonly region: string | undefined;
  readonly instruction: string;
  readonly history: readonly string[];
}

const FENCE = /```[\w+-]*\n([\s\S]*?)```/;
const INSTRUCTION_LINE = /^\s*(?:instruction|task)\s*:\s*(.+)$/im;

/**
 * Reads an instruction and code out of any prompt: Spark Edit's framed one
 * (`<rewrite>…</rewrite>` and "Instruction:" lines), a fenced code block with
 * the instruction around it, or an "Instruction: …" line followed by the code.
 */
export function understandPrompt(text: string): UnderstoodPrompt {
  const framed = parseEditText(text);
  if (framed.region !== undefined && framed.instruction !== undefined) return { region: framed.region, instruction: framed.instruction, history: framed.history };
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
  return { region: undefined, instruction: text.trim(), history: [] };
}

function languageOf(texts: readonly { text: string }[]): string {
  const m = /^File: .*\(([\w.+-]+)\)$/m.exec(texts[texts.length - 1]?.text ?? '');
  return m?.[1] ?? 'plaintext';
}

/** The engine's view of a `response.create` (or of a steer's input, continuing `previous`). */
export function engineRequestFor(request: ResponseCreate, previous?: EngineRequest): EngineRequest {
  const messages = inputTexts(request.input);
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
    languageId: previous?.languageId ?? languageOf(messages),
    instructions: request.instructions ?? undefined,
    messages,
    model: request.model,
  };
}
