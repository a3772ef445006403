/**
 * Deployments whose calls cost nothing against a spending budget: no
 * `price`, no `prices` row for their model, and no list price. A tier with
 * `usd_per_day` / `usd_per_month` is only as good as the prices of the
 * deployments its tenants reach, so the gateway warns about these at start.
 */
import type { GovernorFields } from './governor-schema.js';
import { priceOf } from './to-topology.js';

/** Ids of unpriced deployments, when some tier has a spending budget (none otherwise). */
export function unpricedUnderBudgets(config: GovernorFields): string[] {
  const budgeted = Object.values(config.tiers).some(
    (t) => t.usd_per_day !== undefined || t.usd_per_month !== undefined,
  );
  if (!budgeted) return [];
  return Object.values(config.model_groups)
    .flatMap((g) => g.deployments)
    .filter((d) => priceOf(d, config.prices) === undefined)
    .map((d) => d.id);
}
