/**
 * The behaviour every `CacheStore` must have. Each store's test file calls
 * `describeCacheStoreContract` with a factory; the same cases run against
 * MemoryCacheStore and RedisCacheStore (STYLE.md: one contract suite).
 *
 * Time is the `now` each call passes, read from a ManualClock: stores age
 * entries by it alone, so every case is deterministic on every store (Redis
 * PX is a backstop measured in real time and stays far away here).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CacheStore, entryBytes, type NewEntry } from '../../src/cache/cache-store.js';
import { ManualClock } from '../../src/core/clock.js';

export interface CacheStoreUnderTest {
  store: CacheStore;
  /** Called after each test (close connections, delete keys). */
  cleanup?: () => Promise<void>;
}

export interface CacheBounds {
  maxBytes: number;
  maxEntryBytes: number;
}

/** A fresh, empty store with these bounds (on Redis: its own namespace). */
export type CacheStoreFactory = (bounds: CacheBounds) => Promise<CacheStoreUnderTest>;

/** Keys look like the caller's: 64 hex digits. */
export function hexKey(n: number): string {
  return n.toString(16).padStart(64, '0');
}

const MINUTE = 60_000;
const LIFE = { ttlMs: MINUTE, staleTtlMs: 10 * MINUTE };

function entry(payload: string, scope = 'tenant-a'): NewEntry {
  return { payload, group: 'chat', scope };
}

/** Entries of one size, so a byte bound holds an exact number of them. */
const SAME_SIZE = entryBytes(hexKey(0), entry('x'.repeat(100)));

export function describeCacheStoreContract(name: string, factory: CacheStoreFactory): void {
  describe(`CacheStore contract: ${name}`, () => {
    let clock: ManualClock;
    let sut: CacheStoreUnderTest | undefined;

    async function open(bounds: Partial<CacheBounds> = {}): Promise<CacheStore> {
      await sut?.cleanup?.();
      sut = await factory({ maxBytes: 1024 * 1024, maxEntryBytes: 64 * 1024, ...bounds });
      return sut.store;
    }

    beforeEach(() => {
      clock = new ManualClock(Date.UTC(2026, 11, 4, 12, 0, 0));
    });
    afterEach(async () => {
      await sut?.cleanup?.();
      sut = undefined;
    });

    it('gives back what was set: payload, group, scope and when it was stored', async () => {
      const store = await open();
      const payload = JSON.stringify({ content: [{ kind: 'text', text: 'héllo, 世界 🌍' }] });
      expect(await store.set(hexKey(1), entry(payload), LIFE, clock.now())).toBe(true);
      clock.advance(1_500);
      expect(await store.get(hexKey(1), clock.now())).toMatchObject({
        payload,
        group: 'chat',
        scope: 'tenant-a',
        storedAt: clock.now() - 1_500,
      });
      expect(await store.get(hexKey(2), clock.now())).toBeUndefined();
    });

    it('keeps an entry until its stale lifetime, so the caller can tell fresh from stale by age', async () => {
      const store = await open();
      const storedAt = clock.now();
      await store.set(hexKey(1), entry('a'), LIFE, storedAt);
      clock.advance(LIFE.ttlMs);
      expect((await store.get(hexKey(1), clock.now()))?.storedAt).toBe(storedAt); // fresh: age = ttl
      clock.advance(1);
      expect((await store.get(hexKey(1), clock.now()))?.storedAt).toBe(storedAt); // stale: age > ttl
      clock.advance(LIFE.staleTtlMs - LIFE.ttlMs - 1);
      expect(await store.get(hexKey(1), clock.now())).toBeDefined(); // age = stale ttl
      clock.advance(1);
      expect(await store.get(hexKey(1), clock.now())).toBeUndefined();
      expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
    });

    it('keeps an entry for the longer of ttl and stale ttl', async () => {
      const store = await open();
      await store.set(hexKey(1), entry('a'), { ttlMs: MINUTE, staleTtlMs: 1_000 }, clock.now());
      clock.advance(MINUTE);
      expect(await store.get(hexKey(1), clock.now())).toBeDefined();
      clock.advance(1);
      expect(await store.get(hexKey(1), clock.now())).toBeUndefined();
    });

    it('replaces an entry: the new payload and time, its bytes counted once', async () => {
      const store = await open();
      await store.set(hexKey(1), entry('first'), LIFE, clock.now());
      clock.advance(5_000);
      await store.set(hexKey(1), entry('second, longer'), LIFE, clock.now());
      const got = await store.get(hexKey(1), clock.now());
      expect(got?.payload).toBe('second, longer');
      expect(got?.storedAt).toBe(clock.now());
      expect(await store.stats()).toEqual({
        entries: 1,
        bytes: entryBytes(hexKey(1), entry('second, longer')),
      });
    });

    it('counts entries and their bytes, and deletes', async () => {
      const store = await open();
      const a = entry('alpha');
      const b = entry('béta', '*');
      await store.set(hexKey(1), a, LIFE, clock.now());
      await store.set(hexKey(2), b, LIFE, clock.now());
      expect(await store.stats()).toEqual({
        entries: 2,
        bytes: entryBytes(hexKey(1), a) + entryBytes(hexKey(2), b),
      });
      expect(await store.delete(hexKey(1))).toBe(true);
      expect(await store.delete(hexKey(1))).toBe(false);
      expect(await store.get(hexKey(1), clock.now())).toBeUndefined();
      expect((await store.get(hexKey(2), clock.now()))?.scope).toBe('*');
      expect(await store.stats()).toEqual({ entries: 1, bytes: entryBytes(hexKey(2), b) });
    });

    it('evicts the least recently used entries to stay under the byte bound; a read counts as use', async () => {
      const store = await open({ maxBytes: 3 * SAME_SIZE });
      const payload = 'x'.repeat(100);
      for (const n of [1, 2, 3]) {
        await store.set(hexKey(n), entry(payload), LIFE, clock.now());
        clock.advance(1);
      }
      expect(await store.get(hexKey(1), clock.now())).toBeDefined(); // 2 is now the least recently used
      clock.advance(1);
      await store.set(hexKey(4), entry(payload), LIFE, clock.now());
      clock.advance(1);
      expect(await store.get(hexKey(2), clock.now())).toBeUndefined();
      for (const n of [1, 3, 4]) {
        expect(await store.get(hexKey(n), clock.now())).toBeDefined();
        clock.advance(1);
      }
      expect(await store.stats()).toEqual({ entries: 3, bytes: 3 * SAME_SIZE });

      // An entry twice the size evicts the two least recently used (1, then 3).
      await store.set(hexKey(5), entry('y'.repeat(100 + SAME_SIZE)), LIFE, clock.now());
      expect(await store.get(hexKey(3), clock.now())).toBeUndefined();
      expect(await store.get(hexKey(1), clock.now())).toBeUndefined();
      expect(await store.get(hexKey(4), clock.now())).toBeDefined();
      expect(await store.get(hexKey(5), clock.now())).toBeDefined();
    });

    it('does not keep an entry over the per-entry bound, says so, and leaves what was there', async () => {
      const store = await open({ maxEntryBytes: 1_000 });
      const fits = entry('x'.repeat(1_000 - entryBytes(hexKey(1), entry(''))));
      expect(entryBytes(hexKey(1), fits)).toBe(1_000);
      expect(await store.set(hexKey(1), fits, LIFE, clock.now())).toBe(true);
      expect(await store.set(hexKey(1), entry(`${fits.payload}y`), LIFE, clock.now())).toBe(false);
      expect(await store.set(hexKey(2), entry('z'.repeat(5_000)), LIFE, clock.now())).toBe(false);
      expect((await store.get(hexKey(1), clock.now()))?.payload).toBe(fits.payload);
      expect(await store.get(hexKey(2), clock.now())).toBeUndefined();
      expect(await store.stats()).toEqual({ entries: 1, bytes: 1_000 });
    });

    it('drops expired entries on insert, so they hold no bytes', async () => {
      const store = await open();
      await store.set(hexKey(1), entry('short'), { ttlMs: 1_000, staleTtlMs: 1_000 }, clock.now());
      clock.advance(1_001);
      await store.set(hexKey(2), entry('new'), LIFE, clock.now());
      expect(await store.stats()).toEqual({ entries: 1, bytes: entryBytes(hexKey(2), entry('new')) });
    });

    it('under any sequence: never over the bound, never another key’s answer, never past its life', async () => {
      const maxBytes = 4 * SAME_SIZE;
      const op = fc.oneof(
        fc.record({
          kind: fc.constant('set' as const),
          key: fc.integer({ min: 0, max: 7 }),
          size: fc.integer({ min: 0, max: 250 }),
          lifeMs: fc.integer({ min: 1, max: 5_000 }),
        }),
        fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
          const store = await open({ maxBytes, maxEntryBytes: maxBytes });
          const written = new Map<number, { payload: string; storedAt: number; expiresAt: number }>();
          for (const o of ops) {
            const now = clock.now();
            if (o.kind === 'wait') clock.advance(o.ms);
            else if (o.kind === 'delete') {
              await store.delete(hexKey(o.key));
              written.delete(o.key);
            } else if (o.kind === 'set') {
              const payload = `${o.key}:${now}:`.padEnd(o.size, '.');
              const life = { ttlMs: o.lifeMs, staleTtlMs: o.lifeMs };
              if (await store.set(hexKey(o.key), entry(payload), life, now))
                written.set(o.key, { payload, storedAt: now, expiresAt: now + o.lifeMs });
            } else {
              const got = await store.get(hexKey(o.key), now);
              const last = written.get(o.key);
              if (got) {
                expect(got.payload).toBe(last?.payload);
                expect(got.storedAt).toBe(last?.storedAt);
                expect(now).toBeLessThanOrEqual(last?.expiresAt ?? -1);
              }
            }
            expect((await store.stats()).bytes).toBeLessThanOrEqual(maxBytes);
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
