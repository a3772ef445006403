import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { describeBudgetContract } from './budget-contract.js';
import { describeStoreContract, type StoreFactory } from './store-contract.js';
import { describeWindowContract } from './window-contract.js';

const memoryStore: StoreFactory = async (clock, { leaseMs }) => ({
  store: new MemoryStore({ clock, leaseMs }),
});
describeStoreContract('MemoryStore', memoryStore);
describeWindowContract('MemoryStore', memoryStore);
describeBudgetContract('MemoryStore', memoryStore);

describe('MemoryStore memory bound', () => {
  it('evicts idle buckets so a million distinct keys do not stay in memory', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const n = 1_000_000;
    for (let i = 0; i < n; i++) {
      const spec = defineBucket(`user:${i}:rpm`, { dimension: 'requests', limit: 10, per: 'minute' });
      await store.reserve([spec], costOf(0, 0));
      if (i % 1_000 === 0) clock.advance(300); // a million keys over 5 minutes of traffic
    }
    const peak = (await store.stats()).buckets;
    // A key may go 66 s after its one request (full after 6 s at 10 RPM, plus
    // the 60 s grace): the sweep paid by new keys keeps about twice the keys
    // of the last 66 s, not all the million seen.
    expect(peak).toBeLessThan(500_000);
    // With no new keys, the background sweep clears the idle rest.
    clock.advance(10 * 60_000);
    expect((await store.stats()).buckets).toBe(0);
    await store.close();
  });

  it('never evicts a bucket that still holds usage, a pause or a slot', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
    const rpm = defineBucket('busy:rpm', { dimension: 'requests', limit: 10, per: 'minute', margin: 0 });
    const slots = defineBucket('busy:slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    // Per hour: a pause never outlasts one window of its bucket.
    const paused = defineBucket('busy:paused', { dimension: 'requests', limit: 10, per: 'hour' });
    await store.reserve([rpm, slots], costOf(0, 0));
    await store.pause(paused, clock.now() + 180_000);
    clock.advance(61_000);
    store.sweep();
    expect((await store.stats()).buckets).toBe(3);
    clock.advance(60_000);
    store.sweep();
    // rpm refilled; the slot is held until its lease runs out; the pause lasts.
    expect((await store.stats()).buckets).toBe(2);
  });
});
