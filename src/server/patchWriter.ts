import { structuredPatch } from 'diff';
import { findHeader, seekLines } from '../core/edit/patch/patchMatch';

/**
 * The change from `before` to `after` as an apply_patch envelope, the way a
 * Codex model writes one: hunks with three lines of context, in order, and an
 * `@@` header naming the nearest line above a hunk whose context alone would
 * match more than one place. Deterministic, so a resume gets the rest of the
 * same patch.
 */
export function writePatch(fileName: string, before: string, after: string): string {
  const { hunks } = structuredPatch(fileName, fileName, before, after, '', '', { context: 3 });
  const lines = before.split('\n').map((l) => l.replace(/\r$/, ''));
  const out = ['*** Begin Patch', `*** Update File: ${fileName}`];
  let cursor = 0;
  for (const hunk of hunks) {
    const body = hunk.lines.filter((l) => !l.startsWith('\\')).map((l) => l.replace(/\r$/, ''));
    const old = body.filter((l) => !l.startsWith('+')).map((l) => l.slice(1));
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    out.push(`@@${headerFor(lines, old, start, cursor)}`, ...body);
    cursor = start + old.length;
  }
  out.push('*** End Patch');
  return out.join('\n') + '\n';
}

/** " <line>" naming the nearest line above `start` after which the hunk's old lines first match at `start`; "" when they match only there. */
function headerFor(lines: readonly string[], old: readonly string[], start: number, cursor: number): string {
  if (old.length === 0 || seekLines(lines, old, cursor).starts.length <= 1) return '';
  for (let k = start - 1; k >= cursor; k--) {
    const text = lines[k]!.trim();
    if (text.length === 0 || findHeader(lines, text, cursor) !== k) continue;
    if (seekLines(lines, old, k + 1).starts[0] === start) return ` ${text}`;
  }
  return '';
}

/** The same patch with its first context line changed so that it matches nothing (the `bad_patch` fault). */
export function corruptPatchContext(patch: string): string {
  return patch.replace(/^ (.*)$/m, ' $1 /* not in the region */');
}
