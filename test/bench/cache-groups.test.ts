import { describe, expect, it } from 'vitest';
import { providerKeys, simulatorOptions } from '../../src/bench/provider.js';
import { EMBEDDINGS_MODEL, parseScenario } from '../../src/bench/scenario.js';
import { cacheSideGroups, groupCache } from '../../src/bench/targets/cache-groups.js';
import { gatewayConfig } from '../../src/bench/targets/gateway.js';
import { parseConfig } from '../../src/gateway/config/load.js';

const scenario = (cache: unknown) =>
  parseScenario(
    {
      arrival: { process: 'steady', rate: 10 },
      prompt_tokens: 100,
      output_tokens: 20,
      max_tokens: 64,
      ...(cache ? { sluice: { cache } } : {}),
    },
    'test',
    'cache',
  );

function config(cache: unknown) {
  const s = scenario(cache);
  const provider = { baseUrl: 'http://127.0.0.1:1/v1', keys: providerKeys(s) };
  return gatewayConfig(
    {
      providerBaseUrl: provider.baseUrl,
      keys: provider.keys,
      model: s.model,
      cache: groupCache(s),
      sideGroups: cacheSideGroups(s, provider),
    },
    0,
  );
}

describe('a scenario’s response cache on the Sluice targets', () => {
  it('is a gateway configuration the gateway accepts: semantic mode with an embeddings group on the provider', () => {
    const parsed = parseConfig(config({ mode: 'semantic', similarity: 0.9 }), 'bench');
    expect(parsed.model_groups['gpt-4o-mini']?.cache).toMatchObject({
      mode: 'semantic',
      similarity: 0.9,
      embeddings: EMBEDDINGS_MODEL,
      scope: 'tenant',
    });
    expect(parsed.model_groups[EMBEDDINGS_MODEL]?.deployments[0]?.model).toBe(EMBEDDINGS_MODEL);
  });

  it('adds nothing beside an exact cache, and no cache at all without one', () => {
    const exact = parseConfig(config({ mode: 'exact', ttl_s: 30 }), 'bench');
    expect(exact.model_groups['gpt-4o-mini']?.cache).toMatchObject({ mode: 'exact', ttl_s: 30 });
    expect(Object.keys(exact.model_groups)).toEqual(['gpt-4o-mini']);
    expect(parseConfig(config(undefined), 'bench').model_groups['gpt-4o-mini']?.cache).toBeUndefined();
  });

  it('gives the simulator the embeddings model only for a semantic cache', () => {
    const models = (cache: unknown) => {
      const s = scenario(cache);
      return Object.keys(Object.values(simulatorOptions(s, 1).keys ?? {})[0]?.models ?? {});
    };
    expect(models({ mode: 'semantic' })).toEqual(['gpt-4o-mini', EMBEDDINGS_MODEL]);
    expect(models({ mode: 'exact' })).toEqual(['gpt-4o-mini']);
  });
});
