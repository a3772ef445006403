/**
 * The package's published entry points, as a user imports them (`sluice`,
 * `sluice/simulator`, `sluice/gateway`, resolved through package.json
 * `exports` to the build in `dist/`, which `npm ci` makes): a gateway
 * started from them serves a call from the simulator.
 */
import { describe, expect, it } from 'vitest';
import { testDataDir } from '../gateway/test-gateway.js';

// Specifiers held in variables: the checker must not need `dist/` to exist.
const entry = (name: string) => import(name);

describe('package exports', () => {
  it('resolve, and a gateway started from them serves a call', async () => {
    const root = await entry('sluice');
    expect(typeof root.createGovernor).toBe('function');
    // Library users share limits between processes through the root's shared store.
    expect(typeof root.createSharedStore).toBe('function');
    expect(typeof root.StoreUnavailableError).toBe('function');
    expect(typeof root.ConfigError).toBe('function');
    const { startSimulator } = await entry('sluice/simulator');
    const { parseConfigText, startGateway } = await entry('sluice/gateway');
    const sim = await startSimulator({ response: { tokens: 3 } });
    const config = parseConfigText(
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
        'model_groups:',
        '  gpt-4o-mini:',
        '    deployments:',
        `      - { id: sim, provider: openai, base_url: "${sim.url}/v1", api_key: sk-up, model: gpt-4o-mini }`,
        'tenants:',
        '  - { id: acme, key: sk-acme-key-0001 }',
        'log: { level: silent }',
      ].join('\n'),
      'test',
    );
    const gateway = await startGateway({ config: { ...config, data_dir: testDataDir() } });
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-acme-key-0001', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      expect(
        ((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens,
      ).toBe(3);
    } finally {
      await gateway.close({ timeoutMs: 1_000 });
      await sim.close();
    }
  });
});
