import { describe, expect, it } from 'vitest';
import { PromptCache } from '../../../src/server/promptCache';

const file = Array.from({ length: 800 }, (_, i) => `const value${i} = compute(${i});`).join('\n');
const prompt = (instruction: string): string => `system\n${file}\nInstruction: ${instruction}`;

describe('the reference server’s prompt cache', () => {
  it('counts a repeated prefix under the same key as cached, in whole blocks', () => {
    const cache = new PromptCache();
    const first = cache.usage(prompt('upper'), 'run-1');
    expect(first.cachedTokens).toBe(0);
    const second = cache.usage(prompt('uppercase all of it'), 'run-1');
    expect(second.cachedTokens).toBeGreaterThan(0.9 * first.inputTokens);
    expect(second.cachedTokens % 128).toBe(0);
    expect(second.cachedTokens).toBeLessThanOrEqual(second.inputTokens);
  });

  it('no key, another key, or a short prompt: nothing cached', () => {
    const cache = new PromptCache();
    cache.usage(prompt('a'), 'k');
    expect(cache.usage(prompt('b'), undefined).cachedTokens).toBe(0);
    expect(cache.usage(prompt('b'), 'other').cachedTokens).toBe(0);
    cache.usage('short prompt one', 's');
    expect(cache.usage('short prompt two', 's').cachedTokens).toBe(0);
  });
});
