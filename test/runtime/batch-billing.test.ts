/**
 * Billing what a provider's Batch API served (a forwarded batch): at half
 * the deployment's price, charged to the tenant's spending budgets without
 * waiting (an overrun refuses the tenant's next call until it has drained),
 * and told to observers once as `billed`. Manual clock, memory store.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderUsage } from '../../src/providers/adapter.js';
import { batchCostUsd, budgetHold, sumUsage } from '../../src/runtime/batch-billing.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { finish, OK } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig } from './kit.js';

/** $2 per million input tokens ($1 cached), $8 per million output tokens. */
const PRICE = { inputPerMTok: 2, cachedInputPerMTok: 1, outputPerMTok: 8 };

function topology(): GovernorTopology {
  return {
    modelGroups: {
      g: { deployments: [openaiDeployment('a', { price: PRICE })] },
      h: { deployments: [openaiDeployment('free')] },
    },
    tiers: { capped: { limits: { usd_per_day: 1 } }, open: {} },
    tenants: [
      { id: 'c', tier: 'capped' },
      { id: 'o', tier: 'open' },
    ],
  };
}

async function spentOf(rig: Rig, id: string): Promise<number> {
  const spec = rig.governor.groups.tenants.resolve(id)?.buckets.find((b) => b.dimension === 'usd');
  if (!spec) throw new Error(`tenant ${id} has no budget`);
  const [snapshot] = await rig.store.inner.peek([spec]);
  return spec.capacity - (snapshot?.remaining ?? 0);
}

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0): ProviderUsage => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
});

describe('billing a forwarded batch', () => {
  it('sums the lines’ usage, cache reads included, and prices it at half the deployment’s price', () => {
    const total = sumUsage([
      usage(1_000, 100, 400),
      usage(2_000, 300),
      { inputTokens: 50, outputTokens: 5, promptTokens: 80 },
    ]);
    expect(total).toEqual({
      inputTokens: 3_050,
      outputTokens: 405,
      cacheReadTokens: 400,
      cacheWriteTokens: 0,
      promptTokens: 3_080,
    });
    // 2,680 fresh prompt tokens at $2, 400 cached at $1, 405 output at $8, all halved.
    expect(batchCostUsd(total, PRICE)).toBeCloseTo(((2_680 * 2 + 400 * 1 + 405 * 8) / 1_000_000) * 0.5, 12);
    expect(batchCostUsd(total, undefined)).toBe(0);
  });

  it('charges the tenant’s budget at the batch price, tells observers once, and settles what it reserved', async () => {
    const rig = governorFor(topology());
    const bill = { tenant: 'c', group: 'g', deployment: 'a', calls: 40, usage: usage(200_000, 50_000) };
    const usd = await rig.governor.billBatch(bill);
    expect(usd).toBeCloseTo(((200_000 * 2 + 50_000 * 8) / 1_000_000) * 0.5, 12);
    expect(await spentOf(rig, 'c')).toBeCloseTo(usd, 9);
    expect(rig.events.billed).toEqual([
      { tenant: 'c', group: 'g', deployment: 'a', calls: 40, delivered: bill.usage, usd },
    ]);
    rig.store.expectSettledOnce();
  });

  it('charges past the budget without waiting, and the tenant’s next call is refused until it has drained', async () => {
    const rig = governorFor(topology());
    rig.transport.otherwise(() => OK);
    // $1.20 at the batch price against a $1 day budget.
    await rig.governor.billBatch({
      tenant: 'c',
      group: 'g',
      deployment: 'a',
      calls: 100,
      usage: usage(1_200_000, 0),
    });
    expect(await spentOf(rig, 'c')).toBe(1);
    const refused = await rig.serve(call('openai', { tenant: 'c', maxTokens: 10 }));
    finish(rig, refused);
    expect(refused.status).toBe(429);
    const headers = headersOf(refused);
    expect(headers['x-sluice-refusal']).toBe('budget_exceeded');
    // The $0.20 overrun drains first: the next call fits no sooner than 0.2 of a day from now.
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(0.2 * 86_400);
  });

  it('bills an unpriced deployment’s batch at $0, and a tenant without a budget without a store call', async () => {
    const rig = governorFor(topology());
    expect(
      await rig.governor.billBatch({
        tenant: 'c',
        group: 'g',
        deployment: 'free',
        calls: 3,
        usage: usage(9_000, 900),
      }),
    ).toBe(0);
    expect(await spentOf(rig, 'c')).toBe(0);
    expect(
      await rig.governor.billBatch({
        tenant: 'o',
        group: 'g',
        deployment: 'a',
        calls: 3,
        usage: usage(9_000, 900),
      }),
    ).toBeGreaterThan(0);
    expect((await rig.store.inner.stats()).reservations).toBe(0);
    expect(rig.events.billed.map((e) => [e.tenant, e.deployment, e.calls])).toEqual([
      ['c', 'free', 3],
      ['o', 'a', 3],
    ]);
  });

  it('holds a forwarded batch while a budget has less left than its input at the batch price', async () => {
    const rig = governorFor(topology());
    const deps = { store: rig.store.inner, groups: rig.governor.groups };
    // 400,000 input tokens at $2 per million, halved: $0.40 against the $1 day budget.
    const batch = { tenant: 'c', deployment: 'a', inputTokens: 400_000 };
    expect(await budgetHold(batch, deps)).toBeUndefined();
    await rig.governor.billBatch({
      tenant: 'c',
      group: 'g',
      deployment: 'a',
      calls: 1,
      usage: usage(700_000, 0),
    });
    // $0.70 spent, $0.30 left: short of $0.40.
    expect(await budgetHold(batch, deps)).toEqual({
      code: 'budget_exceeded',
      message:
        "Waiting for the spending budget of tenant c: $1.00 per day: the batch's input alone costs $0.4000 at the batch price.",
    });
    // No budget, or no price: nothing holds it.
    expect(await budgetHold({ ...batch, tenant: 'o' }, deps)).toBeUndefined();
    expect(await budgetHold({ ...batch, deployment: 'free' }, deps)).toBeUndefined();
  });
});
