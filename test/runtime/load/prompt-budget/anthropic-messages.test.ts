/**
 * Prompt budgeting of Anthropic Messages: `system` stays, `tool_use` goes
 * with the `tool_result` of the next user message, and the kept messages
 * still begin with a user message and alternate.
 */
import { describe, expect, it } from 'vitest';
import { trimAnthropicMessages } from '../../../../src/runtime/load/prompt-budget/anthropic-messages.js';

const MAX = Number.MAX_SAFE_INTEGER;
const text = (tag: string, n: number): string => `${tag}: ${'lorem '.repeat(n)}`;

const turn1 = { role: 'user', content: text('first question', 200) };
const toolUse = {
  role: 'assistant',
  content: [
    { type: 'text', text: 'Let me look.' },
    { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'a' } },
  ],
};
const toolResult = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: text('lookup result', 300) }],
};
const answer1 = { role: 'assistant', content: text('first answer', 100) };
const turn2 = { role: 'user', content: [{ type: 'text', text: text('second question', 200) }] };
const answer2 = { role: 'assistant', content: text('second answer', 100) };
const latest = { role: 'user', content: 'And now?' };
const messages = [turn1, toolUse, toolResult, answer1, turn2, answer2, latest];
const body = { model: 'claude-haiku', max_tokens: 64, system: 'Answer briefly.', messages };

const tokens = (kept: unknown[]): number =>
  trimAnthropicMessages({ ...body, messages: kept }, MAX).keptTokens;

/** What the API asks of `messages`: a user message first, then alternating roles. */
function startsWithUserAndAlternates(kept: readonly { role: string }[]): boolean {
  return kept[0]?.role === 'user' && kept.every((m, i) => i === 0 || m.role !== kept[i - 1]?.role);
}

describe('trimAnthropicMessages', () => {
  it('leaves messages that fit untouched', () => {
    expect(trimAnthropicMessages(body, tokens(messages)).body).toBe(body);
  });

  it('drops the oldest turn with its tool_use and tool_result; system stays', () => {
    const kept = [turn2, answer2, latest];
    const trim = trimAnthropicMessages(body, tokens(kept));
    expect(trim.body.messages).toEqual(kept);
    expect(trim.body.system).toBe(body.system);
    expect(trim.trimmedTokens).toBe(tokens(messages) - tokens(kept));
    expect(startsWithUserAndAlternates(kept)).toBe(true);
  });

  it('never begins with a tool_result message, however the budget falls', () => {
    for (let budget = 1; budget <= tokens(messages); budget += 37) {
      const kept = trimAnthropicMessages(body, budget).body.messages as { role: string; content: unknown }[];
      expect(startsWithUserAndAlternates(kept)).toBe(true);
      expect(kept[0]).not.toBe(toolResult);
      expect(kept.includes(toolUse)).toBe(kept.includes(toolResult));
      expect(kept.at(-1)).toBe(latest);
    }
  });

  it('keeps an agent loop after the latest user text whole', () => {
    const loop = [turn1, answer1, turn2, toolUse, toolResult];
    expect(trimAnthropicMessages({ ...body, messages: loop }, 1).body.messages).toEqual([
      turn2,
      toolUse,
      toolResult,
    ]);
  });

  it('sends the latest user turn even when it alone is over budget', () => {
    const trim = trimAnthropicMessages(body, 1);
    expect(trim.body.messages).toEqual([latest]);
    expect(trim.keptTokens).toBe(tokens([latest]));
    expect(trim.keptTokens).toBeGreaterThan(1);
  });
});
