/** mulberry32: a tiny seeded PRNG, so every random test is reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const int = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

const WORDS = ['const', 'let', 'x', 'value', 'return', 'if', '(a)', '{', '}', 'foo()', 'bar', '=', '+', '1', '"s"', ';', '//', 'await', 'items.map'];

/** Code-like text: lines of words with indentation and some repeated lines. */
export function randomCode(random: () => number, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    if (out.length > 0 && random() < 0.15) {
      out.push(pick(random, out));
      continue;
    }
    const indent = '  '.repeat(int(random, 0, 3));
    const words = Array.from({ length: int(random, 0, 6) }, () => pick(random, WORDS));
    out.push(indent + words.join(' '));
  }
  return out.join('\n') + (random() < 0.7 ? '\n' : '');
}

/** A plausible rewrite of `text`: lines kept, changed, dropped, inserted. */
export function mutateCode(random: () => number, text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const r = random();
    if (r < 0.6) out.push(line);
    else if (r < 0.75) out.push(line + ' ' + pick(random, WORDS));
    else if (r < 0.85) continue;
    else {
      out.push(randomCode(random, 1).replace(/\n$/, ''));
      out.push(line);
    }
  }
  return out.join('\n');
}

/** Splits text into chunks of 1..maxChunk characters. */
export function randomChunks(random: () => number, text: string, maxChunk: number): string[] {
  const chunks: string[] = [];
  let at = 0;
  while (at < text.length) {
    const size = int(random, 1, maxChunk);
    chunks.push(text.slice(at, at + size));
    at += size;
  }
  return chunks;
}
