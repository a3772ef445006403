/**
 * `usd_per_day` / `usd_per_month` on a tier (issue 21): validated, carried
 * into the tenant's buckets by the gateway's and the library's config the
 * same way, as dollar buckets with no safety margin whose windows follow
 * `day` (rolling by default) and `month` (calendar by default, in `time_zone`).
 */
import { describe, expect, it } from 'vitest';
import { unpricedUnderBudgets } from '../../src/config/unpriced.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import { createGovernor } from '../../src/index.js';

const DEPLOYMENT = { id: 'd-1', provider: 'openai', base_url: 'https://api.openai.com/v1', model: 'gpt-4o' };

function config(tier: Record<string, unknown>) {
  return {
    model_groups: { g: { deployments: [DEPLOYMENT] } },
    safety_margin: 0.2,
    tiers: { capped: tier },
    tenants: [{ id: 'acme', key: 'sk-acme-12345', tier: 'capped' }],
  };
}

function refusal(tier: Record<string, unknown>): string {
  try {
    parseConfig(config(tier), 'sluice.yaml', {});
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

/** The tenant's dollar buckets as the library builds them from the same config. */
function budgetsOf(tier: Record<string, unknown>) {
  const { tenants, ...rest } = config(tier);
  const library = createGovernor({ ...rest, tenants: tenants.map(({ key: _, ...t }) => t) } as never);
  const tenant = library.governor.groups.tenants.resolve('acme');
  return (tenant?.buckets ?? []).filter((b) => b.dimension === 'usd');
}

describe('spending budget config', () => {
  it('makes a rolling day and a calendar month by default, with nothing kept back', () => {
    parseConfig(config({ usd_per_day: 5, usd_per_month: 50 }), 'sluice.yaml', {});
    const [day, month] = budgetsOf({ usd_per_day: 5, usd_per_month: 50, rpm: 60 });
    expect(day).toMatchObject({ per: 'day', kind: 'gcra', limit: 5, capacity: 5, margin: 0 });
    expect(month).toMatchObject({ per: 'month', kind: 'fixed', limit: 50, capacity: 50, margin: 0 });
    expect(month?.fixed).toMatchObject({ monthly: true, timeZone: undefined, burst: 1 });
  });

  it('follows `day: calendar`, `month: rolling` and `time_zone`', () => {
    const [day, month] = budgetsOf({
      usd_per_day: 5,
      usd_per_month: 50,
      day: 'calendar',
      month: 'rolling',
      time_zone: 'America/New_York',
    });
    expect(day).toMatchObject({ kind: 'fixed', fixed: { timeZone: 'America/New_York', monthly: false } });
    expect(month).toMatchObject({ kind: 'gcra', windowMs: 30 * 86_400_000 });
    const [zoned] = budgetsOf({ usd_per_month: 50, time_zone: 'America/New_York' });
    expect(zoned?.fixed).toMatchObject({ monthly: true, timeZone: 'America/New_York' });
  });

  it('names the deployments a budget cannot count (no price of their own, in `prices`, or listed)', () => {
    const unpriced = (extra: Record<string, unknown>, tier: Record<string, unknown> = { usd_per_day: 5 }) =>
      unpricedUnderBudgets(
        parseConfig(
          {
            ...config(tier),
            model_groups: {
              g: { deployments: [DEPLOYMENT, { ...DEPLOYMENT, id: 'ft', model: 'ft:gpt-4o:acme' }] },
            },
            ...extra,
          },
          'sluice.yaml',
          {},
        ),
      );
    expect(unpriced({})).toEqual(['ft']);
    expect(unpriced({ prices: { 'ft:gpt-4o:acme': { input_per_mtok: 3.75, output_per_mtok: 15 } } })).toEqual(
      [],
    );
    expect(unpriced({}, { rpm: 10 })).toEqual([]); // no budget, nothing to warn about
  });

  it('refuses budgets that are not positive amounts, and unknown month modes', () => {
    expect(refusal({ usd_per_day: 0 })).toMatch(/tiers\.capped\.usd_per_day/);
    expect(refusal({ usd_per_month: -5 })).toMatch(/tiers\.capped\.usd_per_month/);
    expect(refusal({ usd_per_month: 5, month: 'weekly' })).toMatch(/tiers\.capped\.month/);
  });
});
