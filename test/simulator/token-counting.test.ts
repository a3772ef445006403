/**
 * `token_counting.prompt_multiplier`: the simulator plays a provider whose
 * tokenizer counts k × Sluice's tokens, in what it charges and in what it
 * reports, read through the official SDK.
 */
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseSimulatorConfig } from '../../src/simulator/config.js';
import { describeSimulator } from '../../src/simulator/describe.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const question = 'How many tokens does this prompt have?';
const messages = [{ role: 'user' as const, content: question }];
const base = 3 + 3 + o200k('user') + o200k(question);

describe('prompt token multiplier', () => {
  it.each([0.7, 1.4])('charges and reports ceil(%s × the tokenizer count)', async (k) => {
    sim = await startSimulator({
      clock: new ManualClock(),
      response: { tokens: 5 },
      defaults: { tpm: 100_000 },
      token_counting: { prompt_multiplier: k },
    });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages, max_tokens: 10 })
      .withResponse();
    const prompt = Math.ceil(base * k);
    expect(data.usage?.prompt_tokens).toBe(prompt);
    // Admission charged prompt + max_tokens, before reconciling to usage (prompt + 5).
    expect(Number(response.headers.get('x-ratelimit-remaining-tokens'))).toBe(100_000 - prompt - 10);
  });

  it('is validated and described', () => {
    expect(() => parseSimulatorConfig({ token_counting: { prompt_multiplier: 3 } })).toThrow(
      /token_counting\.prompt_multiplier/,
    );
    const config = parseSimulatorConfig({ token_counting: { prompt_multiplier: 1.3 } });
    expect(describeSimulator(config, 'http://x').join('\n')).toContain('Prompts counted as 1.3 ×');
    expect(describeSimulator(parseSimulatorConfig({}), 'http://x').join('\n')).not.toContain('Prompts');
  });
});
