/**
 * `service_tier` on a deployment (issue 15): one of the provider's tiers,
 * refused with a message naming the key otherwise, and mapped to the
 * runtime's topology (the same key in the library's config).
 */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../src/config/to-topology.js';
import { GatewayConfigError, parseConfig } from '../../src/gateway/config/load.js';
import { ConfigError, createGovernor } from '../../src/index.js';

const UPSTREAMS = {
  openai: { base_url: 'https://api.openai.com/v1', model: 'gpt-4o' },
  gemini: { base_url: 'https://generativelanguage.googleapis.com', model: 'gemini-2.5-pro' },
  anthropic: { base_url: 'https://api.anthropic.com', model: 'claude-sonnet-4-6' },
} as const;

function config(provider: keyof typeof UPSTREAMS, tier: unknown) {
  return {
    model_groups: {
      g: {
        deployments: [
          { id: 'd-1', provider, ...UPSTREAMS[provider], limits: { rpm: 100 }, service_tier: tier },
        ],
      },
    },
    tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
  };
}

function problems(provider: keyof typeof UPSTREAMS, tier: unknown): string {
  try {
    parseConfig(config(provider, tier), 'sluice.yaml', {});
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

const AT = 'model_groups.g.deployments[0].service_tier';

describe('service_tier', () => {
  it('maps to the topology', () => {
    for (const [provider, tier] of [
      ['openai', 'fast'],
      ['openai', 'flex'],
      ['gemini', 'priority'],
    ] as const) {
      const parsed = parseConfig(config(provider, tier), 'sluice.yaml', {});
      expect(toTopology(parsed).modelGroups.g?.deployments[0]?.serviceTier).toBe(tier);
    }
  });

  it('refuses a tier the provider does not have, naming the key and the choices', () => {
    expect(problems('openai', 'standard')).toContain(AT);
    expect(problems('openai', 'standard')).toMatch(/default, flex, priority, fast, ultrafast/);
    expect(problems('gemini', 'default')).toMatch(/standard, flex, priority/);
    expect(problems('anthropic', 'priority')).toMatch(/has no service tier/);
    expect(problems('openai', '')).toContain(AT);
  });

  it('is the same key in the library’s config', () => {
    const bad = { ...config('openai', 'turbo'), tenants: [{ id: 'acme' }] };
    expect(() => createGovernor(bad as never)).toThrow(ConfigError);
    const governor = createGovernor({ ...config('openai', 'priority'), tenants: [{ id: 'acme' }] } as never);
    expect(governor.governor.groups.deployments()[0]?.config.serviceTier).toBe('priority');
  });
});
