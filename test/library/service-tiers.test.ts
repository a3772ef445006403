/**
 * Service tiers end to end (issue 15): the official `openai` SDK through
 * `governor.fetch`, against the simulator downgrading Priority to Default
 * once a key × model had its fill in a minute (as OpenAI downgrades Fast
 * under a ramp, PROVIDERS.md "2026 changes"). The deployment sends
 * `service_tier: priority`; the answers the simulator served at `default`
 * are charged to the default-tier sibling, the others stay on the priority
 * deployment. One manual clock for both: the window does not roll.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LibraryConfigInput } from '../../src/library/create-governor.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

function config(sim: Simulator): LibraryConfigInput {
  const upstream = {
    provider: 'openai',
    base_url: `${sim.url}/v1`,
    api_key: 'sk-org',
    model: 'gpt-4o',
  } as const;
  return {
    model_groups: {
      'gpt-4o-fast': {
        deployments: [
          { id: 'fast', ...upstream, service_tier: 'priority', limits: { rpm: 500, tpm: 200_000 } },
        ],
      },
      'gpt-4o': {
        deployments: [
          { id: 'std', ...upstream, service_tier: 'default', limits: { rpm: 5_000, tpm: 2_000_000 } },
        ],
      },
    },
    tenants: [{ id: 'app' }],
  };
}

type Served = { tier: string | null | undefined; tokens: number };

describe('service tiers against the simulator', () => {
  it('answers downgraded to default are charged to the default sibling, the rest to the priority deployment', async () => {
    const clock = new ManualClock();
    // About 60 admitted tokens a call (prompt + max_tokens): the first few fit in 300, the rest are downgraded.
    const sim = await simulator({
      clock,
      response: { tokens: 8 },
      service_tiers: { downgrades: [{ from: 'priority', to: 'default', after_tokens: 300 }] },
    });
    const changes: Parameters<GovernorEvents['serviceTier']>[0][] = [];
    const g = governor(config(sim), { clock, observers: [{ serviceTier: (e) => changes.push(e) }] });
    const client = new OpenAI({
      apiKey: 'sk-app',
      baseURL: 'http://sluice.invalid/v1',
      fetch: g.fetch,
      maxRetries: 0,
    });

    const served: Served[] = [];
    for (let i = 0; i < 10; i++) {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-fast',
        max_tokens: 50,
        messages: [{ role: 'user', content: `question ${i}` }],
      });
      served.push({ tier: completion.service_tier, tokens: completion.usage?.total_tokens ?? 0 });
    }
    // A streamed call reports its tier in every chunk, the usage chunk included.
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-fast',
      max_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'question 10' }],
    });
    let streamed: Served = { tier: undefined, tokens: 0 };
    for await (const chunk of stream) {
      streamed = { tier: chunk.service_tier, tokens: chunk.usage?.total_tokens ?? streamed.tokens };
    }
    served.push(streamed);

    // Served at priority until the window's 300 tokens were taken, at default after (the stream too).
    const tiers = served.map((s) => s.tier);
    const kept = tiers.indexOf('default');
    expect(kept).toBeGreaterThan(1);
    expect(tiers).toEqual(tiers.map((_, i) => (i < kept ? 'priority' : 'default')));
    // Served at priority at all: the governor asked for the deployment's tier (the simulator serves none unasked).

    const used = async (id: string) => {
      const deployment = g.governor.groups.deployment(id);
      const specs = deployment?.allBuckets().filter((b) => b !== deployment.gate) ?? [];
      const snapshots = await g.governor.store.peek(specs);
      const of = (dimension: string) =>
        Math.round(
          snapshots
            .filter((s) => specs.find((b) => b.key === s.key)?.dimension === dimension)
            .reduce((n, s) => n + s.used, 0),
        );
      return { requests: of('requests'), tokens: of('tokens') };
    };
    const total = (tier: string) => served.filter((s) => s.tier === tier).reduce((n, s) => n + s.tokens, 0);
    expect(await used('fast')).toEqual({ requests: kept, tokens: total('priority') });
    expect(await used('std')).toEqual({ requests: 11 - kept, tokens: total('default') });
    expect(changes).toHaveLength(11 - kept);
    expect(changes[0]).toEqual({ deployment: 'fast', sent: 'priority', served: 'default', chargedTo: 'std' });
  });
});
