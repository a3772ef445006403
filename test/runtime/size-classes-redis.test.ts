/**
 * Size classes on the shared store: the same governor, its buckets in a real
 * Redis. A call estimated below the threshold but used above it is moved to
 * the long-context class by the one settle script, exactly once, and a long
 * call's headers sync the class's bucket there.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { serveCall } from '../../src/runtime/exchange/serve.js';
import { Governor } from '../../src/runtime/governor.js';
import { createRedisStore, type RedisStore } from '../../src/stores/redis/redis-store.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import { CountingStore, call, FakeTransport, relayAll } from './kit.js';
import { ITPM, LONG_ITPM, LONG_OTPM, message, OTPM, RPM, topology } from './size-class-kit.js';

const redisServer = redisForFile();

/** EVALSHA calls Redis has run so far (INFO commandstats). */
async function scriptCalls(): Promise<number> {
  const admin = adminClient(redisServer().url);
  const info = await admin.info('commandstats');
  admin.disconnect();
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

async function rig() {
  const clock = new ManualClock(Date.UTC(2026, 11, 4, 12));
  const prefix = testPrefix('sizes');
  const redis: RedisStore = await createRedisStore({ url: redisServer().url, prefix, clock });
  const store = new CountingStore(redis);
  const governor = new Governor({ ...topology(), clock, store, random: () => 0.5 });
  const transport = new FakeTransport(clock);
  const serve = async (input: number, output: number) => {
    const c = call('anthropic', { model: 'claude', cost: costOf(input, output) });
    const answer = await serveCall(governor, c, transport, {
      family: 'anthropic',
      requestId: c.id,
      maxClientWaitMs: 60_000,
      deploymentHeader: false,
    });
    if (answer.relay) relayAll(answer, transport.replies.at(-1) as never);
    return answer;
  };
  const used = async (...keys: string[]) => {
    const specs =
      governor.groups
        .deployments()[0]
        ?.allBuckets()
        .filter((b) => keys.includes(b.key)) ?? [];
    const snapshots = await redis.peek(specs);
    return keys.map((k) => Math.round(snapshots.find((s) => s.key === k)?.used ?? 0));
  };
  const close = async () => {
    await redis.close();
    const admin = adminClient(redisServer().url);
    await deleteKeys(admin, prefix);
    admin.disconnect();
  };
  return { store, transport, serve, used, close, redis };
}

describe('size classes on the Redis store', () => {
  it('moves a call whose usage crossed the threshold to the long-context class, in one settle', async () => {
    const r = await rig();
    try {
      r.transport.script('claude', message(230_000, 400), message(180_000, 300));
      const before = await scriptCalls();
      await r.serve(150_000, 1_000); // estimated standard, used long
      await r.serve(210_000, 1_000); // estimated long, used standard
      // Settles are sent at the end of the tick: let them reach Redis.
      await expect.poll(scriptCalls).toBeGreaterThanOrEqual(before + 4);
      // One script call per reserve and per settle: a move adds no round trip. Countable only on a
      // server of this file's own (a shared REDIS_URL runs other files' scripts too).
      if (redisServer().owned) expect(await scriptCalls()).toBe(before + 4);
      await expect.poll(async () => (await r.redis.stats()).settled).toBe(2);
      r.store.expectSettledOnce();
      expect(await r.used(ITPM, OTPM, LONG_ITPM, LONG_OTPM, RPM)).toEqual([180_000, 300, 230_000, 400, 2]);
      expect((await r.redis.stats()).duplicateSettles).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('keeps the usage where it was reserved when a hashTag puts the classes apart, rather than losing the settle', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 4, 12));
    const prefix = testPrefix('sizes-tags');
    const hashTag = (key: string) => (key.includes('long_context') ? 'long' : 'standard');
    const redis = await createRedisStore({ url: redisServer().url, prefix, clock, hashTag });
    try {
      const itpm = defineBucket('deployment:d:input_tokens:minute', {
        dimension: 'input_tokens',
        limit: 1_000_000,
        per: 'minute',
        margin: 0,
      });
      const longItpm = defineBucket('deployment:d:long_context:input_tokens:minute', {
        dimension: 'input_tokens',
        limit: 500_000,
        per: 'minute',
        margin: 0,
      });
      const reservation = (await redis.reserve([itpm], costOf(150_000, 0))).reservation;
      if (!reservation) throw new Error('expected a grant');
      const usage = { inputTokens: 230_000, outputTokens: 0 };
      const move = { reassign: { release: [itpm], charge: [longItpm] } };
      expect(await redis.settle(reservation, usage, move)).toBe('settled');
      const [standard, long] = await redis.peek([itpm, longItpm]);
      expect(Math.round(standard?.used ?? 0)).toBe(230_000);
      expect(long?.used).toBe(0);
    } finally {
      await redis.close();
      const admin = adminClient(redisServer().url);
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
