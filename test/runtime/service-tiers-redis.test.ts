/**
 * Service tiers on the shared store: the same governor, its buckets in a
 * real Redis. A Fast call served at default is moved to the default-tier
 * sibling's buckets by the one settle script, exactly once, while a shared
 * pool stays charged once.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { BucketSpec } from '../../src/core/limit.js';
import { serveCall } from '../../src/runtime/exchange/serve.js';
import { Governor } from '../../src/runtime/governor.js';
import { createRedisStore } from '../../src/stores/redis/redis-store.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import { CountingStore, call, FakeTransport, relayAll } from './kit.js';

const redisServer = redisForFile();

const UPSTREAM = {
  provider: 'openai',
  baseUrl: 'http://openai.test/v1',
  apiKey: 'sk-1',
  model: 'gpt-4o',
} as const;

function chat(input: number, output: number, served: string) {
  return {
    headers: { 'content-type': 'application/json' },
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      service_tier: served,
    },
  };
}

describe('service tiers on the Redis store', () => {
  it('moves a downgraded call to the default sibling in one settle; the shared pool is charged once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 4, 12));
    const prefix = testPrefix('tiers');
    const redis = await createRedisStore({ url: redisServer().url, prefix, clock });
    try {
      const store = new CountingStore(redis);
      const shared = { pools: ['gpt-4o-shared'] };
      const governor = new Governor({
        modelGroups: {
          fast: {
            deployments: [
              { id: 'fast', ...UPSTREAM, serviceTier: 'fast', limits: { rpm: 100, tpm: 50_000 }, ...shared },
            ],
          },
          std: {
            deployments: [
              {
                id: 'std',
                ...UPSTREAM,
                serviceTier: 'default',
                limits: { rpm: 1_000, tpm: 500_000 },
                ...shared,
              },
            ],
          },
        },
        pools: { 'gpt-4o-shared': { tpm: 1_000_000 } },
        safetyMargin: 0,
        clock,
        store,
        random: () => 0.5,
      });
      const transport = new FakeTransport(clock);
      transport.script('fast', chat(300, 200, 'default'), chat(100, 50, 'priority'));
      for (let i = 0; i < 2; i++) {
        const c = call('openai', { model: 'fast', cost: costOf(1_000, 1_000) });
        const answer = await serveCall(governor, c, transport, {
          family: 'openai',
          requestId: c.id,
          maxClientWaitMs: 60_000,
          deploymentHeader: false,
        });
        if (answer.relay) relayAll(answer, transport.replies.at(-1) as never);
      }
      await expect.poll(async () => (await redis.stats()).settled).toBe(2);
      store.expectSettledOnce();
      const tokens = async (specs: readonly BucketSpec[]) => {
        const snapshots = await redis.peek(specs);
        return Math.round(
          snapshots
            .filter((s) => specs.find((b) => b.key === s.key)?.dimension === 'tokens')
            .reduce((n, s) => n + s.used, 0),
        );
      };
      const groups = governor.groups;
      expect(await tokens(groups.deployment('fast')?.allBuckets() ?? [])).toBe(150);
      expect(await tokens(groups.deployment('std')?.allBuckets() ?? [])).toBe(500);
      expect(await tokens(groups.poolBucketsByName('gpt-4o-shared'))).toBe(650);
      expect((await redis.stats()).duplicateSettles).toBe(0);
    } finally {
      await redis.close();
      const admin = adminClient(redisServer().url);
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
