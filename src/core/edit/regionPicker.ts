import type { Region } from './regionTracker';

const indentWidth = (line: string): number => {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4;
    else break;
  }
  return width;
};
const isBlank = (line: string): boolean => line.trim().length === 0;
const opensBlock = (line: string): boolean => /[{[(:]\s*(\/\/.*|#.*)?$/.test(line.trimEnd());
const closesBlock = (line: string): boolean => /^\s*([}\])]|end\b)/.test(line);

/**
 * The region an inline edit rewrites when nothing is selected: the innermost
 * block (by indentation, with its header and closing line) around the cursor,
 * when it has at most `maxLines` lines; otherwise `maxLines` lines centred on
 * the cursor. Always whole lines.
 */
export function pickRegion(text: string, cursorOffset: number, maxLines: number): Region {
  const lines = text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const lineStart = (i: number): number => starts[i] ?? text.length;
  const lineEnd = (i: number): number => Math.min(text.length, (starts[i] ?? text.length) + (lines[i]?.length ?? 0) + 1);
  let cursor = 0;
  while (cursor + 1 < lines.length && lineStart(cursor + 1) <= cursorOffset) cursor++;

  // A blank cursor line belongs to the next non-blank line's block.
  let anchor = cursor;
  while (anchor < lines.length - 1 && isBlank(lines[anchor]!)) anchor++;
  const block = enclosingBlock(lines, anchor);
  if (block && block.last - block.first + 1 <= maxLines) return { start: lineStart(block.first), end: lineEnd(block.last) };

  const half = Math.floor(maxLines / 2);
  const first = Math.max(0, Math.min(cursor - half, lines.length - maxLines));
  const last = Math.min(lines.length - 1, first + maxLines - 1);
  return { start: lineStart(first), end: lineEnd(last) };
}

function enclosingBlock(lines: readonly string[], at: number): { first: number; last: number } | undefined {
  const line = lines[at] ?? '';
  let header: number;
  if (opensBlock(line) && !isBlank(line)) {
    header = at; // on a block's header: take that block
  } else {
    const indent = indentWidth(line);
    header = -1;
    for (let i = at - 1; i >= 0; i--) {
      const l = lines[i]!;
      if (!isBlank(l) && indentWidth(l) < indent) {
        header = i;
        break;
      }
    }
    if (header < 0) return topLevelParagraph(lines, at);
  }
  const headerIndent = indentWidth(lines[header]!);
  let last = header;
  for (let i = header + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (isBlank(l)) continue;
    if (indentWidth(l) <= headerIndent) {
      if (closesBlock(l)) last = i;
      break;
    }
    last = i;
  }
  return { first: header, last };
}

function topLevelParagraph(lines: readonly string[], at: number): { first: number; last: number } {
  let first = at;
  let last = at;
  while (first > 0 && !isBlank(lines[first - 1]!)) first--;
  while (last < lines.length - 1 && !isBlank(lines[last + 1]!)) last++;
  return { first, last };
}
