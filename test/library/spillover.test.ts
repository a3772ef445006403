/**
 * The library's view of reserved versus on-demand traffic (issue 15):
 * `governor.spillover()` counts each call on the deployment it went to,
 * with that deployment's capacity and price. A burst larger than the
 * reserved deployment can take before the deadline spills the rest.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { advanceUntilSettled } from '../gateway/helpers.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Hello there.' }],
  max_tokens: 20,
};

describe('governor.spillover()', () => {
  it('splits calls, tokens and cost between reserved and on-demand deployments', async () => {
    const ptu = await simulator();
    const paygo = await simulator();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const g = governor(
      {
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'ptu',
                provider: 'openai',
                base_url: `${ptu.url}/v1`,
                model: 'gpt-4o-mini',
                limits: { rpm: 12 },
                capacity: 'reserved',
                price: { input_per_mtok: 1, output_per_mtok: 4 },
              },
              {
                id: 'paygo',
                provider: 'openai',
                base_url: `${paygo.url}/v1`,
                model: 'gpt-4o-mini',
                limits: { rpm: 600 },
                price: { input_per_mtok: 2.5, output_per_mtok: 10 },
              },
            ],
          },
        },
        default_max_wait_ms: 30_000,
      },
      { clock },
    );
    const nothing = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    expect(g.spillover()).toEqual([
      {
        group: 'gpt-4o-mini',
        reserved: nothing,
        onDemand: nothing,
        spilloverShare: null,
        deployments: [
          { deployment: 'ptu', capacity: 'reserved', ...nothing },
          { deployment: 'paygo', capacity: 'on_demand', ...nothing },
        ],
      },
    ]);
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${ptu.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const n = 30;
    await advanceUntilSettled(
      clock,
      Promise.all(Array.from({ length: n }, () => client.chat.completions.create(ask))),
      { stepMs: 250 },
    );

    const [group] = g.spillover();
    expect(group?.group).toBe('gpt-4o-mini');
    if (!group) return;
    expect(group.reserved.calls).toBe(ptu.stats().requests);
    expect(group.onDemand.calls).toBe(paygo.stats().requests);
    expect(group.reserved.calls + group.onDemand.calls).toBe(n);
    // Reserved first: its 12 rpm less the 10 % margin (10.8 at once, 0.18 a second after) within the
    // 30 s deadline; the rest spilled.
    expect(group.reserved.calls).toBeGreaterThanOrEqual(10);
    expect(group.reserved.calls).toBeLessThanOrEqual(17);
    expect(group.onDemand.calls).toBeGreaterThan(0);
    expect(group.spilloverShare).toBeCloseTo(group.onDemand.calls / n, 12);
    const byId = new Map(group.deployments.map((d) => [d.deployment, d]));
    expect(byId.get('ptu')?.capacity).toBe('reserved');
    expect(byId.get('paygo')?.capacity).toBe('on_demand');
    const reserved = group.reserved;
    const onDemand = group.onDemand;
    expect(onDemand.inputTokens).toBeGreaterThan(0);
    expect(reserved.costUsd).toBeCloseTo((reserved.inputTokens * 1 + reserved.outputTokens * 4) / 1e6, 12);
    expect(onDemand.costUsd).toBeCloseTo((onDemand.inputTokens * 2.5 + onDemand.outputTokens * 10) / 1e6, 12);
  });
});
