import { describe, expect, it } from 'vitest';
import { gatewayConfig } from '../../src/bench/targets/gateway.js';
import { gatewayConfigSchema } from '../../src/gateway/config/schema.js';

const base = { providerBaseUrl: 'http://127.0.0.1:1/v1', limits: { rpm: 600 }, model: 'gpt-4o-mini' };

describe('the bench gateway config', () => {
  it('keeps one instance on the memory store', () => {
    expect(gatewayConfig(base, 4000).store).toEqual({ kind: 'memory' });
  });

  it('puts instances sharing a Redis on it, telling each how many share it', () => {
    const config = gatewayConfig({ ...base, redis: { url: 'redis://127.0.0.1:7000', instances: 3 } }, 4000);
    expect(config.store).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1:7000',
      prefix: 'bench',
      expected_instances: 3,
    });
    expect(config.queue).toEqual({ cluster: { enabled: true } });
  });

  it('runs the queue of every instance on its own when the scenario turns the cluster order off', () => {
    const redis = { url: 'redis://127.0.0.1:7000', instances: 3, clusterOrder: false };
    expect(gatewayConfig({ ...base, redis }, 4000).queue).toEqual({ cluster: { enabled: false } });
  });

  it('gives a batch scenario its own data folder and the lane settings it names, none otherwise', () => {
    const plain = gatewayConfig(base, 4000);
    expect(plain.data_dir).toBeUndefined();
    expect(plain.batches).toBeUndefined();
    const config = gatewayConfig({ ...base, dataDir: '/tmp/bench-data', batches: { headroom: 0 } }, 4000);
    expect(config.data_dir).toBe('/tmp/bench-data');
    expect(config.batches).toEqual({ headroom: 0 });
    // What the bench writes, the gateway's own schema takes.
    const parsed = gatewayConfigSchema.parse(config);
    expect(parsed.batches.headroom).toBe(0);
    expect(parsed.data_dir).toBe('/tmp/bench-data');
  });
});
