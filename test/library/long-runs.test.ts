/**
 * `governor.fetch` estimates with the same bounded counter as the gateway: a
 * 99,000-character single-character prompt (inside the characters one
 * request may have tokenized) never reaches the BPE whole.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { maxPreTokenBytes } from '../../src/providers/estimate/long-runs.js';
import { longestPreToken, spyOnTokenizers, type TokenizerSpy } from '../providers/estimate/tokenizer-spy.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();
let spy: TokenizerSpy | undefined;
afterEach(() => spy?.restore());

describe('governor.fetch keeps long runs from the tokenizer', () => {
  it('on chat, Responses and embeddings', async () => {
    const sim = await simulator({ response: { tokens: 4 } });
    const g = governor({
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            {
              id: 'sim',
              provider: 'openai',
              base_url: `${sim.url}/v1`,
              model: 'gpt-4o-mini',
              limits: { tpm: 1e7 },
            },
          ],
        },
      },
    });
    const client = new OpenAI({ apiKey: 'sk-lib', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    spy = spyOnTokenizers();
    const chat = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'L'.repeat(99_000) }],
      max_tokens: 8,
    });
    const response = await client.responses.create({
      model: 'gpt-4o-mini',
      input: 'M'.repeat(99_000),
      max_output_tokens: 16,
    });
    const embedding = await client.embeddings.create({ model: 'gpt-4o-mini', input: ' '.repeat(99_000) });
    expect(spy.seen.length).toBeGreaterThan(0);
    expect(Math.max(...spy.seen.map(longestPreToken))).toBeLessThanOrEqual(maxPreTokenBytes());
    expect(chat.usage?.prompt_tokens).toBe(3 + 3 + 1 + 24_750);
    expect(response.usage?.input_tokens).toBeGreaterThan(24_750);
    expect(embedding.usage.prompt_tokens).toBe(24_750);
  });
});
