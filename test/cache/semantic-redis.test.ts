/**
 * RedisSemanticIndex on a real Redis (REDIS_URL, or a private server): the
 * contract suite, instances finding each other's entries with one round
 * trip per lookup, the log trimmed to the bound and expiring with its
 * newest entry, and an unreachable Redis as no match, never a throw.
 */
import { describe, expect, it } from 'vitest';
import {
  fromFloat32Le,
  RedisSemanticIndex,
  type SemanticIndexError,
  streamIdAfter,
} from '../../src/cache/semantic-redis.js';
import { semanticLogKey } from '../../src/cache/semantic-redis-keys.js';
import { createRedisClient } from '../../src/stores/redis/connection.js';
import type { RedisClient } from '../../src/stores/redis/scripts.js';
import {
  adminClient,
  deleteKeys,
  freePort,
  redisForFile,
  startRedisServer,
  testPrefix,
} from '../stores/redis/redis-server.js';
import { describeSemanticIndexContract, embed } from './semantic-index-contract.js';

const redis = redisForFile();
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const MINUTE = 60_000;
const PARTITION = 'c'.repeat(64);

async function connect(url: string): Promise<RedisClient> {
  const client = createRedisClient({ url });
  client.on('error', () => {});
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

async function cleanup(clients: RedisClient[], url: string, prefix: string): Promise<void> {
  for (const client of clients) client.disconnect();
  const admin = adminClient(url);
  await deleteKeys(admin, prefix);
  admin.disconnect();
}

describeSemanticIndexContract('RedisSemanticIndex', async (options) => {
  const prefix = testPrefix('semantic');
  const client = await connect(redis().url);
  const index = new RedisSemanticIndex({ client, prefix, ...options });
  return {
    index,
    cleanup: async () => {
      expect(index.errors).toBe(0);
      await cleanup([client], redis().url, prefix);
    },
  };
});

describe('RedisSemanticIndex', () => {
  it('lets instances find each other’s entries, with one round trip (one XRANGE) per lookup', async () => {
    const server = await startRedisServer(); // private: commandstats count only this test's calls
    const prefix = testPrefix('semantic-rt');
    const clients = [await connect(server.url), await connect(server.url)];
    const [one, two] = clients.map((client) => new RedisSemanticIndex({ client, prefix }));
    const admin = adminClient(server.url);
    try {
      if (!one || !two) throw new Error('two instances');
      await admin.config('RESETSTAT');
      await one.add(PARTITION, 'capital', embed('What is the capital of France?'), NOW, MINUTE);
      expect(
        (await two.nearest(PARTITION, embed("what's the capital of france"), 0.92, NOW, MINUTE))?.key,
      ).toBe('capital');
      await two.add(PARTITION, 'password', embed('How do I reset my password?'), NOW + 1, MINUTE);
      expect(
        (await one.nearest(PARTITION, embed('How can I reset my password'), 0.92, NOW + 2, MINUTE))?.key,
      ).toBe('password');
      // Caught up: later lookups read nothing old again, and still find both.
      for (let n = 0; n < 8; n++) {
        const index = n % 2 === 0 ? one : two;
        const hit = await index.nearest(PARTITION, embed('capital of France?'), 0.92, NOW + 3, MINUTE);
        expect(hit?.key).toBe('capital');
      }
      await one.nearest(PARTITION, embed('What is the boiling point of water?'), 0.92, NOW + 4, MINUTE);
      const stats = await admin.info('commandstats');
      const calls = (command: string) =>
        Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      const lookups = 2 + 8 + 1;
      expect(calls('xrange')).toBe(lookups);
      expect(calls('xadd')).toBe(2);
      expect(calls('pexpire')).toBe(2);
      const counted = [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
        .filter(([, command]) => !['info', 'config'].includes(command as string))
        .reduce((n, [, , count]) => n + Number(count), 0);
      expect(counted).toBe(lookups + 2 + 2);
      expect(one.errors + two.errors).toBe(0);
    } finally {
      admin.disconnect();
      for (const client of clients) client.disconnect();
      await server.stop();
    }
  });

  it('finds entries stored by many instances at once, each instance its own and the others’', async () => {
    const prefix = testPrefix('semantic-load');
    const clients = await Promise.all([0, 1, 2].map(() => connect(redis().url)));
    // What this checks is which entries are found, not how fast: a loaded machine must not turn a slow
    // reply into a miss (the short default deadline is checked in semantic-redis.slow.test.ts).
    const indexes = clients.map(
      (client) => new RedisSemanticIndex({ client, prefix, commandTimeoutMs: 10_000 }),
    );
    const question = (n: number) => `question ${n} about subject s${n} and matter m${n}`;
    try {
      await Promise.all(
        Array.from({ length: 60 }, (_, n) =>
          (indexes[n % 3] as RedisSemanticIndex).add(PARTITION, `q${n}`, embed(question(n)), NOW + n, MINUTE),
        ),
      );
      const found = await Promise.all(
        Array.from({ length: 60 }, (_, n) =>
          (indexes[(n + 1) % 3] as RedisSemanticIndex).nearest(
            PARTITION,
            embed(question(n)),
            0.99,
            NOW + 100,
            MINUTE,
          ),
        ),
      );
      expect(indexes.reduce((n, i) => n + i.errors, 0)).toBe(0);
      expect(found.map((f) => f?.key)).toEqual(Array.from({ length: 60 }, (_, n) => `q${n}`));
    } finally {
      await cleanup(clients, redis().url, prefix);
    }
  });

  it('trims the log to the partition bound and lets it expire with its newest entry', async () => {
    const prefix = testPrefix('semantic-trim');
    const client = await connect(redis().url);
    const index = new RedisSemanticIndex({ client, prefix, maxEntriesPerPartition: 3 });
    const admin = adminClient(redis().url);
    try {
      for (let n = 0; n < 5; n++)
        await index.add(PARTITION, `q${n}`, embed(`question ${n}`), NOW + n, MINUTE);
      const key = semanticLogKey(prefix, PARTITION);
      expect(await admin.xlen(key)).toBe(3);
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(MINUTE - 10_000);
      expect(ttl).toBeLessThanOrEqual(MINUTE);
      // The message holds the id, the vector as little-endian float32 and the two times.
      const [[, fields] = ['', []]] = await admin.xrangeBuffer(key, '-', '+', 'COUNT', 1);
      const values = new Map<string, Buffer>();
      for (let i = 0; i + 1 < fields.length; i += 2) values.set(String(fields[i]), fields[i + 1] as Buffer);
      expect(values.get('i')?.toString()).toBe('q2');
      expect(fromFloat32Le(values.get('v') as Buffer)).toEqual(embed('question 2'));
      expect(Number(values.get('t'))).toBe(NOW + 2);
      expect(Number(values.get('x'))).toBe(NOW + 2 + MINUTE);
    } finally {
      admin.disconnect();
      await cleanup([client], redis().url, prefix);
    }
  });

  it('with Redis unreachable: no match and no store, nothing throws, each failure counted', async () => {
    const port = await freePort(); // nothing listens there
    const client = createRedisClient({ url: `redis://127.0.0.1:${port}` });
    client.on('error', () => {});
    const failures: SemanticIndexError[] = [];
    const index = new RedisSemanticIndex({
      client,
      prefix: testPrefix('semantic-down'),
      onError: (e) => failures.push(e),
    });
    try {
      await index.add(PARTITION, 'capital', embed('What is the capital of France?'), NOW, MINUTE);
      expect(
        await index.nearest(PARTITION, embed('What is the capital of France?'), -1, NOW, MINUTE),
      ).toBeUndefined();
      expect(index.errors).toBe(2);
      expect(failures.map((f) => [f.code, f.operation])).toEqual([
        ['semantic_index_unavailable', 'add'],
        ['semantic_index_unavailable', 'nearest'],
      ]);
      expect(failures.every((f) => !f.message.includes('capital'))).toBe(true);
    } finally {
      client.disconnect();
    }
  });

  it('with Redis gone after entries were read: no match rather than an answer it cannot check', async () => {
    const server = await startRedisServer();
    const client = await connect(server.url);
    const index = new RedisSemanticIndex({ client, prefix: testPrefix('semantic-gone') });
    try {
      await index.add(PARTITION, 'capital', embed('What is the capital of France?'), NOW, MINUTE);
      expect(
        await index.nearest(PARTITION, embed('What is the capital of France?'), 0.9, NOW, MINUTE),
      ).toBeDefined();
      await server.kill();
      expect(
        await index.nearest(PARTITION, embed('What is the capital of France?'), 0.9, NOW, MINUTE),
      ).toBeUndefined();
      expect(index.errors).toBe(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('orders stream ids by time, then sequence', () => {
    expect(streamIdAfter('1700000000001-0', '1700000000000-5')).toBe(true);
    expect(streamIdAfter('1700000000000-6', '1700000000000-5')).toBe(true);
    expect(streamIdAfter('1700000000000-5', '1700000000000-5')).toBe(false);
    expect(streamIdAfter('999-9', '1000-0')).toBe(false);
  });
});
