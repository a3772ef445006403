/**
 * RedisSemanticIndex against a frozen server (slow: a real reply deadline
 * must pass): the lookup is a miss within the deadline, then calls skip
 * Redis for the cool-off, and find entries again once it has passed.
 */
import { describe, expect, it } from 'vitest';
import { RedisSemanticIndex } from '../../src/cache/semantic-redis.js';
import { ManualClock } from '../../src/core/clock.js';
import { createRedisClient } from '../../src/stores/redis/connection.js';
import { startRedisServer, testPrefix } from '../stores/redis/redis-server.js';
import { embed } from './semantic-index-contract.js';

const PARTITION = 'e'.repeat(64);
const MINUTE = 60_000;

describe('RedisSemanticIndex, Redis frozen', () => {
  it('misses within the reply deadline, then skips Redis for the cool-off, and finds again after', async () => {
    const server = await startRedisServer();
    const client = createRedisClient({ url: server.url, commandTimeoutMs: 100 });
    client.on('error', () => {});
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    const coolOff = new ManualClock();
    const index = new RedisSemanticIndex({
      client,
      prefix: testPrefix('semantic-frozen'),
      commandTimeoutMs: 100,
      clock: coolOff,
      coolOffMs: 1_000,
    });
    const question = embed('What is the capital of France?');
    const now = Date.UTC(2026, 11, 4);
    try {
      await index.add(PARTITION, 'capital', question, now, MINUTE);
      server.freeze();
      expect(await index.nearest(PARTITION, question, 0.9, now, MINUTE)).toBeUndefined();
      expect(index.errors).toBe(1);
      await index.add(PARTITION, 'other', embed('How do I reset my password?'), now, MINUTE);
      server.thaw();
      expect(await index.nearest(PARTITION, question, 0.9, now, MINUTE)).toBeUndefined();
      expect(index.skipped).toBe(2);
      coolOff.advance(1_000);
      expect((await index.nearest(PARTITION, question, 0.9, now, MINUTE))?.key).toBe('capital');
      expect(index.errors).toBe(1);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
