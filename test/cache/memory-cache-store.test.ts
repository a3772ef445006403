/** MemoryCacheStore: the contract suite, and what only an in-process store can promise. */
import { describe, expect, it } from 'vitest';
import { MemoryCacheStore } from '../../src/cache/memory-cache-store.js';
import { describeCacheStoreContract, hexKey } from './cache-store-contract.js';

describeCacheStoreContract('MemoryCacheStore', async (bounds) => ({ store: new MemoryCacheStore(bounds) }));

describe('MemoryCacheStore', () => {
  it('answers a hit with the stored entry itself (no copy per hit)', async () => {
    const store = new MemoryCacheStore();
    const life = { ttlMs: 1_000, staleTtlMs: 1_000 };
    await store.set(hexKey(1), { payload: 'p', group: 'chat', scope: '*' }, life, 0);
    expect(await store.get(hexKey(1), 10)).toBe(await store.get(hexKey(1), 20));
  });

  it('never keeps an entry larger than the whole store, whatever the per-entry bound', async () => {
    const store = new MemoryCacheStore({ maxBytes: 100, maxEntryBytes: 1_000 });
    const life = { ttlMs: 1_000, staleTtlMs: 1_000 };
    expect(await store.set(hexKey(1), { payload: 'x'.repeat(200), group: 'g', scope: '*' }, life, 0)).toBe(
      false,
    );
    expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
  });
});
