/**
 * No OpenAI path of the gateway hands the tokenizer a long unbroken run: a
 * 99,000-character single-character prompt (just inside the characters one
 * request may have tokenized, `DEFAULT_MAX_TOKENIZED_CHARS`) on chat,
 * Responses and embeddings is counted without the BPE ever seeing more than
 * a bounded piece (the in-process simulator counts through the same counter).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maxPreTokenBytes } from '../../src/providers/estimate/long-runs.js';
import { longestPreToken, spyOnTokenizers, type TokenizerSpy } from '../providers/estimate/tokenizer-spy.js';
import { type Rig, startRig } from './helpers.js';

let rig: Rig;
let spy: TokenizerSpy | undefined;
beforeAll(async () => {
  rig = await startRig();
});
afterEach(() => spy?.restore());
afterAll(() => rig.close());

function expectBounded(seen: readonly string[]): void {
  expect(seen.length).toBeGreaterThan(0);
  expect(Math.max(...seen.map(longestPreToken))).toBeLessThanOrEqual(maxPreTokenBytes());
}

describe('the gateway keeps long runs from the tokenizer', () => {
  it('chat completions', async () => {
    spy = spyOnTokenizers();
    const chat = await rig.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'C'.repeat(99_000) }],
      max_tokens: 8,
    });
    expect(chat.usage?.prompt_tokens).toBeGreaterThan(24_000);
    expectBounded(spy.seen);
  });

  it('Responses', async () => {
    spy = spyOnTokenizers();
    const response = await rig.openai().responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'R'.repeat(99_000) }],
      max_output_tokens: 16,
    });
    expect(response.usage?.input_tokens).toBeGreaterThan(24_000);
    expectBounded(spy.seen);
  });

  it('embeddings', async () => {
    spy = spyOnTokenizers();
    const embedding = await rig.openai().embeddings.create({
      model: 'gpt-4o-mini',
      input: ['E'.repeat(99_000), `!${'\n/'.repeat(400)}`],
    });
    expect(embedding.usage.prompt_tokens).toBeGreaterThan(24_000);
    expectBounded(spy.seen);
  });
});
