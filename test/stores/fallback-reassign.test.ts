/**
 * A settle that moves usage to other buckets (a call of another size class
 * than its estimate) through the fallback store: on this instance's shares
 * for a reservation granted locally, and replayed as it was asked when the
 * shared store comes back for one granted there.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { FallbackStore, type SharedStore } from '../../src/stores/redis/fallback-store.js';
import { StoreUnavailableError } from '../../src/stores/store.js';

const ITPM = defineBucket('d:input_tokens:minute', {
  dimension: 'input_tokens',
  limit: 1_000_000,
  per: 'minute',
  margin: 0,
});
const LONG_ITPM = defineBucket('d:long_context:input_tokens:minute', {
  dimension: 'input_tokens',
  limit: 400_000,
  per: 'minute',
  margin: 0,
});
const MOVE = { reassign: { release: [ITPM], charge: [LONG_ITPM] } };
const USAGE = { inputTokens: 230_000, outputTokens: 0 };

/** A memory store standing in for Redis, whose reachability the test switches. */
function shared(clock: ManualClock) {
  const state = { up: true };
  const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const down = () => Promise.reject(new StoreUnavailableError('down', { retryAfterMs: 1_000 }));
  const guard = <T>(run: () => Promise<T>): Promise<T> => (state.up ? run() : down());
  const stub: SharedStore = {
    reserve: (b, c, o) => guard(() => store.reserve(b, c, o)),
    reserveFirst: (choices, o) => guard(() => store.reserveFirst(choices, o)),
    settle: (r, u, o) => guard(() => store.settle(r, u, o)),
    renew: (r, l) => guard(() => store.renew(r, l)),
    sync: (b, o) => guard(() => store.sync(b, o)),
    pause: (b, u) => guard(() => store.pause(b, u)),
    peek: (b) => guard(() => store.peek(b)),
    stats: () => guard(() => store.stats()),
    close: () => store.close(),
    ping: () => guard(() => Promise.resolve()),
    publishDemand: (u) => guard(() => store.publishDemand(u)),
    clustered: true,
  };
  return { state, store, stub };
}

function granted(reservation: Reservation | undefined): Reservation {
  if (!reservation) throw new Error('expected a grant');
  return reservation;
}

describe('FallbackStore: settles that move usage', () => {
  it('lands moved usage on this instance’s shares for a local reservation', async () => {
    const clock = new ManualClock();
    const upstream = shared(clock);
    upstream.state.up = false;
    const store = new FallbackStore({
      shared: upstream.stub,
      onUnavailable: 'fail_open',
      expectedInstances: 2,
      clock,
    });
    store.reportUnavailable(new Error('down'));
    const reservation = granted((await store.reserve([ITPM], costOf(150_000, 0))).reservation);
    expect(await store.settle(reservation, USAGE, MOVE)).toBe('settled');
    const [itpm, long] = await store.peek([ITPM, LONG_ITPM]);
    expect(itpm?.used).toBeCloseTo(0, 6);
    expect(long?.used).toBeCloseTo(230_000, 6);
    expect(long?.remaining).toBe(0); // the share is 200 K: in debt until it refills
    await store.close();
  });

  it('replays a shared reservation’s move as asked once the shared store is back', async () => {
    const clock = new ManualClock();
    const upstream = shared(clock);
    const store = new FallbackStore({ shared: upstream.stub, onUnavailable: 'fail_open', clock });
    const reservation = granted((await store.reserve([ITPM], costOf(150_000, 0))).reservation);
    upstream.state.up = false;
    store.reportUnavailable(new Error('down'));
    expect(await store.settle(reservation, USAGE, MOVE)).toBe('settled');
    expect(store.status().pendingSettles).toBe(1);
    upstream.state.up = true;
    expect(await store.probe()).toBe(true);
    const [itpm, long] = await upstream.store.peek([ITPM, LONG_ITPM]);
    expect(itpm?.used).toBeCloseTo(0, 6);
    expect(long?.used).toBeCloseTo(230_000, 6);
    expect((await upstream.store.stats()).settled).toBe(1);
    await store.close();
  });
});
