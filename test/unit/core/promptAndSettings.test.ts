import { codexHeaders } from '../../../src/core/transport/codexHeaders';
import { describe, expect, it } from 'vitest';
import { checkEndpoint, parseSettings, SettingsSchema } from '../../../src/core/config/settings';
import { buildContinuationRequest, buildEditRequest, fitContext, parseEditRequest } from '../../../src/core/prompt/buildRequest';
import { builtinRewrite } from '../../../src/server/engines/builtinEngine';
import { estimateTokens } from '../../../src/core/prompt/tokens';
import { attachmentsOf } from '../../../src/core/prompt/projectContext';

const context = { fileName: 'a.ts', languageId: 'typescript', before: 'import x;\n', region: 'let a = 1;\n', after: 'export {};\n' };

describe('request building', () => {
  it('frames the region and instruction so both can be read back', () => {
    const { request } = buildEditRequest(context, 'rename a to b', [], { model: 'm', contextTokens: 32_000 });
    expect(request.store).toBe(false);
    expect(request.previous_response_id).toBeUndefined();
    expect(parseEditRequest(request)).toEqual({ region: 'let a = 1;\n', instruction: 'rename a to b', history: [] });
  });

  it('a redirect carries the earlier instructions and the current region', () => {
    const { request } = buildEditRequest(context, 'use c', ['rename a to b'], { model: 'm', contextTokens: 32_000 });
    expect(parseEditRequest(request)).toEqual({ region: 'let a = 1;\n', instruction: 'use c', history: ['rename a to b'] });
    const cont = buildContinuationRequest({ ...context, region: 'let b = 1;\n' }, 'use c', ['rename a to b'], 'resp_9', { model: 'm', contextTokens: 32_000 });
    expect(cont.request.previous_response_id).toBe('resp_9');
    expect(parseEditRequest(cont.request).region).toBe('let b = 1;\n');
  });

  it('a follow-up says the earlier instructions are done, so only the new one is carried out (the reference engine too)', () => {
    const options = { model: 'm', contextTokens: 32_000 };
    const cont = buildContinuationRequest({ ...context, region: 'LET A = 1;\n' }, 'reverse the lines', ['uppercase'], 'resp_9', options, true);
    expect(parseEditRequest(cont.request)).toEqual({ region: 'LET A = 1;\n', instruction: 'reverse the lines', history: ['uppercase'], earlierDone: true });
    expect(parseEditRequest(buildEditRequest(context, 'use c', ['rename a to b'], options, true).request).earlierDone).toBe(true);
    expect(parseEditRequest(buildEditRequest(context, 'use c', ['rename a to b'], options).request).earlierDone).toBeUndefined();
    // "reverse" is not idempotent: a follow-up must not apply it twice.
    const region = 'a\nb\n';
    expect(builtinRewrite({ region, instruction: 'uppercase', history: ['reverse the lines'], languageId: 'plaintext', earlierDone: true })).toBe('A\nB\n');
    expect(builtinRewrite({ region, instruction: 'uppercase', history: ['reverse the lines'], languageId: 'plaintext' })).toBe('B\nA\n');
  });

  it('fits a huge file into the budget, trimming far context first, whole lines only', () => {
    const before = Array.from({ length: 50_000 }, (_, i) => `line ${i}\n`).join('');
    const after = Array.from({ length: 50_000 }, (_, i) => `tail ${i}\n`).join('');
    const built = buildEditRequest({ ...context, before, after }, 'x', [], { model: 'm', contextTokens: 8_000 });
    expect(built.estimatedTokens).toBeLessThanOrEqual(8_000);
    expect(built.trimmedChars).toBeGreaterThan(0);
    const text = JSON.stringify(built.request);
    expect(text).toContain('line 49999'); // nearest line before the region kept
    expect(text).not.toContain('line 0\\n');
    expect(text).toContain('tail 0\\n'); // nearest line after the region kept
    expect(text).not.toContain('tail 49999');
    const fitted = fitContext('aa\nbb\ncc\n', 'dd\nee\n', 6);
    expect(fitted.before.startsWith('bb') || fitted.before.startsWith('cc') || fitted.before === '').toBe(true);
    expect(estimateTokens('abcd')).toBe(1);
  });
});

describe('settings', () => {
  it('defaults every setting', () => {
    const { settings, problems } = parseSettings({});
    expect(problems).toEqual([]);
    expect(settings).toEqual(SettingsSchema.parse({}));
    expect(settings.model).toBe('gpt-5.3-codex-spark');
    expect(settings.flushIntervalMs).toBe(16);
  });

  it('falls back per key on a bad value and reports it', () => {
    const { settings, problems } = parseSettings({ flushIntervalMs: -5, onType: 'redirect', model: '' });
    expect(settings.flushIntervalMs).toBe(16);
    expect(settings.onType).toBe('redirect');
    expect(problems.map((p) => p.key).sort()).toEqual(['flushIntervalMs', 'model']);
  });

  it('refuses plaintext to non-loopback hosts unless allowed, and credentials in URLs', () => {
    expect(checkEndpoint('ws://127.0.0.1:8080/v1/responses', false).ok).toBe(true);
    expect(checkEndpoint('ws://localhost:1/x', false).ok).toBe(true);
    const refused = checkEndpoint('ws://example.com/v1/responses', false);
    expect(refused.ok === false && refused.error).toMatch(/allowInsecure/);
    expect(checkEndpoint('ws://example.com/v1/responses', true).ok).toBe(true);
    expect(checkEndpoint('wss://api.openai.com/v1/responses', false).ok).toBe(true);
    expect(checkEndpoint('https://api.openai.com', false).ok).toBe(false);
    expect(checkEndpoint('wss://u:p@host/x', false).ok).toBe(false);
    expect(checkEndpoint('local', false)).toEqual({ ok: true, value: { url: 'local', local: true } });
  });
});

describe('the Codex backend handshake', () => {
  it('sends what the Codex CLI sends: the WebSocket beta, hyphenated session and thread ids, a request id, our name and version, the account', () => {
    expect(codexHeaders('acct-1', 'sess-1', '0.1.0')).toEqual({
      'OpenAI-Beta': 'responses_websockets=2026-02-06',
      originator: 'spark_edit',
      version: '0.1.0',
      'User-Agent': 'spark_edit/0.1.0',
      'session-id': 'sess-1',
      'thread-id': 'sess-1',
      'x-client-request-id': 'sess-1',
      'ChatGPT-Account-ID': 'acct-1',
    });
    expect(codexHeaders('', 's', '1')).not.toHaveProperty('ChatGPT-Account-ID');
  });
});

describe('the prompt with project context', () => {
  const rules = [{ kind: 'rules' as const, label: 'AGENTS.md', text: 'Money is integer cents.' }];
  const definitions = [
    { name: 'doubled', path: 'lib/money.ts', line: 0, text: 'export function doubled(c: number) { return c * 2; }', distance: 3 },
    { name: 'Item', path: 'src/item.ts', line: 4, text: 'export interface Item { cents: number }', distance: 1 },
  ];
  const context = { fileName: 'src/cart.ts', languageId: 'typescript', before: 'const a = 1;\n', region: 'price(doubled(x));\n', after: 'const z = 2;\n', project: { rules, definitions } };

  it('stable parts first: the rules, the related definitions (nearest first), the file, the instruction last; the region still reads back', () => {
    const built = buildEditRequest(context, 'uppercase', [], { model: 'm', contextTokens: 32_000 });
    const text = built.request.input[0]!.content[0]!.text;
    const at = (needle: string): number => text.indexOf(needle);
    expect(at('Project rules (AGENTS.md)')).toBe(0);
    expect(at('Money is integer cents.')).toBeLessThan(at('Related code'));
    expect(at('--- src/item.ts:5 (Item)')).toBeLessThan(at('--- lib/money.ts:1 (doubled)'));
    expect(at('export function doubled')).toBeLessThan(at('File: src/cart.ts'));
    expect(at('File: src/cart.ts')).toBeLessThan(at('Instruction: uppercase'));
    expect(parseEditRequest(built.request)).toMatchObject({ region: context.region, instruction: 'uppercase' });
    expect(built.parts?.map((p) => p.name)).toEqual(['system', 'rules AGENTS.md', 'definition src/item.ts:5 (Item)', 'definition lib/money.ts:1 (doubled)', 'file around the region', 'region', 'instruction']);
  });

  it('bounded: rules and definitions each take at most a quarter of the budget; the file around the region gets the rest, trimmed from its far ends', () => {
    const hugeRules = [{ kind: 'rules' as const, label: 'AGENTS.md', text: 'r'.repeat(40_000) }];
    const before = Array.from({ length: 3_000 }, (_, i) => `const line${i} = ${i};`).join('\n') + '\n';
    const built = buildEditRequest({ ...context, before, project: { rules: hugeRules, definitions } }, 'uppercase', [], { model: 'm', contextTokens: 8_000 });
    expect(built.estimatedTokens).toBeLessThanOrEqual(8_000);
    const rulesChars = built.parts!.find((p) => p.name === 'rules AGENTS.md')!.chars;
    const fileChars = built.parts!.find((p) => p.name === 'file around the region')!.chars;
    expect(rulesChars).toBeLessThan(8_000); // a quarter of the ~28,000-character budget left after the region and reserve
    expect(fileChars).toBeGreaterThan(rulesChars);
    expect(built.trimmedChars).toBeGreaterThan(0);
  });

  it('no project context: the prompt is as before', () => {
    const { project: _dropped, ...plain } = context;
    const text = buildEditRequest(plain, 'uppercase', [], { model: 'm', contextTokens: 32_000 }).request.input[0]!.content[0]!.text;
    expect(text.startsWith('File: src/cart.ts (typescript)')).toBe(true);
  });
});

describe('#problems', () => {
  const problems = { kind: 'problems' as const, label: 'in and around the region', text: "line 2: error 2304: Cannot find name 'totl'." };
  const context = { fileName: 'a.ts', languageId: 'typescript', before: '', region: 'return totl;\n', after: '', project: { rules: [], definitions: [], problems } };

  it('attaches the problems near the region only when the instruction says #problems, before the file', () => {
    const asked = buildEditRequest(context, 'fix #problems', [], { model: 'm', contextTokens: 32_000 }).request.input[0]!.content[0]!.text;
    expect(asked.indexOf("Cannot find name 'totl'")).toBeGreaterThanOrEqual(0);
    expect(asked.indexOf("Cannot find name 'totl'")).toBeLessThan(asked.indexOf('File: a.ts'));
    expect(asked).toContain('Instruction: fix the problems listed above');
    const plain = buildEditRequest(context, 'uppercase', [], { model: 'm', contextTokens: 32_000 }).request.input[0]!.content[0]!.text;
    expect(plain).not.toContain('totl\'.');
  });
});

describe('#file, #symbol, #selection', () => {
  const attachment = (label: string, text: string) => ({ kind: 'attachment' as const, label, text });
  const project = {
    rules: [],
    definitions: [],
    attachments: [
      { token: '#file:lib/money.ts', part: attachment('file lib/money.ts', 'export const cents = 100; // MONEY') },
      { token: '#symbol:doubled', part: attachment('symbol doubled (lib/money.ts:3)', 'function doubled() {} // DOUBLED') },
      { token: '#selection', part: attachment('selection src/b.ts:4-6', 'const picked = 1; // PICKED') },
    ],
  };
  const context = { fileName: 'a.ts', languageId: 'typescript', before: '', region: 'let a = 1;\n', after: '', project };
  const textOf = (instruction: string, contextTokens = 32_000): string => buildEditRequest(context, instruction, [], { model: 'm', contextTokens }).request.input[0]!.content[0]!.text;

  it('reads the tokens out of an instruction, and words them for the model', () => {
    expect(attachmentsOf('use #file:lib/money.ts and #symbol:doubled, like #selection.')).toEqual({
      instruction: 'use lib/money.ts (attached above) and doubled (attached above), like the attached selection.',
      problems: false,
      tokens: ['#file:lib/money.ts', '#symbol:doubled', '#selection'],
    });
    expect(attachmentsOf('a#file:x costs #5').tokens).toEqual([]);
  });

  it('sends what the instruction names, before the file, and nothing it does not name', () => {
    const text = textOf('use #file:lib/money.ts like #selection');
    expect(text).toContain('Attached by the user');
    expect(text.indexOf('MONEY')).toBeLessThan(text.indexOf('File: a.ts'));
    expect(text).toContain('PICKED');
    expect(text).not.toContain('DOUBLED');
    expect(text).toContain('Instruction: use lib/money.ts (attached above) like the attached selection');
    expect(textOf('uppercase')).not.toContain('Attached by the user');
    const parts = buildEditRequest(context, 'see #symbol:doubled', [], { model: 'm', contextTokens: 32_000 }).parts!.map((p) => p.name);
    expect(parts).toContain('attached symbol doubled (lib/money.ts:3)');
  });

  it('a follow-up that continues the response sends what its own instruction attaches, before the region', () => {
    const cont = buildContinuationRequest(context, 'now like #file:lib/money.ts', ['uppercase'], 'resp_9', { model: 'm', contextTokens: 32_000 }, true);
    const text = cont.request.input[0]!.content[0]!.text;
    expect(cont.request.previous_response_id).toBe('resp_9');
    expect(text.indexOf('MONEY')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('MONEY')).toBeLessThan(text.indexOf('The region now reads:'));
    expect(text).not.toContain('PICKED');
    expect(text).toContain('Instruction: now like lib/money.ts (attached above)');
  });

  it('takes at most half of the budget', () => {
    const big = { ...context, project: { ...project, attachments: [{ token: '#file:big.ts', part: attachment('file big.ts', 'x'.repeat(200_000)) }] } };
    const built = buildEditRequest(big, 'see #file:big.ts', [], { model: 'm', contextTokens: 8_000 });
    expect(built.estimatedTokens).toBeLessThanOrEqual(8_000);
    expect(built.parts!.find((p) => p.name.startsWith('attached'))?.chars ?? 0).toBeLessThan(16_000);
  });
});
