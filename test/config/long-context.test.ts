/**
 * `long_context` on a deployment (issue 14), in the gateway's YAML and in
 * `createGovernor`'s config (one schema): validated with messages naming the
 * key, mapped to the runtime's topology, and turned into buckets of their
 * own beside the shared ones.
 */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../src/config/to-topology.js';
import { GatewayConfigError, parseConfig } from '../../src/gateway/config/load.js';
import { ConfigError, createGovernor } from '../../src/index.js';

function config(longContext: unknown) {
  return {
    model_groups: {
      sonnet: {
        deployments: [
          {
            id: 'anthropic-1',
            provider: 'anthropic',
            base_url: 'https://api.anthropic.com',
            model: 'claude-sonnet-4-6',
            limits: { rpm: 4000, itpm: 2_000_000, otpm: 400_000 },
            long_context: longContext,
          },
        ],
      },
    },
    tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
  };
}

function problems(longContext: unknown): string {
  try {
    parseConfig(config(longContext), 'sluice.yaml', {});
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

const AT = 'model_groups.sonnet.deployments[0].long_context';

describe('long_context', () => {
  it('maps the threshold and the class limits to the topology', () => {
    const parsed = parseConfig(
      config({ above_input_tokens: 200_000, itpm: 1_000_000, otpm: 200_000 }),
      'sluice.yaml',
      {},
    );
    const deployment = toTopology(parsed).modelGroups.sonnet?.deployments[0];
    expect(deployment?.longContext).toEqual({ aboveInputTokens: 200_000, itpm: 1_000_000, otpm: 200_000 });
  });

  it('refuses a threshold that is not a positive whole number', () => {
    expect(problems({ above_input_tokens: 0, itpm: 1 })).toContain(`${AT}.above_input_tokens`);
    expect(problems({ above_input_tokens: -5, itpm: 1 })).toContain(`${AT}.above_input_tokens`);
    expect(problems({ above_input_tokens: 1.5, itpm: 1 })).toContain(`${AT}.above_input_tokens`);
    expect(problems({ itpm: 1 })).toContain(`${AT}.above_input_tokens`);
  });

  it('refuses unknown keys, bad limits and a class without limits', () => {
    expect(problems({ above_input_tokens: 200_000, iptm: 5 })).toMatch(/iptm/);
    expect(problems({ above_input_tokens: 200_000, aboveInputTokens: 5, itpm: 1 })).toMatch(
      /aboveInputTokens/,
    );
    expect(problems({ above_input_tokens: 200_000, itpm: -1 })).toContain(`${AT}.itpm`);
    expect(problems({ above_input_tokens: 200_000 })).toMatch(
      /declare at least one limit of the long-context class/,
    );
  });

  it('is the same key in the library’s config', () => {
    const bad = { ...config({ above_input_tokens: 0, itpm: 1 }), tenants: [{ id: 'acme' }] };
    expect(() => createGovernor(bad as never)).toThrow(ConfigError);
    const good = { ...config({ above_input_tokens: 200_000, itpm: 1_000 }), tenants: [{ id: 'acme' }] };
    const governor = createGovernor(good as never);
    const deployment = governor.governor.groups.deployments()[0];
    const keys = deployment?.buckets('long_context').map((b) => b.key);
    // The class's itpm is its own; rpm and otpm stay shared with standard calls.
    expect(keys).toContain('deployment:anthropic-1:long_context:input_tokens:minute');
    expect(keys).toContain('deployment:anthropic-1:requests:minute');
    expect(keys).toContain('deployment:anthropic-1:output_tokens:minute');
    expect(keys).not.toContain('deployment:anthropic-1:input_tokens:minute');
    void governor.close();
  });
});
