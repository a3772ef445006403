/**
 * The response cache a scenario puts on its model group (`sluice.cache`),
 * as the gateway's YAML and the library's configuration both take it, and
 * the embeddings group semantic mode embeds through: one deployment of
 * EMBEDDINGS_MODEL on the scenario's first key, which the simulator serves
 * with its own (generous) limits, so embedding never competes with the
 * chat calls for a bucket and its cost shows apart in the provider's stats.
 */
import { EMBEDDINGS_LIMITS, type ProviderKey } from '../provider.js';
import { EMBEDDINGS_MODEL, type Scenario } from '../scenario.js';
import type { BenchDeployment } from './deployments.js';

export interface GroupCacheYaml {
  readonly mode: 'exact' | 'semantic';
  readonly ttl_s: number;
  readonly scope: 'tenant' | 'shared';
  readonly similarity?: number;
  readonly embeddings?: string;
}

/** The `cache` of the scenario's model group, or undefined when it sets none. */
export function groupCache(scenario: Scenario): GroupCacheYaml | undefined {
  const cache = scenario.sluice.cache;
  if (!cache) return undefined;
  return {
    mode: cache.mode,
    ttl_s: cache.ttl_s,
    scope: cache.scope,
    ...(cache.similarity === undefined ? {} : { similarity: cache.similarity }),
    ...(cache.mode === 'semantic' ? { embeddings: EMBEDDINGS_MODEL } : {}),
  };
}

/** The model groups beside the scenario's own: the embeddings group, when the cache is semantic. */
export function cacheSideGroups(
  scenario: Scenario,
  provider: { readonly baseUrl: string; readonly keys: readonly ProviderKey[] },
): Record<string, { deployments: BenchDeployment[] }> {
  if (scenario.sluice.cache?.mode !== 'semantic') return {};
  const key = provider.keys[0] as ProviderKey;
  return {
    [EMBEDDINGS_MODEL]: {
      deployments: [
        {
          id: 'embeddings',
          provider: 'openai',
          base_url: provider.baseUrl,
          api_key: key.apiKey,
          model: EMBEDDINGS_MODEL,
          limits: { ...EMBEDDINGS_LIMITS },
        },
      ],
    },
  };
}

/** The cache in a few words, for a target's description ('' without one). */
export function cacheText(scenario: Scenario): string {
  const cache = groupCache(scenario);
  if (!cache) return '';
  const similarity = cache.mode === 'semantic' ? `, similarity ${cache.similarity ?? 'default'}` : '';
  return `, response cache ${cache.mode} (ttl ${cache.ttl_s} s, scope ${cache.scope}${similarity})`;
}
