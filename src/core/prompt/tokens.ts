/**
 * A cheap token estimate (about four characters per token for code). It only
 * has to keep us safely inside the context window, not be exact.
 */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);
