/**
 * Placement at dispatch through the gateway (issue 15), with the official
 * openai SDK as client and the simulator enforcing each key's own limit
 * upstream, on one manual clock: a burst over two keys of different limits
 * spreads in proportion to them and draws no 429; one tenant saturating a
 * small group does not slow its calls to a roomy one.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { advanceUntilSettled, baseConfig, hello, KEYS, rigsClosedAfterEach, waitUntil } from './helpers.js';

const startRig = rigsClosedAfterEach();

const TIERS = { free: { priority: 'low' }, enterprise: { priority: 'critical' } } as const;

const KEY_RPM = { 'sk-small': 30, 'sk-large': 60 } as const;

function deployment(simUrl: string, key: keyof typeof KEY_RPM, model = 'gpt-4o-mini') {
  return {
    id: key,
    provider: 'openai' as const,
    base_url: `${simUrl}/v1`,
    api_key: key,
    model,
    limits: { rpm: KEY_RPM[key] },
  };
}

async function chat(client: OpenAI, model: string, maxWaitMs: number): Promise<number> {
  try {
    await client.chat.completions.create(
      { model, messages: hello, max_tokens: 5 },
      { headers: { 'x-sluice-max-wait-ms': String(maxWaitMs) } },
    );
    return 200;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error.status ?? 0;
    throw error;
  }
}

describe('placement through the gateway', () => {
  it('spreads a burst of 180 calls over two keys in proportion to their limits, with no upstream 429', async () => {
    const clock = new ManualClock();
    const r = await startRig({
      clock,
      sim: {
        keys: Object.fromEntries(
          Object.entries(KEY_RPM).map(([key, rpm]) => [key, { models: { 'gpt-4o-mini': { rpm } } }]),
        ),
      },
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'gpt-4o-mini': { deployments: [deployment(simUrl, 'sk-small'), deployment(simUrl, 'sk-large')] },
          },
          tiers: { ...TIERS, pro: { priority: 'normal', max_wait_ms: 300_000 } },
        }),
    });
    const client = r.openai(KEYS.pro);
    const calls = Promise.all(Array.from({ length: 180 }, () => chat(client, 'gpt-4o-mini', 300_000)));
    const statuses = await advanceUntilSettled(clock, calls, { stepMs: 1_000 });
    expect(statuses.every((s) => s === 200)).toBe(true);
    const stats = r.sim.stats();
    expect(stats.responses['429'] ?? 0).toBe(0);
    const small = stats.per_key['sk-small']?.['gpt-4o-mini']?.admitted ?? 0;
    const large = stats.per_key['sk-large']?.['gpt-4o-mini']?.admitted ?? 0;
    expect(small + large).toBe(180);
    expect(Math.abs(small / 180 - 1 / 3)).toBeLessThanOrEqual(0.1 / 3);
  });

  it("keeps a tenant's calls to a roomy group as fast as alone while its small group is saturated", async () => {
    const served = async (saturate: boolean) => {
      const clock = new ManualClock();
      const r = await startRig({
        clock,
        sim: {
          keys: {
            'sk-small': { models: { small: { rpm: 6 } } },
            'sk-large': { models: { big: { rpm: 60_000 } } },
          },
        },
        config: (simUrl) =>
          baseConfig(simUrl, {
            model_groups: {
              small: { deployments: [{ ...deployment(simUrl, 'sk-small', 'small'), limits: { rpm: 6 } }] },
              big: { deployments: [{ ...deployment(simUrl, 'sk-large', 'big'), limits: { rpm: 60_000 } }] },
            },
            tiers: { ...TIERS, pro: { priority: 'normal', max_wait_ms: 600_000 } },
          }),
      });
      const client = r.openai(KEYS.pro);
      const waiting = saturate ? Array.from({ length: 40 }, () => chat(client, 'small', 600_000)) : [];
      if (saturate) await waitUntil(() => r.gateway.governor.admission.queued() >= 30);
      // The roomy group's calls, with no clock time allowed to pass: each is served at once or not at all.
      const big = await Promise.all(Array.from({ length: 100 }, () => chat(client, 'big', 0)));
      const ok = big.filter((s) => s === 200).length;
      if (saturate) await advanceUntilSettled(clock, Promise.all(waiting), { stepMs: 1_000 });
      return ok;
    };
    const alone = await served(false);
    expect(alone).toBe(100);
    expect(await served(true)).toBe(alone);
  });
});
