import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { LeaseKeeper } from '../../src/runtime/lease-keeper.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

describe('LeaseKeeper', () => {
  it('keeps a long call’s slot past its lease, and lets it expire once released', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock, leaseMs: 9_000, sweepIntervalMs: 0 });
    const keeper = new LeaseKeeper(store, clock, 9_000);
    const slots = defineBucket('slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    const { reservation } = await store.reserve([slots], costOf(0, 0));
    if (!reservation) throw new Error('expected a grant');
    keeper.keep(reservation);
    await clock.advanceAsync(60_000);
    expect((await store.stats()).expiredLeases).toBe(0);
    expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(false);
    keeper.release(reservation);
    await clock.advanceAsync(10_000);
    expect((await store.stats()).expiredLeases).toBe(1);
    expect(keeper.size).toBe(0);
    // With nothing held, the keeper's timer stops.
    expect(clock.pending()).toBe(0);
  });
});
