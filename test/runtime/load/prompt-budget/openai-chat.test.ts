/**
 * Prompt budgeting of Chat Completions: oldest turns go first; system and
 * developer messages, the latest user turn and tool-call pairs stay whole.
 * Budgets are set to the estimated tokens of the expected result, measured
 * with the same estimator, so each test names exactly what must stay.
 */
import { describe, expect, it } from 'vitest';
import { trimChatMessages } from '../../../../src/runtime/load/prompt-budget/openai-chat.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** About `n` tokens of text, distinct by `tag`. */
const text = (tag: string, n: number): string => `${tag}: ${'lorem '.repeat(n)}`;

const system = { role: 'system', content: 'You answer in one line.' };
const turn1 = { role: 'user', content: text('first question', 200) };
const calls = {
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }],
};
const result = { role: 'tool', tool_call_id: 'call_1', content: text('lookup result', 300) };
const answer1 = { role: 'assistant', content: text('first answer', 100) };
const turn2 = { role: 'user', content: text('second question', 200) };
const answer2 = { role: 'assistant', content: text('second answer', 100) };
const developer = { role: 'developer', content: 'Be kind.' };
const latest = { role: 'user', content: 'And the latest question?' };
const messages = [system, turn1, calls, result, answer1, turn2, answer2, developer, latest];
const body = { model: 'gpt-4o-mini', messages, tools: [{ type: 'function', function: { name: 'lookup' } }] };

/** Estimated prompt tokens of `body` with these messages. */
const tokens = (kept: unknown[]): number => trimChatMessages({ ...body, messages: kept }, MAX).keptTokens;

describe('trimChatMessages', () => {
  it('leaves a prompt that fits untouched (the same object)', () => {
    const trim = trimChatMessages(body, tokens(messages));
    expect(trim.body).toBe(body);
    expect(trim.trimmedTokens).toBe(0);
    expect(trim.keptTokens).toBe(tokens(messages));
  });

  it('drops the oldest turn first, its tool call and result with it', () => {
    const kept = [system, turn2, answer2, developer, latest];
    const trim = trimChatMessages(body, tokens(kept));
    expect(trim.body.messages).toEqual(kept);
    expect(trim.keptTokens).toBe(tokens(kept));
    expect(trim.trimmedTokens).toBe(tokens(messages) - tokens(kept));
    expect(trim.body.tools).toBe(body.tools);
    expect(body.messages).toHaveLength(9);
  });

  it('keeps the system prompt, developer messages and the latest user turn however small the budget', () => {
    const trim = trimChatMessages(body, 1);
    expect(trim.body.messages).toEqual([system, developer, latest]);
    expect(trim.keptTokens).toBeGreaterThan(1);
  });

  it('drops whole turns: one token short of a turn drops the next one too', () => {
    const kept = [system, turn2, answer2, developer, latest];
    expect(trimChatMessages(body, tokens(kept) - 1).body.messages).toEqual([system, developer, latest]);
  });

  it('never separates a tool result from a call made before a user message', () => {
    // A client that lets the user speak between a call and its result: no cut may fall between them.
    const odd = [system, turn1, calls, turn2, result, answer2, latest];
    const trim = trimChatMessages(
      { ...body, messages: odd },
      tokens([system, turn2, result, answer2, latest]),
    );
    expect(trim.body.messages).toEqual([system, latest]);
  });

  it('pairs the legacy function role with the function_call before it', () => {
    const legacyCall = {
      role: 'assistant',
      content: null,
      function_call: { name: 'lookup', arguments: '{}' },
    };
    const legacyResult = { role: 'function', name: 'lookup', content: text('function result', 300) };
    const legacy = [turn1, legacyCall, turn2, legacyResult, latest];
    // Room for turn2 onwards, but beginning there would orphan the function result.
    const trim = trimChatMessages({ ...body, messages: legacy }, tokens([turn2, legacyResult, latest]));
    expect(trim.body.messages).toEqual([latest]);
  });

  it('keeps a tool loop after the latest user turn whole', () => {
    const loop = [turn1, answer1, latest, calls, result];
    expect(trimChatMessages({ ...body, messages: loop }, 1).body.messages).toEqual([latest, calls, result]);
  });

  it('drops nothing when there is no user turn to begin from', () => {
    const noUser = { ...body, messages: [system, answer1, answer2] };
    const trim = trimChatMessages(noUser, 1);
    expect(trim.body).toBe(noUser);
    expect(trim.trimmedTokens).toBe(0);
  });
});
