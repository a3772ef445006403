/**
 * Service tiers through the gateway (issue 15): the official `openai` SDK
 * asks for `gpt-4o-fast`, whose deployment sends `service_tier: priority`
 * to a simulator that downgrades priority to default after its fill. The
 * client sees the tier that served it; `/metrics` counts the changes per
 * deployment, from and to.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { baseConfig, rigsClosedAfterEach } from './helpers.js';

const startRig = rigsClosedAfterEach();

describe('service tiers through the gateway', () => {
  it('counts answers downgraded from priority to default in sluice_service_tier_changes_total', async () => {
    const clock = new ManualClock();
    const r = await startRig({
      clock,
      sim: { service_tiers: { downgrades: [{ from: 'priority', to: 'default', after_tokens: 100 }] } },
      config: (url) => {
        const upstream = {
          provider: 'openai',
          base_url: `${url}/v1`,
          api_key: 'sk-up',
          model: 'gpt-4o',
        } as const;
        return baseConfig(url, {
          model_groups: {
            'gpt-4o-fast': { deployments: [{ id: 'fast', ...upstream, service_tier: 'fast' }] },
            'gpt-4o': { deployments: [{ id: 'std', ...upstream, service_tier: 'default' }] },
          },
        });
      },
    });
    const client = r.openai();
    const tiers: (string | null | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-fast',
        max_tokens: 30,
        messages: [{ role: 'user', content: `q${i}` }],
      });
      tiers.push(completion.service_tier);
    }
    // The deployment sent `fast` (OpenAI's new name for priority); the simulator echoes what it was sent.
    const downgraded = tiers.filter((t) => t === 'default').length;
    expect(tiers.slice(0, 6 - downgraded)).toEqual(tiers.slice(0, 6 - downgraded).map(() => 'fast'));
    expect(downgraded).toBeGreaterThan(0);
    const body = (await r.gateway.metrics.expose()).body;
    expect(body).toContain(
      `sluice_service_tier_changes_total{deployment="fast",from="priority",to="default"} ${downgraded}`,
    );
  });
});
