import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchRedisKeys } from '../../src/batches/store/batch-redis-keys.js';
import { RedisBatchStore } from '../../src/batches/store/redis-batch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { deleteKeys, type RedisServer, testPrefix, useRedis } from '../stores/redis/redis-server.js';
import { batchLines, batchRecord, describeBatchStoreContract, succeeded } from './batch-store-contract.js';

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await useRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** A store on `prefix` with its own connection, as another gateway instance would have. */
function openStore(prefix: string): { store: RedisBatchStore; client: Redis } {
  if (!server) throw new Error('the Redis server starts in beforeAll');
  const client = new Redis(server.url);
  return { store: new RedisBatchStore({ redis: client, prefix }), client };
}

describeBatchStoreContract('RedisBatchStore', async () => {
  const prefix = testPrefix('batches');
  const first = openStore(prefix);
  const clients = [first.client];
  return {
    store: first.store,
    clock: new ManualClock(),
    peer: async () => {
      const other = openStore(prefix);
      clients.push(other.client);
      return other.store;
    },
    cleanup: async () => {
      await deleteKeys(first.client, prefix);
      for (const client of clients) client.disconnect();
    },
  };
});

describe('RedisBatchStore', () => {
  const LEASE = 60_000;
  const opened: { client: Redis; prefix: string }[] = [];
  const open = (prefix: string) => {
    const handle = openStore(prefix);
    opened.push({ client: handle.client, prefix });
    return handle;
  };
  afterEach(async () => {
    for (const { client, prefix } of opened.splice(0)) {
      await deleteKeys(client, prefix);
      client.disconnect();
    }
  });

  it('gives the lines of an instance that died to another once their lease ends', async () => {
    const clock = new ManualClock();
    const prefix = testPrefix('batches');
    const dead = open(prefix).store;
    const alive = open(prefix).store;
    await dead.createBatch(batchRecord('batch-d', 8), batchLines(8), []);
    const lost = await dead.claim('batch-d', { instance: 'dead', leaseMs: LEASE, max: 5 }, clock.now());
    const rest = await alive.claim('batch-d', { instance: 'alive', leaseMs: LEASE, max: 8 }, clock.now());
    expect(rest).toHaveLength(3);
    for (const claim of rest) await alive.complete('batch-d', succeeded(claim.line.index));

    clock.advance(LEASE - 1);
    expect(await alive.claim('batch-d', { instance: 'alive', leaseMs: LEASE, max: 8 }, clock.now())).toEqual(
      [],
    );
    clock.advance(1);
    const taken = await alive.claim('batch-d', { instance: 'alive', leaseMs: LEASE, max: 8 }, clock.now());
    expect(taken.map((c) => c.line.index).sort()).toEqual(lost.map((c) => c.line.index).sort());
    for (const claim of taken)
      expect(await alive.complete('batch-d', succeeded(claim.line.index, 'alive'))).toBe(true);
    // The dead instance's call answered after all: its result comes too late to count.
    expect(await dead.complete('batch-d', succeeded(lost[0]?.line.index ?? -1, 'dead'))).toBe(false);
    expect((await alive.results('batch-d')).filter((r) => r.requestId === 'dead')).toEqual([]);
    expect((await alive.progress('batch-d')).succeeded).toBe(8);
  });

  it('stores a 50,000-line batch whole, without the staging TTLs, and ends it', async () => {
    const prefix = testPrefix('batches');
    const { store, client } = open(prefix);
    await store.createBatch(batchRecord('batch-50k', 50_000), batchLines(50_000), []);
    const keys = new BatchRedisKeys(prefix).batch('batch-50k');
    expect(await client.hlen(keys.lines)).toBe(50_000);
    expect(await client.zcard(keys.pending)).toBe(50_000);
    for (const key of [keys.rec, keys.lines, keys.ids, keys.pending]) expect(await client.ttl(key)).toBe(-1);
    expect(await store.endRemaining('batch-50k', 'expired', 0)).toBe(50_000);
    expect(await store.progress('batch-50k')).toEqual({
      total: 50_000,
      succeeded: 0,
      errored: 0,
      canceled: 0,
      expired: 50_000,
    });
    expect((await store.results('batch-50k')).length).toBe(50_000);
  });

  it('skips a batch whose creator died before its commit', async () => {
    const prefix = testPrefix('batches');
    const { store, client } = open(prefix);
    await store.createBatch(batchRecord('batch-ok', 1), batchLines(1), []);
    const keys = new BatchRedisKeys(prefix);
    await client.sadd(keys.active(), 'batch-ghost');
    await client.zadd(keys.tenantBatches('acme'), 1, 'batch-ghost');
    expect((await store.activeBatches()).map((b) => b.id)).toEqual(['batch-ok']);
    expect((await store.listBatches('acme', { limit: 10 })).map((b) => b.id)).toEqual(['batch-ok']);
    expect(await store.batch('batch-ghost')).toBeUndefined();
  });

  it('loads its scripts again when the server lost them', async () => {
    const prefix = testPrefix('batches');
    const { store, client } = open(prefix);
    await store.createBatch(batchRecord('batch-s', 2), batchLines(2), []);
    expect(await store.complete('batch-s', succeeded(0))).toBe(true);
    await client.script('FLUSH');
    expect(await store.complete('batch-s', succeeded(1))).toBe(true);
    expect(await store.claim('batch-s', { instance: 'a', leaseMs: LEASE, max: 2 }, 0)).toEqual([]);
  });
});
