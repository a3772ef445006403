/**
 * Routing, circuit breaking, learning limits from headers and downgrades,
 * through `governor.fetch` and the real `openai` SDK against simulators.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { DeploymentInput } from '../../src/config/governor-schema.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

function deployment(id: string, sim: Simulator, extra: Partial<DeploymentInput> = {}): DeploymentInput {
  return {
    id,
    provider: 'openai',
    base_url: `${sim.url}/v1`,
    model: 'gpt-4o-mini',
    limits: { rpm: 600 },
    ...extra,
  };
}

const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Hello there.' }],
  max_tokens: 20,
};

describe('routing', () => {
  it('spreads traffic over the deployments of a group by headroom', async () => {
    const a = await simulator();
    const b = await simulator();
    const g = governor({
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            deployment('a', a, { limits: { rpm: 60 } }),
            deployment('b', b, { limits: { rpm: 60 } }),
          ],
        },
      },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${a.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    for (let i = 0; i < 40; i++) await client.chat.completions.create(ask);
    expect(a.stats().requests).toBe(20);
    expect(b.stats().requests).toBe(20);
  });

  it('opens the circuit of a failing deployment so that it stops getting traffic', async () => {
    const broken = await simulator({ faults: [{ kind: '502', every: 1 }] });
    const healthy = await simulator();
    const g = governor({
      model_groups: {
        'gpt-4o-mini': {
          deployments: [deployment('broken', broken), deployment('healthy', healthy, { weight: 0.001 })],
        },
      },
      circuit: { consecutive_failures: 3, open_ms: 60_000 },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${healthy.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    for (let i = 0; i < 30; i++) await expect(client.chat.completions.create(ask)).resolves.toBeDefined();
    expect(broken.stats().requests).toBeLessThanOrEqual(3);
    expect(g.governor.groups.deployment('broken')?.circuit.stateAt(Date.now())).toBe('open');
  });

  it('adopts a provider limit lower than declared from the first response, with no 429 storm', async () => {
    const sim = await simulator({ defaults: { rpm: 30 } });
    const g = governor({
      model_groups: { 'gpt-4o-mini': { deployments: [deployment('d', sim, { limits: { rpm: 600 } })] } },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    await client.chat.completions.create(ask);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () =>
        client.chat.completions.create(ask, { headers: { 'x-sluice-max-wait-ms': '500' } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(20);
    expect(g.governor.groups.deployment('d')?.bucketFor('requests', 'minute')?.limit).toBe(30);
    expect(sim.stats().rejected.rpm).toBe(0);
  });

  it('pauses and slows down after an upstream 429, then retries once the provider allows', async () => {
    // One manual clock for both: the retry-after is waited on it, not on the wall clock.
    const clock = new ManualClock();
    const sim = await simulator({ clock, faults: [{ kind: 'rate_limited', at: [1], retry_after_s: 1 }] });
    const g = governor({ model_groups: { 'gpt-4o-mini': { deployments: [deployment('d', sim)] } } }, { clock });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const answer = client.chat.completions.create(ask);
    await expect.poll(() => sim.stats().requests).toBe(1);
    // The retry waits for the provider's retry-after, inside admission.
    await clock.advanceAsync(999);
    expect(sim.stats().requests).toBe(1);
    await clock.advanceAsync(1);
    await expect(answer).resolves.toBeDefined();
    expect(sim.stats().requests).toBe(2);
    expect(g.governor.groups.deployment('d')?.rate.factor).toBeLessThan(1);
  });

  it('downgrades eligible requests to a cheaper group when the primary runs low on headroom', async () => {
    const big = await simulator();
    const small = await simulator();
    const g = governor({
      model_groups: {
        'gpt-4o': {
          deployments: [{ ...deployment('big', big, { limits: { rpm: 10 } }), model: 'gpt-4o' }],
          downgrade: { to: 'gpt-4o-mini', when_headroom_below: 0.5 },
        },
        'gpt-4o-mini': { deployments: [deployment('small', small, { limits: { rpm: 600 } })] },
      },
    });
    const client = new OpenAI({ apiKey: 'sk', baseURL: `${big.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const eligible = { headers: { 'x-sluice-downgrade': 'allow' } };
    for (let i = 0; i < 8; i++) await client.chat.completions.create({ ...ask, model: 'gpt-4o' }, eligible);
    // 9 fit (10 RPM, 10 % margin). The 5th would leave 4/9 of the bucket, under half:
    // from then on eligible calls go to the cheaper group.
    expect(big.stats().requests).toBe(4);
    expect(small.stats().requests).toBe(4);
    // A call that is not eligible stays on its group.
    await client.chat.completions.create({ ...ask, model: 'gpt-4o' });
    expect(big.stats().requests).toBe(5);
  });
});
