/**
 * `adopt_raised_limits`, `limits_ceiling` and `ramp` on a deployment
 * (issue 15), in the gateway's YAML and in `createGovernor`'s config (one
 * schema): mapped to the topology, refused with the key named when they
 * contradict each other or the declared limits.
 */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../src/config/to-topology.js';
import { GatewayConfigError, parseConfig } from '../../src/gateway/config/load.js';
import { ConfigError, createGovernor } from '../../src/index.js';

function config(extra: Record<string, unknown>) {
  return {
    model_groups: {
      mini: {
        deployments: [
          {
            id: 'openai-1',
            provider: 'openai',
            base_url: 'https://api.openai.com/v1',
            model: 'gpt-4o-mini',
            limits: { rpm: 500, tpm: 200_000 },
            ...extra,
          },
        ],
      },
    },
    tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
  };
}

function problems(extra: Record<string, unknown>): string {
  try {
    parseConfig(config(extra), 'sluice.yaml', {});
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

const AT = 'model_groups.mini.deployments[0]';

describe('raised limits and ramps in the config', () => {
  it('maps them to the topology, the ramp with OpenAI’s rule as defaults', () => {
    const parsed = parseConfig(
      config({ limits_ceiling: { rpm: 5_000, tpm: 2_000_000 }, ramp: {} }),
      'sluice.yaml',
      {},
    );
    const deployment = toTopology(parsed).modelGroups.mini?.deployments[0];
    expect(deployment?.limitsCeiling).toEqual({ rpm: 5_000, tpm: 2_000_000 });
    expect(deployment?.ramp).toEqual({ maxGrowth: 0.5, windowMs: 900_000, aboveTpm: 1_000_000 });
    const kept = parseConfig(config({ adopt_raised_limits: false }), 'sluice.yaml', {});
    expect(toTopology(kept).modelGroups.mini?.deployments[0]?.adoptRaisedLimits).toBe(false);
  });

  it('refuses a ceiling below the declared limit, a ceiling with raises off, and unknown keys', () => {
    expect(problems({ limits_ceiling: { rpm: 100 } })).toContain(`${AT}.limits_ceiling.rpm`);
    expect(problems({ adopt_raised_limits: false, limits_ceiling: { rpm: 5_000 } })).toMatch(
      /adopt_raised_limits: false/,
    );
    expect(problems({ limits_ceiling: { rmp: 5_000 } })).toMatch(/rmp/);
    expect(problems({ ramp: { max_growth: 0 } })).toContain(`${AT}.ramp.max_growth`);
    expect(problems({ ramp: { window: 900 } })).toMatch(/window/);
  });

  it('is the same key in the library’s config, and the ramp becomes a bucket of the deployment', () => {
    const bad = { ...config({ limits_ceiling: { tpm: 1 } }), tenants: [{ id: 'acme' }] };
    expect(() => createGovernor(bad as never)).toThrow(ConfigError);
    const good = { ...config({ ramp: { above_tpm: 100_000 } }), tenants: [{ id: 'acme' }] };
    const governor = createGovernor(good as never);
    const ramp = governor.governor.groups
      .deployments()[0]
      ?.buckets()
      .find((b) => b.key === 'deployment:openai-1:ramp:tokens:minute');
    expect(ramp?.limit).toBe(100_000);
    void governor.close();
  });
});
