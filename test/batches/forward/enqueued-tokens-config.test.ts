/** `enqueued_tokens` on a deployment: validated by the one schema and carried to the runtime's deployment config. */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../../src/config/to-topology.js';
import { GatewayConfigError, parseConfig } from '../../../src/gateway/config/load.js';

function config(enqueuedTokens: unknown) {
  return {
    model_groups: {
      mini: {
        deployments: [
          {
            id: 'openai-1',
            provider: 'openai',
            base_url: 'https://api.openai.com/v1',
            model: 'gpt-4o-mini',
            enqueued_tokens: enqueuedTokens,
          },
        ],
      },
    },
    tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
  };
}

describe('deployment enqueued_tokens', () => {
  it('reaches the deployment config', () => {
    const parsed = parseConfig(config(2_000_000), 'sluice.yaml', {});
    expect(toTopology(parsed).modelGroups.mini?.deployments[0]?.enqueuedTokens).toBe(2_000_000);
  });

  it('is refused unless a positive integer, naming the key', () => {
    expect(() => parseConfig(config(-5), 'sluice.yaml', {})).toThrow(GatewayConfigError);
    expect(() => parseConfig(config(1.5), 'sluice.yaml', {})).toThrow(/enqueued_tokens/);
  });
});
