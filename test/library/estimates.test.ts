/**
 * Estimates that match what the provider's limiter charges (issue 14),
 * end to end: the official `openai` SDK through `governor.fetch` against
 * the simulator, many callers at once, one manual clock.
 *
 * - A provider whose tokenizer counts k × ours (k = 0.7, 1.4): after two
 *   learning minutes, no upstream 429 and at least 97 % of the limit served
 *   with a 3 % margin.
 * - Requests without `max_tokens`: the governor reserves what OpenAI's
 *   limiter charges (the model's maximum), so a burst meets no upstream 429.
 * - Anthropic prompts with a cached prefix: admitted on their uncached part
 *   once usage showed the cache serving it (ITPM does not count reads).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Simulator } from '../../src/simulator/index.js';
import { askWithCachedSystem } from './cached-prompt.js';
import { burst, closedLoop } from './closed-loop.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const TPM = 60_000;
const LEARNING_MS = 120_000;
const RUN_MS = 360_000;
/** About a thousand tokens, different per caller so nothing is a cache hit. */
const promptOf = (worker: number) =>
  `Caller ${worker}. ${'The quick brown fox jumps over the lazy dog. '.repeat(100)}Summarise.`;

function setup(sim: Simulator, clock: ManualClock, limits: Record<string, number>) {
  const g = governor(
    {
      safety_margin: 0.03,
      // Callers wait as long as the run lasts: the test measures what is served, not refusals.
      default_max_wait_ms: 600_000,
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            { id: 'sim', provider: 'openai', base_url: `${sim.url}/v1`, model: 'gpt-4o-mini', limits },
          ],
        },
      },
    },
    { clock },
  );
  const client = new OpenAI({ apiKey: 'sk-gov', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
  return { g, client };
}

describe('learned prompt ratio against a provider counting k × our tokens', () => {
  it.each([0.7, 1.4])(
    'k = %s: no upstream 429 after two learning minutes, at least 97 percent of the limit served',
    async (k) => {
      const clock = new ManualClock();
      const sim = await simulator({
        clock,
        defaults: { tpm: TPM },
        response: { tokens: 50 },
        token_counting: { prompt_multiplier: k },
      });
      const { g, client } = setup(sim, clock, { tpm: TPM });
      let rejectedAfterLearning: number | undefined;
      const answers = await closedLoop({
        clock,
        governor: () => g.governor,
        workers: 40,
        untilMs: RUN_MS,
        onStep: (now) => {
          if (now === LEARNING_MS) rejectedAfterLearning = sim.stats().rejected.tpm;
        },
        call: (worker) =>
          client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: promptOf(worker) }],
            max_tokens: 100,
          }),
      });
      expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
      expect(sim.stats().rejected.tpm).toBe(rejectedAfterLearning);
      const served = answers
        .filter((a) => a.at > LEARNING_MS && a.at <= RUN_MS)
        .reduce(
          (sum, a) => sum + (a.result.status === 'fulfilled' ? (a.result.value.usage?.total_tokens ?? 0) : 0),
          0,
        );
      const goodput = served / ((TPM * (RUN_MS - LEARNING_MS)) / 60_000);
      expect(goodput).toBeGreaterThanOrEqual(0.97);
      expect(
        g.governor.estimates.promptRatio(g.governor.groups.group('gpt-4o-mini')?.deployments[0] as never),
      ).toBeCloseTo(k, 1);
    },
  );
});

describe('requests without max_tokens', () => {
  it("reserve the model's maximum, as OpenAI's limiter charges: a burst of 20 meets no upstream 429", async () => {
    const clock = new ManualClock();
    const limits = { tpm: 200_000 };
    const sim = await simulator({ clock, defaults: limits, response: { tokens: 20 } });
    const { g, client } = setup(sim, clock, limits);
    const answers = await burst(
      clock,
      () => g.governor,
      20,
      () =>
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Hi!' }],
        }),
    );
    expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
    expect(sim.stats().rejected.tpm).toBe(0);
  });
});

describe('Anthropic prompts with a cached prefix', () => {
  it('are admitted on their uncached input once the cache is seen: a burst of 20 passes at once, no 429', async () => {
    const clock = new ManualClock();
    const limits = { itpm: 30_000 };
    const sim = await simulator({ clock, defaults: limits, response: { tokens: 20 } });
    const g = governor(
      {
        safety_margin: 0.03,
        default_max_wait_ms: 600_000,
        model_groups: {
          claude: {
            deployments: [
              { id: 'sim', provider: 'anthropic', base_url: sim.url, model: 'claude-sonnet-4-6', limits },
            ],
          },
        },
      },
      { clock },
    );
    const client = new Anthropic({ apiKey: 'sk-ant', baseURL: sim.url, fetch: g.fetch, maxRetries: 0 });
    const ask = (question: string) => askWithCachedSystem(client, question);
    const first = await ask('Warm the cache.');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(19_000);
    const answers = await burst(
      clock,
      () => g.governor,
      20,
      () => ask('A short question.'),
    );
    expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
    // Reserved at the full prompt, 20 calls would need 400 k input tokens: 13 minutes of this limit.
    expect(Math.max(...answers.map((a) => a.at))).toBeLessThanOrEqual(1_000);
    expect(sim.stats().rejected.itpm).toBe(0);
  });
});
