/**
 * The bill of a forwarded batch that ended: the usage of every line the
 * provider answered with one, read from the answer's body the way its
 * deployment's adapter reads any response (cache reads and writes split
 * where the provider reports them). Billed once, by the instance whose
 * finalization won (runtime/batch-billing.ts).
 */
import type { BatchRecord, LineResult } from '../../batches/batch.js';
import type { ProviderUsage } from '../../providers/adapter.js';
import { type BatchBill, sumUsage } from '../../runtime/batch-billing.js';
import type { Deployment } from '../../runtime/deployment.js';

/** Undefined when the batch was never sent or no line came back with a usage. */
export function forwardedBill(
  batch: BatchRecord,
  results: readonly LineResult[],
  deploymentOf: (id: string) => Deployment | undefined,
): BatchBill | undefined {
  const deployment = batch.forward ? deploymentOf(batch.forward.deployment) : undefined;
  if (!deployment) return undefined;
  const endpoint = deployment.adapter.matchEndpoint('POST', batch.endpoint);
  if (!endpoint) return undefined;
  const usages: ProviderUsage[] = [];
  for (const result of results) {
    if (result.body === undefined) continue;
    const usage = deployment.adapter.usageFromBody(endpoint, result.body);
    if (usage) usages.push(usage);
  }
  if (usages.length === 0) return undefined;
  return {
    tenant: batch.tenant,
    group: batch.model,
    deployment: deployment.id,
    calls: usages.length,
    usage: sumUsage(usages),
  };
}
