/**
 * RedisStore beyond the shared contract: Lua arithmetic identical to the
 * MemoryStore under random operation sequences, script reload after the
 * server lost its cache, hash-tag groups, and atomicity under concurrent
 * callers. What Redis counts in real time (key TTLs, TIME) is in
 * redis-time.slow.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Reservation, SettleOutcome } from '../../src/core/decision.js';
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { CrossSlotReservationError } from '../../src/stores/redis/errors.js';
import type { RedisStore } from '../../src/stores/redis/redis-store.js';
import type { FirstFit, ReserveChoice, Store } from '../../src/stores/store.js';
import { adminClient } from './redis/redis-server.js';
import { useRedisStores } from './redis/redis-stores.js';

const redis = useRedisStores('behaviour');
const open = redis.open;

describe('RedisStore mirrors MemoryStore', () => {
  const specs: BucketSpec[] = [
    defineBucket('rpm', { dimension: 'requests', limit: 20, per: 'minute', margin: 0.1 }),
    defineBucket('tpm', { dimension: 'tokens', limit: 5_000, per: 'minute', margin: 0.1 }),
    defineBucket('itps', { dimension: 'input_tokens', limit: 300, per: 'second', margin: 0 }),
    defineBucket('rpd', { dimension: 'requests', limit: 30, per: 'day', dayMode: 'calendar', margin: 0 }),
    defineBucket('slots', { dimension: 'concurrency', limit: 3, margin: 0 }),
    // Window rules: a paced fixed minute, Azure's 1 s slices, a Pacific day.
    defineBucket('tpm-fixed', {
      dimension: 'tokens',
      limit: 6_000,
      per: 'minute',
      window: 'fixed',
      margin: 0.1,
    }),
    defineBucket('rpm-sliced', {
      dimension: 'requests',
      limit: 120,
      per: 'minute',
      window: 'sliced',
      sliceMs: 1_000,
    }),
    defineBucket('rpd-pacific', {
      dimension: 'requests',
      limit: 25,
      per: 'day',
      window: 'fixed',
      timeZone: 'America/Los_Angeles',
      margin: 0,
    }),
  ];
  type Op =
    | { op: 'reserve'; buckets: number[]; input: number; output: number; leaseMs: number }
    | { op: 'settle'; which: number; input: number; output: number; withUsage: boolean }
    | { op: 'renew'; which: number; leaseMs: number }
    | { op: 'advance'; ms: number }
    | { op: 'pause'; bucket: number; forMs: number }
    | { op: 'sync'; bucket: number; remaining: number | undefined; resetInMs: number | undefined };
  const indexes = fc.uniqueArray(fc.integer({ min: 0, max: specs.length - 1 }), {
    minLength: 1,
    maxLength: 4,
  });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('reserve' as const),
        buckets: indexes,
        input: fc.integer({ min: 0, max: 2_000 }),
        output: fc.integer({ min: 0, max: 2_000 }),
        leaseMs: fc.integer({ min: 1_000, max: 20_000 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('settle' as const),
        which: fc.nat(),
        input: fc.integer({ min: 0, max: 3_000 }),
        output: fc.integer({ min: 0, max: 3_000 }),
        withUsage: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('renew' as const),
        which: fc.nat(),
        leaseMs: fc.integer({ min: 1, max: 20_000 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('pause' as const),
        bucket: fc.integer({ min: 0, max: specs.length - 1 }),
        forMs: fc.integer({ min: -1_000, max: 10_000 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('sync' as const),
        bucket: fc.integer({ min: 0, max: specs.length - 1 }),
        remaining: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
        resetInMs: fc.option(fc.integer({ min: -1_000, max: 120_000 }), { nil: undefined }),
      }),
    },
  );

  it('gives the same decisions, settle outcomes and snapshots for any sequence of operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 86_399_999 }),
        async (ops, startInDay) => {
          const clock = new ManualClock(Date.UTC(2026, 10, 24) + startInDay);
          const memory = new MemoryStore({ clock, leaseMs: 10_000 });
          const redis = await open({ clock, leaseMs: 10_000 });
          const held: [Reservation, Reservation][] = [];
          const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));
          for (const step of ops) {
            if (step.op === 'reserve') {
              const buckets = step.buckets.map((i) => specs[i] as BucketSpec);
              const cost = costOf(step.input, step.output);
              const m = await memory.reserve(buckets, cost, { leaseMs: step.leaseMs });
              const r = await redis.reserve(buckets, cost, { leaseMs: step.leaseMs });
              expect(r.granted).toBe(m.granted);
              expect(r.reason).toBe(m.reason);
              expect(r.limitedBy?.key).toBe(m.limitedBy?.key);
              expect(close(r.retryAfterMs, m.retryAfterMs) || r.retryAfterMs === m.retryAfterMs).toBe(true);
              r.remaining.forEach((v, i) => {
                expect(close(v, m.remaining[i] as number)).toBe(true);
              });
              if (m.reservation && r.reservation) held.push([m.reservation, r.reservation]);
            } else if (step.op === 'settle' && held.length > 0) {
              const [m, r] = held[step.which % held.length] as [Reservation, Reservation];
              const usage = step.withUsage
                ? { inputTokens: step.input, outputTokens: step.output }
                : undefined;
              expect(await redis.settle(r, usage)).toBe(await memory.settle(m, usage));
            } else if (step.op === 'renew' && held.length > 0) {
              const [m, r] = held[step.which % held.length] as [Reservation, Reservation];
              expect(await redis.renew(r, step.leaseMs)).toBe(await memory.renew(m, step.leaseMs));
            } else if (step.op === 'advance') {
              clock.advance(step.ms);
            } else if (step.op === 'pause') {
              const spec = specs[step.bucket] as BucketSpec;
              await memory.pause(spec, clock.now() + step.forMs);
              await redis.pause(spec, clock.now() + step.forMs);
            } else if (step.op === 'sync') {
              const spec = specs[step.bucket] as BucketSpec;
              const observation = {
                remaining: step.remaining,
                resetAt: step.resetInMs === undefined ? undefined : clock.now() + step.resetInMs,
              };
              await memory.sync(spec, observation);
              await redis.sync(spec, observation);
            }
          }
          const [ms, rs] = [await memory.peek(specs), await redis.peek(specs)];
          rs.forEach((snap, i) => {
            const m = ms[i];
            expect(close(snap.remaining, m?.remaining ?? -1)).toBe(true);
            expect(close(snap.used, m?.used ?? -1)).toBe(true);
            expect(close(snap.resetMs, m?.resetMs ?? -1)).toBe(true);
            expect(snap.pausedUntil).toBe(m?.pausedUntil);
          });
          const [mStats, rStats] = [await memory.stats(), await redis.stats()];
          expect({ ...rStats, buckets: 0 }).toEqual({ ...mStats, buckets: 0 });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('RedisStore batches', () => {
  it('decides a burst of reserve and reserveFirst calls issued in one tick exactly as one after another', async () => {
    const alternative = fc.record({
      buckets: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      input: fc.integer({ min: 0, max: 3_000 }),
      output: fc.integer({ min: 0, max: 3_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            // One alternative and not `first`: a plain reserve.
            alternatives: fc.array(alternative, { minLength: 1, maxLength: 3 }),
            first: fc.boolean(),
            settle: fc.option(fc.integer({ min: 0, max: 4_000 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 60, size: 'medium' },
        ),
        async (burst) => {
          // Two deployments of different sizes and a tenant's day, small enough that choices get refused.
          const specs = [
            defineBucket('burst:a:rpm', { dimension: 'requests', limit: 6, per: 'minute' }),
            defineBucket('burst:a:tpm', { dimension: 'tokens', limit: 9_000, per: 'minute' }),
            defineBucket('burst:a:slots', { dimension: 'concurrency', limit: 3, margin: 0 }),
            defineBucket('burst:b:rpm', { dimension: 'requests', limit: 12, per: 'minute' }),
            defineBucket('burst:b:tpm', { dimension: 'tokens', limit: 20_000, per: 'minute' }),
            defineBucket('burst:b:slots', { dimension: 'concurrency', limit: 5, margin: 0 }),
            defineBucket('burst:tenant:tpd', {
              dimension: 'tokens',
              limit: 60_000,
              per: 'day',
              dayMode: 'calendar',
            }),
          ];
          const clock = new ManualClock();
          const memory = new MemoryStore({ clock });
          const redis = await open({ clock });
          const calls = burst.map((c) =>
            c.alternatives.map((a) => ({
              buckets: a.buckets.map((i) => specs[i] as BucketSpec),
              cost: costOf(a.input, a.output),
            })),
          );
          const call = (store: Store, i: number): Promise<FirstFit> => {
            const choices = calls[i] as ReserveChoice[];
            if (burst[i]?.first) return store.reserveFirst(choices);
            const { buckets, cost } = choices[0] as ReserveChoice;
            return store.reserve(buckets, cost).then((d) => ({ choice: d.granted ? 0 : -1, decisions: [d] }));
          };
          const expected: FirstFit[] = [];
          for (let i = 0; i < calls.length; i++) expected.push(await call(memory, i));
          const actual = await Promise.all(calls.map((_, i) => call(redis, i)));
          actual.forEach((fit, i) => {
            const m = expected[i] as FirstFit;
            expect(fit.choice).toBe(m.choice);
            expect(fit.decisions).toHaveLength(m.decisions.length);
            fit.decisions.forEach((d, c) => {
              const md = m.decisions[c];
              expect(d.granted).toBe(md?.granted);
              expect(d.reason).toBe(md?.reason);
              expect(d.limitedBy?.key).toBe(md?.limitedBy?.key);
              // The client replays the script's grants with the core arithmetic: the very same doubles.
              expect(d.remaining).toEqual(md?.remaining);
            });
          });
          // Settle every grant in one burst too (with and without usage), then compare the buckets.
          const settles = burst.flatMap((c, i) => {
            const [m, r] = [expected[i], actual[i]];
            const [mr, rr] = [m?.decisions[m.choice]?.reservation, r?.decisions[r.choice]?.reservation];
            if (!mr || !rr) return [];
            const usage = c.settle === undefined ? undefined : { inputTokens: c.settle, outputTokens: 7 };
            return [{ m: mr, r: rr, usage }];
          });
          const memoryOutcomes: SettleOutcome[] = [];
          for (const s of settles) memoryOutcomes.push(await memory.settle(s.m, s.usage));
          expect(await Promise.all(settles.map((s) => redis.settle(s.r, s.usage)))).toEqual(memoryOutcomes);
          const [ms, rs] = [await memory.peek(specs), await redis.peek(specs)];
          rs.forEach((snap, i) => {
            expect(snap.used).toBeCloseTo(ms[i]?.used ?? -1, 6);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('tries every choice of a reserveFirst in one script call, and choices of several hash-tag groups in turn', async () => {
    const clock = new ManualClock();
    const store = await open({ clock, hashTag: (key) => key.split(':')[0] as string });
    const calls = vi.spyOn(store.client, 'evalsha');
    const a = defineBucket('first-a:rpm', { dimension: 'requests', limit: 1, per: 'minute', margin: 0 });
    const a2 = defineBucket('first-a:rpm2', { dimension: 'requests', limit: 1, per: 'minute', margin: 0 });
    const a3 = defineBucket('first-a:tpm', { dimension: 'tokens', limit: 1_000, per: 'minute', margin: 0 });
    const b = defineBucket('first-b:tpm', { dimension: 'tokens', limit: 1_000, per: 'minute', margin: 0 });
    expect((await store.reserve([a], costOf(0, 0))).granted).toBe(true);
    expect((await store.reserve([a2], costOf(0, 0))).granted).toBe(true);
    calls.mockClear();
    const sameGroup = await store.reserveFirst([
      { buckets: [a], cost: costOf(0, 0) },
      { buckets: [a2], cost: costOf(0, 0) },
      { buckets: [a3], cost: costOf(100, 0) },
    ]);
    expect(sameGroup.choice).toBe(2);
    expect(calls).toHaveBeenCalledTimes(1);
    calls.mockClear();
    const acrossGroups = await store.reserveFirst([
      { buckets: [a], cost: costOf(0, 0) },
      { buckets: [b], cost: costOf(100, 0) },
    ]);
    expect(acrossGroups.choice).toBe(1);
    expect(acrossGroups.decisions[0]?.limitedBy?.key).toBe(a.key);
    expect(acrossGroups.decisions[1]?.remaining[0]).toBeCloseTo(900, 6);
    expect(calls).toHaveBeenCalledTimes(2);
    // One choice may not mix groups, as in reserve.
    await expect(store.reserveFirst([{ buckets: [a3, b], cost: costOf(1, 1) }])).rejects.toBeInstanceOf(
      CrossSlotReservationError,
    );
  });
});

describe('RedisStore on Redis', () => {
  const rps = () =>
    defineBucket(`rps:${Math.random()}`, { dimension: 'requests', limit: 10, per: 'second', margin: 0 });

  it('sends a script again in full when the server lost its script cache', async () => {
    const store = await open();
    const admin = adminClient(redis.url());
    const bucket = rps();
    expect((await store.reserve([bucket], costOf(0, 0))).granted).toBe(true);
    await admin.script('FLUSH');
    admin.disconnect();
    const before = store.scriptReloads;
    expect((await store.reserve([bucket], costOf(0, 0))).granted).toBe(true);
    expect(store.scriptReloads).toBe(before + 1);
    expect((await store.reserve([bucket], costOf(0, 0))).granted).toBe(true);
    expect(store.scriptReloads).toBe(before + 1);
  });

  it('shares buckets between instances on one prefix', async () => {
    // A manual clock: on the system clock the 11th call could meet a refill (one per 100 ms).
    const clock = new ManualClock();
    const a = await open({ clock });
    const b = await open({ clock, prefix: a.keys.prefix });
    const bucket = rps();
    for (let i = 0; i < 5; i++) expect((await a.reserve([bucket], costOf(0, 0))).granted).toBe(true);
    for (let i = 0; i < 5; i++) expect((await b.reserve([bucket], costOf(0, 0))).granted).toBe(true);
    expect((await a.reserve([bucket], costOf(0, 0))).granted).toBe(false);
    expect((await b.stats()).reservations).toBe(10);
  });

  it('grants exactly the capacity to many concurrent callers on several instances', async () => {
    const clock = new ManualClock();
    const first = await open({ clock });
    const stores = [
      first,
      await open({ clock, prefix: first.keys.prefix }),
      await open({ clock, prefix: first.keys.prefix }),
    ];
    const rpm = defineBucket('race:rpm', { dimension: 'requests', limit: 100, per: 'minute', margin: 0.1 });
    const tpm = defineBucket('race:tpm', { dimension: 'tokens', limit: 1_000_000, per: 'minute', margin: 0 });
    const slots = defineBucket('race:slots', { dimension: 'concurrency', limit: 200, margin: 0 });
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        (stores[i % 3] as RedisStore).reserve([rpm, tpm, slots], costOf(10, 10)),
      ),
    );
    expect(decisions.filter((d) => d.granted)).toHaveLength(90);
    expect((await first.peek([slots]))[0]?.used).toBe(90);
  });

  it('gives back the slots of an instance that died holding them, when their leases run out', async () => {
    const clock = new ManualClock();
    const dying = await open({ clock, leaseMs: 10_000 });
    const survivor = await open({ clock, leaseMs: 10_000, prefix: dying.keys.prefix });
    const slots = defineBucket('dead:slots', { dimension: 'concurrency', limit: 2, margin: 0 });
    await dying.reserve([slots], costOf(0, 0));
    await dying.reserve([slots], costOf(0, 0));
    dying.client.disconnect(); // crashed: never settles
    expect((await survivor.reserve([slots], costOf(0, 0))).reason).toBe('concurrency');
    clock.advance(10_001);
    expect((await survivor.reserve([slots], costOf(0, 0))).granted).toBe(true);
    expect((await survivor.stats()).expiredLeases).toBe(2);
  });

  it('keeps every hash-tag group in its own slot and refuses to mix groups in one reservation', async () => {
    const clock = new ManualClock();
    const store = await open({ clock, hashTag: (key) => key.split(':')[0] as string });
    const a = defineBucket('acct-a:rpm', { dimension: 'requests', limit: 10, per: 'minute' });
    const a2 = defineBucket('acct-a:tpm', { dimension: 'tokens', limit: 1_000, per: 'minute' });
    const b = defineBucket('acct-b:rpm', { dimension: 'requests', limit: 10, per: 'minute' });
    expect((await store.reserve([a, a2], costOf(1, 1))).granted).toBe(true);
    expect((await store.reserve([b], costOf(1, 1))).granted).toBe(true);
    await expect(store.reserve([a, b], costOf(1, 1))).rejects.toBeInstanceOf(CrossSlotReservationError);
    await expect(store.reserve([a, b], costOf(1, 1))).rejects.toMatchObject({
      code: 'cross_slot_reservation',
    });
    const snaps = await store.peek([b, a, a2]);
    expect(snaps.map((s) => s.key)).toEqual([b.key, a.key, a2.key]);
    expect(snaps[0]?.used).toBeCloseTo(1, 6);
    // Another instance finds both groups for its stats.
    const other = await open({
      clock,
      prefix: store.keys.prefix,
      hashTag: (key) => key.split(':')[0] as string,
    });
    expect((await other.stats()).reservations).toBe(2);
    expect((await other.stats()).buckets).toBe(3);
  });
});
