/**
 * RedisCacheStore against real time, on private redis-server processes: the
 * PX backstop really expiring an entry nobody touched (and the next call
 * uncounting it), and a frozen (SIGSTOP) or killed server turning calls into
 * misses and skips within the reply deadline, then serving again once back.
 * Waits are liveness bounds; assertions count outcomes, never durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { entryBytes } from '../../src/cache/cache-store.js';
import { RedisCacheStore } from '../../src/cache/redis-cache-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { adminClient, type RedisServer, startRedisServer, testPrefix } from '../stores/redis/redis-server.js';
import { watchdog } from '../stores/redis/wait-for.js';
import { hexKey } from './cache-store-contract.js';

let server: RedisServer | undefined;
let store: RedisCacheStore | undefined;
afterEach(async () => {
  await store?.close();
  await server?.stop();
  store = undefined;
  server = undefined;
});

const entry = { payload: 'answer', group: 'chat', scope: '*' };

describe('RedisCacheStore in real time', () => {
  it('lets Redis drop an entry at its PX, and uncounts it on the next call', async () => {
    server = await startRedisServer();
    store = new RedisCacheStore({ url: server.url, prefix: testPrefix('cache-px'), namespace: 'chat' });
    expect(await store.ready()).toBe(true);
    const now = Date.now();
    const lasting = { payload: 'lasting', group: 'chat', scope: '*' };
    await store.set(hexKey(2), lasting, { ttlMs: 600_000, staleTtlMs: 600_000 }, now); // keeps the bookkeeping alive
    expect(await store.set(hexKey(1), entry, { ttlMs: 50, staleTtlMs: 50 }, now)).toBe(true);
    const admin = adminClient(server.url);
    try {
      const entryKey = store.keys.entryPrefix + hexKey(1);
      for (let i = 0; i < 200 && (await admin.exists(entryKey)) === 1; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(await admin.exists(entryKey)).toBe(0);
    } finally {
      admin.disconnect();
    }
    // The caller's clock still calls it fresh; the entry is gone all the same, and so is its count.
    expect(await store.get(hexKey(1), now)).toBeUndefined();
    expect(await store.stats()).toEqual({ entries: 1, bytes: entryBytes(hexKey(2), lasting) });
  });

  it('answers misses and skips while the server is frozen or dead, and hits once it is back', async () => {
    server = await startRedisServer();
    const coolOff = new ManualClock();
    store = new RedisCacheStore({
      url: server.url,
      prefix: testPrefix('cache-down'),
      namespace: 'chat',
      commandTimeoutMs: 100,
      reconnectMaxDelayMs: 100,
      clock: coolOff,
      coolOffMs: 1_000,
    });
    expect(await store.ready()).toBe(true);
    const now = Date.now();
    const life = { ttlMs: 600_000, staleTtlMs: 600_000 };
    await store.set(hexKey(1), entry, life, now);

    server.freeze();
    expect(await watchdog(store.get(hexKey(1), now), 5_000, 'get on a frozen server')).toBeUndefined();
    expect(store.errors).toBe(1);
    // The timeout starts a cool-off: calls skip Redis without waiting for it.
    expect(await store.set(hexKey(2), entry, life, now)).toBe(false);
    server.thaw();
    expect(await store.get(hexKey(1), now)).toBeUndefined();
    expect(store.skipped).toBe(2);
    coolOff.advance(1_000);
    expect((await store.get(hexKey(1), now))?.payload).toBe('answer');

    await server.kill();
    expect(await watchdog(store.get(hexKey(1), now), 5_000, 'get on a dead server')).toBeUndefined();
    coolOff.advance(1_000);
    await server.restart();
    expect(await store.ready(10_000)).toBe(true);
    expect(await store.set(hexKey(3), entry, life, now)).toBe(true); // ready() loaded the scripts on the emptied server
    expect((await store.get(hexKey(3), now))?.payload).toBe('answer');
    expect(store.errors).toBe(2);
    expect(store.skipped).toBe(2);
  });
});
