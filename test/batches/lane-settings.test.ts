/**
 * The lane's configuration: the `batches` block with its defaults, strict
 * keys, and what the routes read of it (`laneSettings`): on by default,
 * off with `enabled: false`, the tiers' caps and the groups' modes.
 */
import { describe, expect, it } from 'vitest';
import { laneSettings } from '../../src/gateway/batches/lane-handle.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { baseConfig, simAnthropicDeployment } from '../gateway/helpers.js';

const parse = (input: GatewayConfigInput) => parseConfig(input, 'test config', {});

describe('batches config', () => {
  it('is on without a batches block, off with enabled: false', () => {
    expect(laneSettings(parse(baseConfig('http://sim')))?.batches.enabled).toBe(true);
    expect(laneSettings(parse({ ...baseConfig('http://sim'), batches: { enabled: false } }))).toBeUndefined();
  });

  it('fills the defaults and gathers the tiers caps and the groups modes', () => {
    const base = baseConfig('http://sim');
    const config = parse({
      ...base,
      data_dir: '/var/lib/sluice',
      batches: { max_lines: 10 },
      tiers: { ...base.tiers, free: { rpm: 60, batches: { max_enqueued_tokens: 1_000 } } },
      model_groups: {
        ...base.model_groups,
        'claude-haiku': { deployments: [simAnthropicDeployment('http://sim')], batch: { mode: 'forward' } },
      },
    });
    expect(config.data_dir).toBe('/var/lib/sluice');
    expect(laneSettings(config)).toEqual({
      batches: {
        enabled: true,
        max_file_bytes: 209_715_200,
        max_lines: 10,
        line_lease_ms: 60_000,
        concurrency: 32,
        headroom: 0.2,
        min_share: 0.05,
        poll_ms: 10_000,
      },
      tiers: { free: { max_enqueued_tokens: 1_000 } },
      modes: { 'claude-haiku': 'forward' },
    });
  });

  it('refuses unknown keys and out-of-range values, naming the key', () => {
    expect(() => parse({ ...baseConfig('http://sim'), batches: { max_line: 5 } as never })).toThrow(
      /max_line/,
    );
    expect(() => parse({ ...baseConfig('http://sim'), batches: { headroom: 1 } })).toThrow(/headroom/);
  });
});
