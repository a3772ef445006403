/**
 * Prompt budgeting of Gemini `contents`: `systemInstruction` stays, a
 * model turn's `functionCall` goes with the `functionResponse` of the user
 * turn after it, and the kept contents begin with a user turn.
 */
import { describe, expect, it } from 'vitest';
import { trimGeminiContents } from '../../../../src/runtime/load/prompt-budget/gemini-contents.js';

const MAX = Number.MAX_SAFE_INTEGER;
const text = (tag: string, n: number): string => `${tag}: ${'lorem '.repeat(n)}`;

const turn1 = { role: 'user', parts: [{ text: text('first question', 200) }] };
const call = { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] };
const response = {
  role: 'user',
  parts: [{ functionResponse: { name: 'weather', response: { forecast: text('forecast', 300) } } }],
};
const answer1 = { role: 'model', parts: [{ text: text('first answer', 100) }] };
const turn2 = { parts: [{ text: text('second question (no role: the user)', 200) }] };
const answer2 = { role: 'model', parts: [{ text: text('second answer', 100) }] };
const latest = { role: 'user', parts: [{ text: 'And tomorrow?' }] };
const contents = [turn1, call, response, answer1, turn2, answer2, latest];
const body = { systemInstruction: { parts: [{ text: 'You are a weather bot.' }] }, contents };

const tokens = (kept: unknown[]): number => trimGeminiContents({ ...body, contents: kept }, MAX).keptTokens;

describe('trimGeminiContents', () => {
  it('leaves contents that fit untouched', () => {
    expect(trimGeminiContents(body, tokens(contents)).body).toBe(body);
  });

  it('drops the oldest turn with its function call and response; systemInstruction stays', () => {
    const kept = [turn2, answer2, latest];
    const trim = trimGeminiContents(body, tokens(kept));
    expect(trim.body.contents).toEqual(kept);
    expect(trim.body.systemInstruction).toBe(body.systemInstruction);
    expect(trim.trimmedTokens).toBe(tokens(contents) - tokens(kept));
  });

  it('begins with a user turn that is no function response, however the budget falls', () => {
    for (let budget = 1; budget <= tokens(contents); budget += 29) {
      const kept = trimGeminiContents(body, budget).body.contents as { role?: string }[];
      expect(kept[0]?.role ?? 'user').toBe('user');
      expect(kept[0]).not.toBe(response);
      expect(kept.includes(call)).toBe(kept.includes(response));
      expect(kept.at(-1)).toBe(latest);
    }
  });

  it('keeps a function-calling loop after the latest user text whole', () => {
    const loop = [turn1, answer1, latest, call, response];
    expect(trimGeminiContents({ ...body, contents: loop }, 1).body.contents).toEqual([
      latest,
      call,
      response,
    ]);
  });
});
