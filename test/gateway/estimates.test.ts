/**
 * Estimates that match what the provider's limiter charges (issue 14),
 * through `sluice serve` in-process: official SDK clients in concurrent
 * bursts, the simulator upstream, one manual clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { askWithCachedSystem } from '../library/cached-prompt.js';
import { burst } from '../library/closed-loop.js';
import { baseConfig, KEYS, type Rig, startRig } from './helpers.js';

let rig: Rig | undefined;

async function start(limits: Record<string, number>) {
  const clock = new ManualClock();
  rig = await startRig({
    clock,
    sim: { defaults: limits, response: { mode: 'lorem', tokens: 20 } },
    config: (simUrl) =>
      baseConfig(simUrl, {
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'oa',
                provider: 'openai',
                base_url: `${simUrl}/v1`,
                api_key: 'sk-up',
                model: 'gpt-4o-mini',
                limits,
              },
            ],
          },
          claude: {
            deployments: [
              {
                id: 'an',
                provider: 'anthropic',
                base_url: simUrl,
                api_key: 'sk-ant-up',
                model: 'claude-sonnet-4-6',
                limits,
              },
            ],
          },
        },
        tiers: {
          free: { priority: 'low' },
          pro: { priority: 'normal', max_wait_ms: 600_000 },
          enterprise: { priority: 'critical' },
        },
      }),
  });
  return { clock, rig };
}

describe('gateway admission as the provider charges', () => {
  it("a burst without max_tokens is reserved at the model's maximum: no upstream 429", async () => {
    const { clock, rig } = await start({ tpm: 100_000 });
    try {
      const client = rig.openai(KEYS.pro);
      const answers = await burst(
        clock,
        () => rig.gateway.governor,
        20,
        () =>
          client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hi!' }],
          }),
      );
      expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
      expect(rig.sim.stats().rejected.tpm).toBe(0);
    } finally {
      await rig.close();
    }
  });

  it('a burst of cached Anthropic prompts is admitted on its uncached input: all at once, no upstream 429', async () => {
    const { clock, rig } = await start({ itpm: 30_000 });
    try {
      const client = rig.anthropic(KEYS.pro);
      const ask = (question: string) => askWithCachedSystem(client, question);
      await ask('Warm the cache.');
      const answers = await burst(
        clock,
        () => rig.gateway.governor,
        20,
        () => ask('A short question.'),
      );
      expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
      expect(Math.max(...answers.map((a) => a.at))).toBeLessThanOrEqual(1_000);
      expect(rig.sim.stats().rejected.itpm).toBe(0);
    } finally {
      await rig.close();
    }
  });
});
