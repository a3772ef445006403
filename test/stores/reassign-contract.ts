/**
 * Part of the store contract (store-contract.ts): a settle that moves a
 * call's usage to other buckets (`SettleOptions.reassign`, a call whose size
 * class the estimate got wrong) releases the named reserved buckets in full,
 * charges the others with the usage, settles the shared ones as usual, all
 * in the one settle, and still exactly once.
 */
import { expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import type { Store } from '../../src/stores/store.js';
import { bucket } from './store-contract.js';

function granted(reservation: Reservation | undefined): Reservation {
  if (!reservation) throw new Error('expected a grant');
  return reservation;
}

export function reassignContract(get: () => { clock: ManualClock; store: Store }): void {
  it('moves usage at settlement: released buckets get all back, charged ones take the usage, shared ones settle', async () => {
    const { store } = get();
    const rpm = bucket('rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0 });
    const itpm = bucket('itpm', { dimension: 'input_tokens', limit: 1_000_000, per: 'minute', margin: 0 });
    const otpm = bucket('otpm', { dimension: 'output_tokens', limit: 100_000, per: 'minute', margin: 0 });
    const slots = bucket('slots', { dimension: 'concurrency', limit: 2 });
    const longItpm = bucket('long-itpm', {
      dimension: 'input_tokens',
      limit: 500_000,
      per: 'minute',
      margin: 0,
    });
    const longRpm = bucket('long-rpm', { dimension: 'requests', limit: 10, per: 'minute', margin: 0 });
    const longSlots = bucket('long-slots', { dimension: 'concurrency', limit: 1 });
    const reservation = granted(
      (await store.reserve([rpm, itpm, otpm, slots], costOf(150_000, 1_000))).reservation,
    );
    const usage = { inputTokens: 230_000, outputTokens: 400 };
    const reassign = { release: [itpm], charge: [longItpm, longRpm, longSlots] };
    expect(await store.settle(reservation, usage, { reassign })).toBe('settled');
    const [r, i, o, s, li, lr, ls] = await store.peek([rpm, itpm, otpm, slots, longItpm, longRpm, longSlots]);
    expect(r?.used).toBeCloseTo(1, 6); // shared, settled as usual
    expect(i?.used).toBeCloseTo(0, 6); // released in full
    expect(o?.used).toBeCloseTo(400, 6); // shared, settled to the usage
    expect(s?.used).toBe(0); // the slot came back
    expect(li?.used).toBeCloseTo(230_000, 6); // charged with the usage
    expect(lr?.used).toBeCloseTo(1, 6); // the request counts where it moved
    expect(ls?.used).toBe(0); // a charged concurrency bucket holds no slot
    // Exactly once: a second settle changes nothing.
    expect(await store.settle(reservation, usage, { reassign })).toBe('duplicate');
    const [again] = await store.peek([longItpm]);
    expect(again?.used).toBeCloseTo(230_000, 6);
  });

  it('charges moved usage even past a bucket’s capacity (the provider already served it), and a release refunds the request', async () => {
    const { store, clock } = get();
    const rpm = bucket('rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
    const longItpm = bucket('long-itpm', {
      dimension: 'input_tokens',
      limit: 100_000,
      per: 'minute',
      margin: 0,
    });
    const reservation = granted((await store.reserve([rpm], costOf(10, 10))).reservation);
    await store.settle(
      reservation,
      { inputTokens: 150_000, outputTokens: 5 },
      { reassign: { release: [rpm], charge: [longItpm] } },
    );
    const [r, li] = await store.peek([rpm, longItpm]);
    expect(r?.used).toBeCloseTo(0, 6);
    expect(li?.used).toBeCloseTo(150_000, 6); // past its capacity: the next call waits for the excess to refill
    const next = await store.reserve([longItpm], costOf(1, 0));
    expect(next.granted).toBe(false);
    expect(next.retryAfterMs).toBeCloseTo(30_000 + 0.6, 0);
    clock.advance(31_000);
    expect((await store.reserve([longItpm], costOf(1, 0))).granted).toBe(true);
  });

  it('without usage a reassignment does nothing: the estimate stands where it was reserved', async () => {
    const { store } = get();
    const itpm = bucket('itpm', { dimension: 'input_tokens', limit: 1_000_000, per: 'minute', margin: 0 });
    const longItpm = bucket('long-itpm', {
      dimension: 'input_tokens',
      limit: 500_000,
      per: 'minute',
      margin: 0,
    });
    const reservation = granted((await store.reserve([itpm], costOf(1_000, 0))).reservation);
    await store.settle(reservation, undefined, { reassign: { release: [itpm], charge: [longItpm] } });
    const [i, li] = await store.peek([itpm, longItpm]);
    expect(i?.used).toBeCloseTo(1_000, 6);
    expect(li?.used).toBe(0);
  });
}
