/**
 * Sluice's library face: the SDK with `fetch: governor.fetch`, the governor
 * configured with the provider's limits, the scenario's tiers and tenants.
 * Its observer events give each request's queue wait and retries (found by
 * AsyncLocalStorage: events fire in the request's own async context).
 */
import { createGovernor, type LibraryConfigInput } from '../../library/create-governor.js';
import type { GovernorObserver } from '../../runtime/events.js';
import { PRIMING_TENANT } from '../prime.js';
import type { ProviderKey } from '../provider.js';
import { cacheOutcomeOf } from '../record.js';
import { type Scenario, tenantWeight } from '../scenario.js';
import { cacheSideGroups, cacheText, groupCache } from './cache-groups.js';
import { benchDeployments, deploymentsText } from './deployments.js';
import { callSdk, currentRecord, sdkClient } from './sdk-call.js';
import type { BenchTarget, TargetEnv } from './target.js';

/** Tier for tenants the scenario gives none. */
const NO_TIER = 'bench-default';

/**
 * The governor configuration a scenario implies: one deployment per
 * provider key with that key's limits; every tier may use every class (the request's header
 * picks it) and keeps its weight.
 */
export function governorTopology(
  scenario: Scenario,
  provider: { readonly baseUrl: string; readonly keys: readonly ProviderKey[] },
): LibraryConfigInput {
  const tiers: NonNullable<LibraryConfigInput['tiers']> = { [NO_TIER]: { priority: 'critical' } };
  for (const [name, tier] of Object.entries(scenario.tiers))
    tiers[name] = { priority: 'critical', weight: tier.weight };
  const cache = groupCache(scenario);
  return {
    model_groups: {
      [scenario.model]: {
        deployments: benchDeployments({
          baseUrl: provider.baseUrl,
          model: scenario.model,
          keys: provider.keys,
        }),
        ...(cache ? { cache } : {}),
      },
      ...cacheSideGroups(scenario, provider),
    },
    safety_margin: scenario.sluice.safety_margin,
    tiers,
    tenants: [
      ...scenario.tenants.map((t) => ({
        id: t.name,
        tier: t.tier ?? NO_TIER,
        weight: tenantWeight(scenario, t),
      })),
      { id: PRIMING_TENANT, tier: NO_TIER },
    ],
  };
}

/** Observer that writes waits, refusals and retries onto the current request's record. */
export function recordingObserver(now: () => number): GovernorObserver {
  return {
    admitted(e) {
      const record = currentRecord.getStore();
      const end = now();
      record?.waits.push({ start: end - e.waitedMs, end });
    },
    refused(e) {
      const record = currentRecord.getStore();
      const end = now();
      record?.waits.push({ start: end - e.waitedMs, end });
    },
    retry() {
      const record = currentRecord.getStore();
      if (record) record.targetRetries++;
    },
  };
}

export async function libraryTarget(env: TargetEnv): Promise<BenchTarget> {
  const config = governorTopology(env.scenario, { baseUrl: env.providerBaseUrl, keys: env.keys });
  const governor = createGovernor(config, { observers: [recordingObserver(env.now)] });
  const client = await sdkClient({
    baseURL: env.providerBaseUrl,
    apiKey: env.apiKey,
    fetch: governor.fetch,
    maxRetries: 0,
    onResponse: (headers, record) => {
      record.cache = cacheOutcomeOf(headers);
    },
  });
  return {
    name: 'library',
    description: `openai SDK (maxRetries 0: the governor retries) with fetch: governor.fetch; ${deploymentsText(env.keys)}, safety margin ${env.scenario.sluice.safety_margin}${cacheText(env.scenario)}`,
    send: (record, signal) => callSdk(client, record, { model: env.scenario.model, signal, now: env.now }),
    close: () => governor.close(),
  };
}
