import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('MemoryStore', async (clock, { leaseMs }) => ({
  store: new MemoryStore({ clock, leaseMs }),
}));

describe('MemoryStore memory bound', () => {
  it('evicts idle buckets so a million distinct keys do not stay in memory', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, sweepPerDecision: 4 });
    const n = 1_000_000;
    for (let i = 0; i < n; i++) {
      const spec = defineBucket(`user:${i}:rpm`, { dimension: 'requests', limit: 10, per: 'minute' });
      await store.reserve([spec], costOf(0, 0));
      if (i % 1_000 === 0) clock.advance(60); // a million keys over 60 s of traffic
    }
    const peak = (await store.stats()).buckets;
    // A key is idle 6 s after its one request (10 RPM); the incremental sweep
    // keeps roughly the last 6 s of keys (100 k), not all the million seen.
    expect(peak).toBeLessThan(250_000);
    clock.advance(61_000); // every bucket is full again: idle
    const hot = defineBucket('hot:rpm', { dimension: 'requests', limit: 10, per: 'minute' });
    for (let i = 0; i < 300_000; i++) await store.reserve([hot], costOf(0, 0));
    expect((await store.stats()).buckets).toBeLessThan(50);
    expect(store.sweep()).toBeGreaterThanOrEqual(0);
  });

  it('never evicts a bucket that still holds usage, a pause or a slot', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const rpm = defineBucket('busy:rpm', { dimension: 'requests', limit: 10, per: 'minute', margin: 0 });
    const slots = defineBucket('busy:slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    const paused = defineBucket('busy:paused', { dimension: 'requests', limit: 10, per: 'minute' });
    await store.reserve([rpm, slots], costOf(0, 0));
    await store.pause(paused, clock.now() + 120_000);
    clock.advance(1_000);
    store.sweep();
    expect((await store.stats()).buckets).toBe(3);
    clock.advance(60_000);
    store.sweep();
    // rpm refilled; the slot is held until its lease runs out; the pause lasts.
    expect((await store.stats()).buckets).toBe(2);
  });
});
