/**
 * Prompt budgeting of the Responses API's `input` items: `instructions`
 * and system/developer items stay, call items go with their `…_output`
 * (by `call_id`), a string input is never trimmed.
 */
import { describe, expect, it } from 'vitest';
import { trimResponsesInput } from '../../../../src/runtime/load/prompt-budget/openai-responses.js';

const MAX = Number.MAX_SAFE_INTEGER;
const text = (tag: string, n: number): string => `${tag}: ${'lorem '.repeat(n)}`;

const developer = { role: 'developer', content: 'Cite your sources.' };
const turn1 = { role: 'user', content: text('first question', 200) };
const reasoning = { type: 'reasoning', id: 'rs_1', summary: [] };
const call = { type: 'function_call', call_id: 'call_1', name: 'search', arguments: '{"q":"x"}' };
const output = { type: 'function_call_output', call_id: 'call_1', output: text('search result', 300) };
const answer1 = {
  type: 'message',
  role: 'assistant',
  content: [{ type: 'output_text', text: text('first answer', 100) }],
};
const turn2 = { type: 'message', role: 'user', content: [{ type: 'input_text', text: text('second', 200) }] };
const shell = { type: 'local_shell_call', call_id: 'sh_1', action: { type: 'exec', command: ['ls'] } };
const shellOut = { type: 'local_shell_call_output', call_id: 'sh_1', output: text('files', 100) };
const latest = { role: 'user', content: 'What now?' };
const input = [developer, turn1, reasoning, call, output, answer1, turn2, shell, shellOut, latest];
const body = { model: 'gpt-4.1', instructions: 'You are a research assistant.', input };

const tokens = (kept: unknown[]): number => trimResponsesInput({ ...body, input: kept }, MAX).keptTokens;

describe('trimResponsesInput', () => {
  it('leaves input that fits untouched', () => {
    const trim = trimResponsesInput(body, tokens(input));
    expect(trim.body).toBe(body);
    expect(trim.trimmedTokens).toBe(0);
  });

  it('drops the oldest turn with its reasoning, call and output; keeps instructions and developer items', () => {
    const kept = [developer, turn2, shell, shellOut, latest];
    const trim = trimResponsesInput(body, tokens(kept));
    expect(trim.body.input).toEqual(kept);
    expect(trim.body.instructions).toBe(body.instructions);
    expect(trim.trimmedTokens).toBe(tokens(input) - tokens(kept));
  });

  it('keeps the latest user turn when nothing fits', () => {
    expect(trimResponsesInput(body, 1).body.input).toEqual([developer, latest]);
  });

  it('never leaves an output without its call, whatever the item type', () => {
    // The shell call's output comes after a later user turn: that turn cannot begin the conversation.
    const odd = [turn1, shell, turn2, shellOut, latest];
    const trim = trimResponsesInput({ ...body, input: odd }, tokens([turn2, shellOut, latest]));
    expect(trim.body.input).toEqual([latest]);
  });

  it('pairs MCP approval requests with their responses', () => {
    const ask = {
      type: 'mcp_approval_request',
      id: 'mcpr_1',
      name: 'deploy',
      arguments: '{}',
      server_label: 's',
    };
    const yes = { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true };
    const odd = [turn1, ask, turn2, yes, latest];
    expect(trimResponsesInput({ ...body, input: odd }, tokens([turn2, yes, latest])).body.input).toEqual([
      latest,
    ]);
  });

  it('never trims a string input', () => {
    const single = { ...body, input: text('one long question', 2_000) };
    const trim = trimResponsesInput(single, 10);
    expect(trim.body).toBe(single);
    expect(trim.trimmedTokens).toBe(0);
    expect(trim.keptTokens).toBeGreaterThan(2_000);
  });
});
