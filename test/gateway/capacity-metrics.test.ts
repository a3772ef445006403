/**
 * Reserved versus on-demand metrics (issue 15): calls, tokens and cost per
 * group and deployment labelled with the deployment's capacity, from which
 * the spillover share is computed as the PromQL in `capacity-metrics.ts`
 * does; first from events, then after real calls through the gateway.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/core/cost.js';
import { CapacityMetrics } from '../../src/gateway/capacity-metrics.js';
import { type DeploymentTerms, termsOf } from '../../src/runtime/spillover.js';
import { settledEvent } from '../runtime/events-kit.js';
import { advanceUntilSettled } from './helpers.js';
import { sample, scrape, start } from './metrics-rig.js';
import { chatCompletion, json } from './scripted-upstream.js';

const TERMS = new Map<string, DeploymentTerms>([
  ['ptu', termsOf({ capacity: 'reserved', price: { inputPerMTok: 1, outputPerMTok: 4 } })],
  ['paygo', termsOf({ capacity: 'on_demand', price: { inputPerMTok: 2.5, outputPerMTok: 10 } })],
  ['free', termsOf({})],
]);

function admittedEvent(deployment: string, group = 'g') {
  return { tenant: 'acme', priority: 'normal', group, deployment, waitedMs: 0, cost: costOf(100, 50) };
}

async function exposition(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe('capacity metrics from events', () => {
  it('splits calls, tokens and cost by capacity, and the share follows from the call counters', async () => {
    const registry = new Registry();
    const metrics = new CapacityMetrics(registry, { termsOf: (d) => TERMS.get(d) });
    metrics.declare('g', ['ptu', 'paygo', 'free']);
    const calls = { ptu: 6, paygo: 3, free: 1 };
    for (const [deployment, n] of Object.entries(calls)) {
      for (let i = 0; i < n; i++) {
        metrics.admitted(admittedEvent(deployment));
        metrics.settled(
          settledEvent({
            deployment,
            delivered: { inputTokens: 1_000, outputTokens: 200 },
            usage: undefined,
          }),
        );
      }
    }
    // An OpenAI-style usage whose prompt includes cached reads, and an Anthropic-style one that leaves them out.
    metrics.settled(
      settledEvent({
        deployment: 'paygo',
        delivered: { inputTokens: 1_000, outputTokens: 0, cacheReadTokens: 800 },
      }),
    );
    metrics.settled(
      settledEvent({
        deployment: 'ptu',
        delivered: { inputTokens: 100, outputTokens: 0, cacheReadTokens: 900, promptTokens: 1_000 },
      }),
    );
    const text = await exposition(registry);
    const at = (name: string, deployment: string, capacity: string, extra: Record<string, string> = {}) =>
      sample(text, name, { group: 'g', deployment, capacity, ...extra });

    expect(at('sluice_served_calls_total', 'ptu', 'reserved')).toBe(6);
    expect(at('sluice_served_calls_total', 'paygo', 'on_demand')).toBe(3);
    // Without a declared capacity a deployment is on-demand.
    expect(at('sluice_served_calls_total', 'free', 'on_demand')).toBe(1);
    expect(at('sluice_served_tokens_total', 'ptu', 'reserved', { direction: 'input' })).toBe(6_100);
    expect(at('sluice_served_tokens_total', 'paygo', 'on_demand', { direction: 'output' })).toBe(600);

    // sum(on_demand) / sum(all), as the documented PromQL computes it.
    const onDemand =
      (at('sluice_served_calls_total', 'paygo', 'on_demand') ?? 0) +
      (at('sluice_served_calls_total', 'free', 'on_demand') ?? 0);
    expect(onDemand / (onDemand + (at('sluice_served_calls_total', 'ptu', 'reserved') ?? 0))).toBeCloseTo(
      0.4,
      10,
    );

    // ptu: 6 × (1000 × $1 + 200 × $4) / 1e6, plus a 1000-token prompt (cache reads priced as input).
    expect(at('sluice_cost_usd_total', 'ptu', 'reserved')).toBeCloseTo((6 * 1_800 + 1_000) / 1e6, 12);
    // paygo: 3 × (1000 × $2.5 + 200 × $10) / 1e6, plus 1000 prompt tokens at $2.5.
    expect(at('sluice_cost_usd_total', 'paygo', 'on_demand')).toBeCloseTo((3 * 4_500 + 2_500) / 1e6, 12);
    // No price, no cost series.
    expect(at('sluice_cost_usd_total', 'free', 'on_demand')).toBeUndefined();
    // The same spend by who spent it: every priced answer of the tenant on the group.
    const tenant = settledEvent({ deployment: 'ptu' }).tenant;
    expect(sample(text, 'sluice_tenant_cost_usd_total', { tenant, group: 'g' })).toBeCloseTo(
      (6 * 1_800 + 1_000 + 3 * 4_500 + 2_500) / 1e6,
      12,
    );
  });

  it('counts a forwarded batch’s calls, tokens and its batch-priced cost once billed', async () => {
    const registry = new Registry();
    const metrics = new CapacityMetrics(registry, { termsOf: (d) => TERMS.get(d) });
    const delivered = { inputTokens: 40_000, outputTokens: 2_000 };
    metrics.billed({ tenant: 'acme', group: 'g', deployment: 'paygo', calls: 20, delivered, usd: 0.06 });
    metrics.billed({ tenant: 'acme', group: 'g', deployment: 'free', calls: 5, delivered, usd: 0 });
    const text = await exposition(registry);
    const at = (name: string, deployment: string, extra: Record<string, string> = {}) =>
      sample(text, name, { group: 'g', deployment, capacity: 'on_demand', ...extra });
    expect(at('sluice_served_calls_total', 'paygo')).toBe(20);
    expect(at('sluice_served_tokens_total', 'paygo', { direction: 'input' })).toBe(40_000);
    expect(at('sluice_served_tokens_total', 'free', { direction: 'output' })).toBe(2_000);
    // The event's dollars as billed (half the list price, runtime/batch-billing.ts), not priced again.
    expect(at('sluice_cost_usd_total', 'paygo')).toBeCloseTo(0.06, 12);
    expect(at('sluice_cost_usd_total', 'free')).toBeUndefined();
    expect(sample(text, 'sluice_tenant_cost_usd_total', { tenant: 'acme', group: 'g' })).toBeCloseTo(
      0.06,
      12,
    );
  });

  it('labels by the request’s group and reads terms again after a reload', async () => {
    const registry = new Registry();
    let terms = TERMS;
    const metrics = new CapacityMetrics(registry, { termsOf: (d) => terms.get(d) });
    metrics.admitted(admittedEvent('ptu', 'big'));
    terms = new Map([['ptu', termsOf({ capacity: 'on_demand' })]]);
    metrics.admitted(admittedEvent('ptu', 'big'));
    metrics.reloaded();
    metrics.admitted(admittedEvent('ptu', 'big'));
    metrics.admitted(admittedEvent('gone', 'big'));
    const text = await exposition(registry);
    const calls = (deployment: string, capacity: string) =>
      sample(text, 'sluice_served_calls_total', { group: 'big', deployment, capacity });
    expect(calls('ptu', 'reserved')).toBe(2);
    expect(calls('ptu', 'on_demand')).toBe(1);
    expect(calls('gone', 'on_demand')).toBe(1);
  });
});

describe('capacity metrics through the gateway', () => {
  it('counts every concurrent call on the deployment that served it, with its capacity and cost', async () => {
    const price = { input_per_mtok: 3, output_per_mtok: 15 };
    const {
      gateway: g,
      client,
      clock,
    } = await start(
      ({ res }) => json(res, 200, chatCompletion({ prompt: 1_000, completion: 100 })),
      {},
      {
        gpt: {
          deployments: [
            {
              id: 'ptu',
              provider: 'openai',
              base_url: '',
              api_key: 'sk-up',
              model: 'gpt-x',
              capacity: 'reserved',
              price,
              limits: { rpm: 12 },
            },
            {
              id: 'paygo',
              provider: 'openai',
              base_url: '',
              api_key: 'sk-up',
              model: 'gpt-x',
              capacity: 'on_demand',
              price,
            },
            { id: 'spare', provider: 'openai', base_url: '', api_key: 'sk-up', model: 'gpt-x' },
          ],
        },
      },
    );
    // Every series exists from start.
    const before = await scrape(g);
    for (const [deployment, capacity] of [
      ['ptu', 'reserved'],
      ['paygo', 'on_demand'],
      ['spare', 'on_demand'],
    ] as const)
      expect(sample(before, 'sluice_served_calls_total', { group: 'gpt', deployment, capacity })).toBe(0);
    expect(sample(before, 'sluice_cost_usd_total', { deployment: 'ptu' })).toBe(0);
    expect(sample(before, 'sluice_cost_usd_total', { deployment: 'spare' })).toBeUndefined();

    // More than the reserved 12 rpm can take before the 30 s deadline: the rest spills.
    const n = 30;
    await advanceUntilSettled(
      clock,
      Promise.all(
        Array.from({ length: n }, () =>
          client.chat.completions.create({
            model: 'gpt',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 100,
          }),
        ),
      ),
      { stepMs: 250 },
    );
    const text = await scrape(g);
    const calls = (deployment: string, capacity: string) =>
      sample(text, 'sluice_served_calls_total', { group: 'gpt', deployment, capacity }) ?? 0;
    const reserved = calls('ptu', 'reserved');
    const onDemand = calls('paygo', 'on_demand') + calls('spare', 'on_demand');
    expect(reserved + onDemand).toBe(n);
    expect(reserved).toBeGreaterThanOrEqual(10);
    expect(reserved).toBeLessThanOrEqual(17);
    expect(onDemand).toBeGreaterThan(0);
    for (const [deployment, capacity, served] of [
      ['ptu', 'reserved', reserved],
      ['paygo', 'on_demand', calls('paygo', 'on_demand')],
    ] as const) {
      const labels = { group: 'gpt', deployment, capacity };
      expect(sample(text, 'sluice_served_tokens_total', { ...labels, direction: 'input' })).toBe(
        served * 1_000,
      );
      expect(sample(text, 'sluice_cost_usd_total', labels)).toBeCloseTo(
        (served * (1_000 * 3 + 100 * 15)) / 1e6,
        9,
      );
    }
  });
});
