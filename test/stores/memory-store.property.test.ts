/**
 * Invariants of the store, over random sequences of operations (fast-check):
 * - never over a limit: on every continuous bucket, the net cost admitted in
 *   any interval [a, b] is at most capacity + rate × (b − a) (the bucket never
 *   hands out more than it holds); per calendar day at most the capacity; held
 *   concurrency slots never above the capacity;
 * - every reservation is settled exactly once (by a settle or by its lease
 *   running out), and duplicate settles are counted and change nothing.
 * Usage at settle is at most the estimate here: charges above the estimate
 * overdraw on purpose (the usage happened) and are covered by unit tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const utcDayStart = (t: number): number => Math.floor(t / 86_400_000) * 86_400_000;

import { ManualClock } from '../../src/core/clock.js';
import { type Cost, costOf, costOn, type Usage, usageOn } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

const LEASE_MS = 20_000;
const BUCKETS: readonly BucketSpec[] = [
  defineBucket('rps', { dimension: 'requests', limit: 10, per: 'second', margin: 0.1 }),
  defineBucket('itpm', { dimension: 'input_tokens', limit: 2_000, per: 'minute', margin: 0.1 }),
  defineBucket('tpm', { dimension: 'tokens', limit: 3_000, per: 'minute', margin: 0.2 }),
  defineBucket('rpd', { dimension: 'requests', limit: 40, per: 'day', dayMode: 'calendar', margin: 0.1 }),
  defineBucket('slots', { dimension: 'concurrency', limit: 4, margin: 0 }),
];

type Op =
  | { kind: 'advance'; ms: number }
  | { kind: 'reserve'; mask: number; input: number; output: number }
  | { kind: 'settle'; pick: number; used: number; withUsage: boolean }
  | { kind: 'resettle'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 8_000 }) }),
  fc.record({
    kind: fc.constant('reserve' as const),
    mask: fc.integer({ min: 1, max: 31 }),
    input: fc.integer({ min: 0, max: 900 }),
    output: fc.integer({ min: 0, max: 900 }),
  }),
  fc.record({
    kind: fc.constant('settle' as const),
    pick: fc.nat(),
    used: fc.double({ min: 0, max: 1, noNaN: true }),
    withUsage: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('resettle' as const), pick: fc.nat() }),
);

interface Held {
  reservation: Reservation;
  grantedAt: number;
  settled: boolean;
}

interface Event {
  at: number;
  amount: number;
}

async function replay(ops: readonly Op[]) {
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 23, 58, 0)); // crosses a UTC midnight
  const store = new MemoryStore({ clock, leaseMs: LEASE_MS });
  const events = new Map<string, Event[]>(BUCKETS.map((b) => [b.key, []]));
  const held: Held[] = [];
  let expectedDuplicates = 0;
  let maxSlotsHeld = 0;
  const isLive = (h: Held) => !h.settled && clock.now() < h.grantedAt + LEASE_MS;
  for (const o of ops) {
    if (o.kind === 'advance') {
      clock.advance(o.ms);
    } else if (o.kind === 'reserve') {
      const buckets = BUCKETS.filter((_, i) => o.mask & (1 << i));
      const cost: Cost = costOf(o.input, o.output);
      const decision = await store.reserve(buckets, cost);
      if (decision.reservation) {
        held.push({ reservation: decision.reservation, grantedAt: clock.now(), settled: false });
        for (const b of buckets)
          events.get(b.key)?.push({ at: clock.now(), amount: costOn(cost, b.dimension) });
      }
      if (buckets.some((b) => b.kind === 'concurrency')) {
        const slots = held.filter(
          (h) => isLive(h) && h.reservation.buckets.some((b) => b.kind === 'concurrency'),
        );
        maxSlotsHeld = Math.max(maxSlotsHeld, slots.length);
      }
    } else if (o.kind === 'settle' && held.length > 0) {
      const h = held[o.pick % held.length] as Held;
      const live = isLive(h);
      const { cost } = h.reservation;
      const usage: Usage = {
        inputTokens: Math.floor(cost.inputTokens * o.used),
        outputTokens: Math.floor(cost.outputTokens * o.used),
      };
      const outcome = await store.settle(h.reservation, o.withUsage ? usage : undefined);
      expect(outcome).toBe(live ? 'settled' : 'duplicate');
      if (!live) expectedDuplicates++;
      if (live && o.withUsage) {
        for (const b of h.reservation.buckets) {
          if (b.kind === 'concurrency') continue;
          const refund = costOn(cost, b.dimension) - usageOn(usage, b.dimension, cost);
          if (refund !== 0) events.get(b.key)?.push({ at: clock.now(), amount: -refund });
        }
      }
      h.settled = true;
    } else if (o.kind === 'resettle') {
      const settled = held.filter((h) => h.settled);
      if (settled.length === 0) continue;
      const h = settled[o.pick % settled.length] as Held;
      expect(await store.settle(h.reservation)).toBe('duplicate');
      expectedDuplicates++;
    }
  }
  return { store, clock, events, held, expectedDuplicates, maxSlotsHeld };
}

describe('MemoryStore invariants (property-based)', () => {
  it('never hands out more than a bucket holds, in any interval', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 160 }), async (ops) => {
        const { events, maxSlotsHeld } = await replay(ops);
        for (const spec of BUCKETS) {
          const list = events.get(spec.key) ?? [];
          if (spec.kind === 'gcra') {
            for (let i = 0; i < list.length; i++) {
              let sum = 0;
              for (let j = i; j < list.length; j++) {
                sum += (list[j] as Event).amount;
                const span = (list[j] as Event).at - (list[i] as Event).at;
                expect(sum).toBeLessThanOrEqual(spec.capacity + spec.ratePerMs * span + 1e-6);
              }
            }
          } else if (spec.kind === 'fixed') {
            const perDay = new Map<number, number>();
            for (const e of list)
              perDay.set(utcDayStart(e.at), (perDay.get(utcDayStart(e.at)) ?? 0) + e.amount);
            for (const total of perDay.values()) expect(total).toBeLessThanOrEqual(spec.capacity + 1e-9);
          }
        }
        const slots = BUCKETS.find((b) => b.kind === 'concurrency') as BucketSpec;
        expect(maxSlotsHeld).toBeLessThanOrEqual(slots.capacity);
      }),
      { numRuns: 300 },
    );
  });

  it('settles every reservation exactly once, by settle or by lease expiry', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 160 }), async (ops) => {
        const { store, clock, held, expectedDuplicates } = await replay(ops);
        const snapshotBefore = await store.peek(BUCKETS);
        // Duplicate settles of everything already settled change nothing.
        for (const h of held.filter((x) => x.settled))
          await store.settle(h.reservation, { inputTokens: 0, outputTokens: 0 });
        expect(await store.peek(BUCKETS)).toEqual(snapshotBefore);
        clock.advance(LEASE_MS);
        const stats = await store.stats();
        expect(stats.reservations).toBe(held.length);
        expect(stats.active).toBe(0);
        expect(stats.settled + stats.expiredLeases).toBe(held.length);
        expect(stats.duplicateSettles).toBe(expectedDuplicates + held.filter((x) => x.settled).length);
      }),
      { numRuns: 300 },
    );
  });
});
