/**
 * What a provider's Batch API served (a forwarded batch, issue 19) never
 * went through admission: its answers come back hours later, already
 * served. When the batch ends its usage is billed once, here:
 *
 * - at the batch price: `BATCH_PRICE_SHARE` of the deployment's price (all
 *   three providers bill their Batch APIs at half price);
 * - charged to the tenant's spending budgets without waiting (the provider
 *   served it). A budget it overruns refuses the tenant's next calls until
 *   the overrun has drained, as if the calls had been admitted one by one;
 * - told to observers as one `billed` event (metrics, history, dashboard).
 *
 * Before it is sent, a forwarded batch waits while its tenant's budget
 * cannot hold its input at the batch price (`budgetHold`): its answers'
 * length is unknown until they come back, so the input is the floor a
 * budget must still have room for.
 */
import type { BucketSpec } from '../core/limit.js';
import type { ProviderUsage } from '../providers/adapter.js';
import { BATCH_PRICE_SHARE } from '../providers/list-prices.js';
import type { Store } from '../stores/store.js';
import type { DeploymentPrice } from './deployment.js';
import type { Emit } from './events.js';
import type { ModelGroups } from './model-groups.js';
import { describeLimit, limitRef } from './refusal.js';
import { promptTokensOf } from './size-class.js';
import { costUsd } from './spillover.js';

export interface BatchBill {
  readonly tenant: string;
  /** The model group the batch named. */
  readonly group: string;
  /** The deployment (provider key) the batch was sent to. */
  readonly deployment: string;
  /** Lines the provider answered with a usage. */
  readonly calls: number;
  /** Their usage, summed (`sumUsage`). */
  readonly usage: ProviderUsage;
}

const NOTHING = Object.freeze({ requests: 0, inputTokens: 0, outputTokens: 0, usd: 0 });

/** What `usage` cost through a provider's Batch API at `price` (0 without a price). */
export function batchCostUsd(usage: ProviderUsage, price: DeploymentPrice | undefined): number {
  return price ? costUsd(usage, price) * BATCH_PRICE_SHARE : 0;
}

/** Usages summed field by field; `promptTokens` is always set (each line's whole prompt). */
export function sumUsage(usages: Iterable<ProviderUsage>): ProviderUsage {
  let inputTokens = 0;
  let outputTokens = 0;
  let cacheReadTokens = 0;
  let cacheWriteTokens = 0;
  let promptTokens = 0;
  for (const u of usages) {
    inputTokens += u.inputTokens;
    outputTokens += u.outputTokens;
    cacheReadTokens += u.cacheReadTokens ?? 0;
    cacheWriteTokens += u.cacheWriteTokens ?? 0;
    promptTokens += promptTokensOf(u);
  }
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, promptTokens };
}

/** Bills `bill` (see the file's header); resolves with the dollars billed. */
export async function billBatch(
  bill: BatchBill,
  deps: { readonly store: Store; readonly groups: ModelGroups; readonly emit: Emit },
): Promise<number> {
  const usd = batchCostUsd(bill.usage, deps.groups.deployment(bill.deployment)?.config.price);
  const budgets = budgetsOf(deps.groups, bill.tenant);
  if (usd > 0 && budgets.length > 0) {
    // A reservation of nothing, settled with the usage moved onto the budgets: the store's one way to
    // charge what was already served, without waiting for room (the same as a call settled in another class).
    const held = await deps.store.reserve([], NOTHING);
    if (held.reservation)
      await deps.store.settle(
        held.reservation,
        { inputTokens: bill.usage.inputTokens, outputTokens: bill.usage.outputTokens, usd },
        { reassign: { release: [], charge: budgets } },
      );
  }
  deps.emit('billed', {
    tenant: bill.tenant,
    group: bill.group,
    deployment: bill.deployment,
    calls: bill.calls,
    delivered: bill.usage,
    usd,
  });
  return usd;
}

/**
 * Why a forwarded batch of `inputTokens` may not be sent to `deployment` yet
 * for its tenant's spending budget: some budget has less left than the
 * input costs at the batch price. Undefined when it may be sent (no budget,
 * no price, or room enough).
 */
export async function budgetHold(
  hold: { readonly tenant: string; readonly deployment: string; readonly inputTokens: number },
  deps: { readonly store: Store; readonly groups: ModelGroups },
): Promise<{ code: 'budget_exceeded'; message: string } | undefined> {
  const budgets = budgetsOf(deps.groups, hold.tenant);
  const price = deps.groups.deployment(hold.deployment)?.config.price;
  if (budgets.length === 0 || !price) return undefined;
  const floor = batchCostUsd({ inputTokens: hold.inputTokens, outputTokens: 0 }, price);
  const snapshots = await deps.store.peek(budgets);
  const short = budgets.find((_, i) => (snapshots[i]?.remaining ?? Number.POSITIVE_INFINITY) < floor);
  if (!short) return undefined;
  return {
    code: 'budget_exceeded',
    message: `Waiting for the spending budget of ${describeLimit(limitRef(short))}: the batch's input alone costs $${floor.toFixed(4)} at the batch price.`,
  };
}

/** The tenant's spending budgets (its `usd` buckets); none for an unknown tenant. */
function budgetsOf(groups: ModelGroups, tenant: string): BucketSpec[] {
  return groups.tenants.resolve(tenant)?.buckets.filter((b) => b.dimension === 'usd') ?? [];
}
