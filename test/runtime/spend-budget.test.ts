/**
 * Spending budgets (issue 21): a tier's `usd_per_day` / `usd_per_month` is a
 * bucket of dollars. Admission reserves the call's price at the deployment
 * that takes it (its input and reserved output at that deployment's
 * prices), settlement charges what the provider counted, and an empty
 * budget is a 429 `budget_exceeded` with `Retry-After` at the window's end
 * (`x-should-retry: false` when that is further than a client should
 * sleep). Time is a manual clock; the store is the memory store.
 */
import { describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../src/runtime/limits.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { finish, OK } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig } from './kit.js';

/** $2 per million input tokens, $8 per million output tokens. */
const PRICE = { inputPerMTok: 2, outputPerMTok: 8 };
/** OK's usage: 7 prompt and 3 completion tokens. */
const OK_USD = (7 * 2 + 3 * 8) / 1_000_000;

function topology(limits: LimitsConfig, deployments = [openaiDeployment('a', { price: PRICE })]) {
  const t: GovernorTopology = {
    modelGroups: { g: { deployments } },
    tiers: { capped: { limits }, open: {} },
    tenants: [
      { id: 'c', tier: 'capped' },
      { id: 'o', tier: 'open' },
    ],
  };
  return t;
}

/** Dollars spent from tenant `id`'s budget of `per` (its capacity less what is left). */
async function spentOf(rig: Rig, id: string, per: 'day' | 'month'): Promise<number> {
  const tenant = rig.governor.groups.tenants.resolve(id);
  const spec = tenant?.buckets.find((b) => b.dimension === 'usd' && b.per === per);
  if (!spec) throw new Error(`tenant ${id} has no ${per} budget`);
  const [snapshot] = await rig.store.inner.peek([spec]);
  return spec.capacity - (snapshot?.remaining ?? 0);
}

async function serve(rig: Rig, tenant = 'c') {
  const answer = await rig.serve(call('openai', { tenant, maxTokens: 100 }));
  finish(rig, answer);
  return { answer, headers: headersOf(answer), body: answer.body ? JSON.parse(answer.body) : undefined };
}

describe('spending budgets', () => {
  it('reserves the estimated price at the deployment and settles at what the provider counted', async () => {
    const rig = governorFor(topology({ usd_per_day: 1 }));
    const held = rig.transport.hold('a');
    const pending = serve(rig);
    await rig.flush();
    // While the call runs, its reservation holds the input and the whole reserved output at the price.
    const reserved = await spentOf(rig, 'c', 'day');
    const admitted = rig.events.admitted[0]?.cost;
    if (!admitted) throw new Error('the call was not admitted');
    expect(admitted.usd).toBeCloseTo((admitted.inputTokens * 2 + 100 * 8) / 1_000_000, 9);
    expect(reserved).toBeCloseTo(admitted.usd as number, 9);
    held.release(OK);
    await pending;
    await rig.flush();
    expect(await spentOf(rig, 'c', 'day')).toBeCloseTo(OK_USD, 9);
    rig.store.expectSettledOnce();
  });

  it('refuses a call over the day budget with 429 budget_exceeded, Retry-After at midnight UTC, and lets it through after', async () => {
    // A call's estimate is $0.000816 (8 input tokens, 100 reserved output): after one is settled
    // at $0.000038, $0.000812 is left, short of the next estimate.
    const rig = governorFor(topology({ usd_per_day: 0.00085, day: 'calendar' }));
    rig.transport.otherwise(() => OK);
    // 23:00 UTC: the calendar day ends in an hour.
    rig.clock.set(Date.UTC(2026, 0, 1, 23, 0, 0));
    const first = await serve(rig);
    expect(first.answer.status).toBe(200);
    // What is left once this call's estimate is held.
    expect(first.headers).toMatchObject({
      'x-sluice-budget-usd-limit': '0.00085',
      'x-sluice-budget-usd-remaining': '0.000034',
      'x-sluice-budget-usd-window': 'day',
    });
    const refused = await serve(rig);
    expect(refused.answer.status).toBe(429);
    expect(refused.headers['x-sluice-refusal']).toBe('budget_exceeded');
    expect(Number(refused.headers['retry-after'])).toBe(3_600);
    // An hour is longer than a client should sleep on its own: the SDKs are told not to.
    expect(refused.headers['x-should-retry']).toBe('false');
    expect(refused.body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(refused.body.error.message).toContain('$0.00085 per day');
    expect(refused.headers['x-sluice-budget-usd-remaining']).toBe('0.000812');
    // A tenant without a budget is not touched by it.
    expect((await serve(rig, 'o')).answer.status).toBe(200);

    rig.clock.set(Date.UTC(2026, 0, 2, 0, 0, 1));
    expect((await serve(rig)).answer.status).toBe(200);
    rig.store.expectSettledOnce();
  });

  it('keeps a calendar month until the month ends (Retry-After days away), then starts over', async () => {
    const rig = governorFor(topology({ usd_per_month: 0.00085 }));
    rig.transport.otherwise(() => OK);
    rig.clock.set(Date.UTC(2026, 1, 20, 0, 0, 0)); // February: 28 days
    expect((await serve(rig)).answer.status).toBe(200);
    const refused = await serve(rig);
    expect(refused.headers['x-sluice-refusal']).toBe('budget_exceeded');
    expect(Number(refused.headers['retry-after'])).toBe(9 * 86_400);
    expect(refused.body.error.message).toContain('9d 0h');
    rig.clock.set(Date.UTC(2026, 2, 1, 0, 0, 0));
    expect((await serve(rig)).answer.status).toBe(200);
    expect(await spentOf(rig, 'c', 'month')).toBeCloseTo(OK_USD, 9);
  });

  it('refills a rolling budget continuously', async () => {
    const rig = governorFor(topology({ usd_per_day: 0.00085 }));
    rig.transport.otherwise(() => OK);
    expect((await serve(rig)).answer.status).toBe(200);
    const refused = await serve(rig);
    expect(refused.headers['x-sluice-refusal']).toBe('budget_exceeded');
    const waitS = Number(refused.headers['retry-after']);
    // Far less than a day: only what the next estimate lacks must refill.
    expect(waitS).toBeGreaterThan(0);
    expect(waitS).toBeLessThan(86_400 / 9);
    rig.clock.advance(waitS * 1_000);
    expect((await serve(rig)).answer.status).toBe(200);
  });

  it('prices each deployment of the group at its own price, and a call only where it fits', async () => {
    const cheap = { inputPerMTok: 0.1, outputPerMTok: 0.4 };
    const rig = governorFor(
      topology({ usd_per_day: 0.0005 }, [
        openaiDeployment('dear', { price: PRICE }),
        openaiDeployment('cheap', { price: cheap }),
      ]),
    );
    rig.transport.otherwise(() => OK);
    // The dear deployment's estimate (over $0.0008) does not fit the budget; the cheap one's does.
    for (let i = 0; i < 4; i++) expect((await serve(rig)).answer.status).toBe(200);
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['cheap', 'cheap', 'cheap', 'cheap']);
    expect(await spentOf(rig, 'c', 'day')).toBeCloseTo((4 * (7 * 0.1 + 3 * 0.4)) / 1_000_000, 9);
  });

  it('charges nothing and carries no dollars for a tenant without a budget', async () => {
    const rig = governorFor(topology({ usd_per_day: 1 }));
    rig.transport.otherwise(() => OK);
    expect((await serve(rig, 'o')).answer.status).toBe(200);
    expect(rig.events.admitted[0]?.cost.usd).toBeUndefined();
  });
});
