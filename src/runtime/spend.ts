/**
 * Money on a call's cost (issue 21): a tenant with a spending budget
 * (`usd_per_day`, `usd_per_month`) reserves the call's price at the
 * deployment that may take it, and settles at what the provider counted
 * (`costUsd`, cache reads and writes at their own rates). Calls of tenants
 * without a budget carry no dollars, so stores send nothing for them.
 */
import type { Cost, Usage } from '../core/cost.js';
import type { ProviderUsage } from '../providers/adapter.js';
import type { DeploymentPrice } from './deployment.js';
import { costUsd } from './spillover.js';

/**
 * `cost` with its price at `price`: every input token at the input price
 * and the reserved output at the output price, an upper bound (cache reads
 * are cheaper, and answers rarely reach their cap). A deployment without a
 * price costs nothing: its calls never touch the budget.
 */
export function priced(cost: Cost, price: DeploymentPrice | undefined): Cost {
  const usd = price
    ? (cost.inputTokens * price.inputPerMTok + cost.outputTokens * price.outputPerMTok) / 1_000_000
    : 0;
  return { requests: cost.requests, inputTokens: cost.inputTokens, outputTokens: cost.outputTokens, usd };
}

/** `usage` with what it cost at `price` (undefined: no price, nothing is charged). */
export function spent(usage: ProviderUsage, price: DeploymentPrice | undefined): Usage {
  return { ...usage, usd: price ? costUsd(usage, price) : 0 };
}
