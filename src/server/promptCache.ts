import { estimateTokens } from '../core/prompt/tokens';

/** The service caches prompts in blocks of this many tokens, from this many on (as OpenAI documents its prompt caching). */
const BLOCK_TOKENS = 128;
const MIN_TOKENS = 1_024;
const MAX_KEYS = 256;

/** What a request's input cost: its tokens, and how many of them a repeated prefix served from the cache. */
export interface InputUsage {
  readonly inputTokens: number;
  readonly cachedTokens: number;
}

/**
 * Prompt caching as the service reports it: the prompt last seen under a
 * `prompt_cache_key`; a new prompt under the same key that starts the same
 * way has that common prefix counted as `cached_tokens` (whole blocks, from
 * the minimum on). No key, no caching. Bounded: the oldest keys are forgotten.
 */
export class PromptCache {
  private readonly prompts = new Map<string, string>();

  usage(prompt: string, key: string | null | undefined): InputUsage {
    const inputTokens = estimateTokens(prompt);
    if (!key) return { inputTokens, cachedTokens: 0 };
    const previous = this.prompts.get(key);
    this.prompts.delete(key);
    this.prompts.set(key, prompt);
    if (this.prompts.size > MAX_KEYS) this.prompts.delete(this.prompts.keys().next().value!);
    if (previous === undefined) return { inputTokens, cachedTokens: 0 };
    let common = 0;
    const max = Math.min(previous.length, prompt.length);
    while (common < max && previous.charCodeAt(common) === prompt.charCodeAt(common)) common++;
    const prefixTokens = estimateTokens(prompt.slice(0, common));
    const cachedTokens = prefixTokens >= MIN_TOKENS ? Math.floor(prefixTokens / BLOCK_TOKENS) * BLOCK_TOKENS : 0;
    return { inputTokens, cachedTokens: Math.min(cachedTokens, inputTokens) };
  }
}
