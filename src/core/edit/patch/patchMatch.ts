/**
 * Finding a hunk's old lines (its context and removed lines) in the region,
 * by the rules of the Codex CLI's apply_patch: exact first, then ignoring
 * trailing whitespace, then ignoring surrounding whitespace. The first level
 * with any match decides; lines are compared without their line endings.
 */
export type MatchLevel = 'exact' | 'trailing' | 'whitespace';

export const MATCH_LEVELS: readonly MatchLevel[] = ['exact', 'trailing', 'whitespace'];

export function linesMatch(a: string, b: string, level: MatchLevel): boolean {
  if (level === 'exact') return a === b;
  if (level === 'trailing') return a.trimEnd() === b.trimEnd();
  return a.trim() === b.trim();
}

/** Every start at or after `from` where `pattern` matches `lines` at `level`. */
export function matchesAt(lines: readonly string[], pattern: readonly string[], from: number, level: MatchLevel): number[] {
  const found: number[] = [];
  for (let i = from; i + pattern.length <= lines.length; i++) {
    let ok = true;
    for (let j = 0; j < pattern.length && ok; j++) ok = linesMatch(lines[i + j]!, pattern[j]!, level);
    if (ok) found.push(i);
  }
  return found;
}

/** The matches at the first level that has any (none at all: an empty list and level undefined). */
export function seekLines(lines: readonly string[], pattern: readonly string[], from: number): { readonly level: MatchLevel | undefined; readonly starts: number[] } {
  for (const level of MATCH_LEVELS) {
    const starts = matchesAt(lines, pattern, from, level);
    if (starts.length > 0) return { level, starts };
  }
  return { level: undefined, starts: [] };
}

/** The line an `@@` header names (the first at or after `from` that reads as it, ignoring surrounding whitespace). */
export function findHeader(lines: readonly string[], header: string, from: number): number | undefined {
  const wanted = header.trim();
  for (let i = from; i < lines.length; i++) if (lines[i]!.trim() === wanted) return i;
  for (let i = from; i < lines.length; i++) if (lines[i]!.includes(wanted)) return i;
  return undefined;
}
