/**
 * FallbackStore: the policy when the shared store is unavailable. The
 * contract suite proves the wrapper is transparent over a real Redis; the
 * policy cases use a switchable shared store and a manual clock, so every
 * transition is deterministic.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { defineBucket } from '../../src/core/limit.js';
import { CrossSlotReservationError, StoreUnavailableError } from '../../src/stores/redis/errors.js';
import { type FallbackStatus, FallbackStore } from '../../src/stores/redis/fallback-store.js';
import { createRedisStore } from '../../src/stores/redis/redis-store.js';
import { FlakyStore, RecordingLogger } from './redis/flaky-store.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from './redis/redis-server.js';
import { describeStoreContract } from './store-contract.js';

const redisServer = redisForFile();

describeStoreContract('FallbackStore over RedisStore', async (clock, { leaseMs }) => {
  const prefix = testPrefix('fallback');
  const shared = await createRedisStore({ url: redisServer().url, prefix, clock, leaseMs });
  const store = new FallbackStore({
    shared,
    onUnavailable: 'fail_open',
    expectedInstances: 3,
    clock,
    leaseMs,
  });
  return {
    store,
    cleanup: async () => {
      expect(store.status().transitions).toBe(0);
      await store.close();
      const admin = adminClient(redisServer().url);
      await deleteKeys(admin, prefix);
      admin.disconnect();
    },
  };
});

function granted(reservation: Reservation | undefined): Reservation {
  if (!reservation) throw new Error('expected a grant');
  return reservation;
}

describe('FallbackStore policy', () => {
  let clock: ManualClock;
  let shared: FlakyStore;
  let logger: RecordingLogger;
  let changes: FallbackStatus[];
  const rpm = defineBucket('fb:rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
  const tpm = defineBucket('fb:tpm', { dimension: 'tokens', limit: 9_000, per: 'minute', margin: 0 });
  const slots = defineBucket('fb:slots', { dimension: 'concurrency', limit: 6, margin: 0 });

  const make = (onUnavailable: 'fail_open' | 'fail_closed') =>
    new FallbackStore({
      shared,
      onUnavailable,
      expectedInstances: 3,
      clock,
      probeIntervalMs: 500,
      logger,
      onStatusChange: (status) => changes.push(status),
    });

  beforeEach(() => {
    clock = new ManualClock();
    shared = new FlakyStore(clock);
    logger = new RecordingLogger();
    changes = [];
  });

  it('fail-open decides on this instance’s share of every limit, and says so once', async () => {
    const store = make('fail_open');
    expect(store.status()).toMatchObject({ available: true, mode: 'shared' });
    shared.down = true;
    const decisions = [];
    for (let i = 0; i < 25; i++) decisions.push(await store.reserve([rpm, tpm], costOf(50, 50)));
    // 60 RPM ÷ 3 instances = 20 requests; 9,000 TPM ÷ 3 = 3,000 tokens = 30 requests.
    expect(decisions.filter((d) => d.granted)).toHaveLength(20);
    const refused = decisions[20];
    expect(refused?.limitedBy).toBe(rpm); // the caller's spec, not the local share
    expect(refused?.retryAfterMs).toBeCloseTo(3_000, 3); // 20 per minute
    expect(store.status()).toMatchObject({
      available: false,
      mode: 'local',
      localDecisions: 25,
      transitions: 1,
    });
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines[0]?.message).toMatch(/local shares/);
    expect(changes.map((c) => c.mode)).toEqual(['local']);
    // While down, the shared store is not hammered: only probes reach it.
    const callsWhileDown = shared.calls;
    await store.reserve([rpm], costOf(0, 0));
    expect(shared.calls).toBe(callsWhileDown);
  });

  it('concurrency slots are shared out too, keeping at least one per instance', async () => {
    const store = make('fail_open');
    shared.down = true;
    expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(true);
    expect((await store.reserve([slots], costOf(0, 0))).granted).toBe(true);
    expect((await store.reserve([slots], costOf(0, 0))).reason).toBe('concurrency');
  });

  it('fail-closed refuses with a typed error carrying Retry-After', async () => {
    const store = make('fail_closed');
    shared.down = true;
    const error = await store.reserve([rpm], costOf(0, 0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'store_unavailable', retryAfterMs: 500 });
    await expect(store.reserve([rpm], costOf(0, 0))).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(store.status()).toMatchObject({ available: false, mode: 'refusing', refusedUnavailable: 2 });
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines[0]?.message).toMatch(/refusing/);
  });

  it('switches back by itself when the shared store answers a probe again', async () => {
    const store = make('fail_closed');
    shared.down = true;
    await expect(store.reserve([rpm], costOf(0, 0))).rejects.toThrow();
    await clock.advanceAsync(500);
    expect(store.status().available).toBe(false); // still down: probed, failed, probing again
    shared.down = false;
    await clock.advanceAsync(500);
    expect(store.status()).toMatchObject({ available: true, mode: 'shared', transitions: 2 });
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
    expect(logger.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(changes.map((c) => c.mode)).toEqual(['refusing', 'shared']);
  });

  it('notices a dropped connection without traffic and probes at once when it is back', async () => {
    const store = make('fail_open');
    shared.setConnected(false);
    expect(store.status().mode).toBe('local');
    shared.setConnected(true);
    await clock.advanceAsync(0);
    expect(store.status().mode).toBe('shared');
  });

  it('settles every reservation in the store that granted it, replaying shared settles on recovery', async () => {
    const store = make('fail_open');
    const before = granted((await store.reserve([tpm, slots], costOf(1_000, 1_000))).reservation);
    shared.down = true;
    const during = granted((await store.reserve([tpm, slots], costOf(100, 100))).reservation);
    // A shared reservation settled while Redis is down waits for it.
    expect(await store.settle(before, { inputTokens: 1_000, outputTokens: 0 })).toBe('settled');
    expect(store.status().pendingSettles).toBe(1);
    shared.down = false;
    await clock.advanceAsync(500);
    expect(store.status()).toMatchObject({ available: true, pendingSettles: 0 });
    const [sharedTpm, sharedSlots] = await shared.inner.peek([tpm, slots]);
    // Raised to this instance's local view × 3 (the 200 tokens decided locally count for 600),
    // then the replayed settle refunded 1,000; 0.5 s refilled 75.
    expect(sharedTpm?.used).toBeCloseTo(2_000 + 600 - 1_000 - 75, 3);
    expect(sharedSlots?.used).toBe(0);
    // The local reservation is settled locally, after the switch back too.
    expect(await store.settle(during)).toBe('settled');
    expect(await store.settle(during)).toBe('duplicate');
    expect((await store.local.stats()).settled).toBe(1);
    expect((await shared.inner.stats()).settled).toBe(1);
  });

  it('starts the local shares from the last shared level, not from full buckets', async () => {
    const store = make('fail_open');
    for (let i = 0; i < 45; i++) granted((await store.reserve([rpm], costOf(0, 0))).reservation);
    shared.down = true;
    // 15 of 60 left in Redis: this instance's third is 5.
    const local = [];
    for (let i = 0; i < 6; i++) local.push(await store.reserve([rpm], costOf(0, 0)));
    expect(local.filter((d) => d.granted)).toHaveLength(5);
    // The share refills at a third of the rate: one more after 3 s.
    await clock.advanceAsync(3_000);
    expect((await store.reserve([rpm], costOf(0, 0))).granted).toBe(true);
  });

  it('raises a Redis that came back empty to the local view, so it does not hand out full buckets', async () => {
    const store = make('fail_open');
    for (let i = 0; i < 30; i++) await store.reserve([rpm], costOf(0, 0));
    shared.down = true;
    for (let i = 0; i < 4; i++) await store.reserve([rpm], costOf(0, 0));
    shared.loseState();
    shared.down = false;
    await clock.advanceAsync(500);
    expect(store.status().available).toBe(true);
    // Locally: 10 of the 20-request share were used at the switch, 4 more since: 14 × 3 = 42
    // (minus the 0.5 s of refill at 1 per second).
    const [snap] = await shared.inner.peek([rpm]);
    expect(snap?.used).toBeCloseTo(42 - 0.5, 6);
  });

  it('carries levels across both switches exactly, safety margin included', async () => {
    const store = make('fail_open');
    const margined = defineBucket('fb:rpm-margin', {
      dimension: 'requests',
      limit: 60,
      per: 'minute',
      margin: 0.1,
    });
    // 54 of 60 may be handed out; 39 taken leaves 15, of which this instance's third is 5.
    for (let i = 0; i < 39; i++) granted((await store.reserve([margined], costOf(0, 0))).reservation);
    shared.down = true;
    const local = [];
    for (let i = 0; i < 6; i++) local.push(await store.reserve([margined], costOf(0, 0)));
    expect(local.filter((d) => d.granted)).toHaveLength(5);
    shared.loseState();
    shared.down = false;
    await clock.advanceAsync(500);
    expect(store.status().available).toBe(true);
    // Nothing left locally: Redis offers nothing either, so it holds the whole capacity
    // (minus the 0.5 s of refill at 1 per second), not the margin on top.
    const [snap] = await shared.inner.peek([margined]);
    expect(snap?.used).toBeCloseTo(54 - 0.5, 6);
  });

  it('bounds the settles waiting for replay, dropping the oldest', async () => {
    const store = new FallbackStore({
      shared,
      onUnavailable: 'fail_open',
      clock,
      maxPendingSettles: 2,
      logger,
    });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(granted((await store.reserve([rpm], costOf(0, 0))).reservation));
    shared.down = true;
    for (const r of held) await store.settle(r);
    expect(store.status()).toMatchObject({ pendingSettles: 2, droppedSettles: 1 });
  });

  it('a cost that fits the shared limit but not the local share waits for Redis instead of never fitting', async () => {
    const store = make('fail_open');
    shared.down = true;
    const big = await store.reserve([tpm], costOf(4_000, 0));
    expect(big.reason).toBe('rate');
    expect(big.retryAfterMs).toBe(500);
    expect((await store.reserve([tpm], costOf(9_001, 0))).reason).toBe('too_large');
  });

  it('keeps the local shares informed by provider headers and pauses', async () => {
    const store = make('fail_open');
    await store.sync(tpm, { remaining: 3_000, limit: 9_000 });
    await store.pause(rpm, clock.now() + 2_000);
    shared.down = true;
    const [localTpm, localRpm] = await store.peek([tpm, rpm]);
    expect(localTpm?.used).toBeCloseTo(2_000, 6); // 6,000 used ÷ 3
    expect(localRpm?.pausedUntil).toBe(clock.now() + 2_000);
    expect((await store.reserve([rpm], costOf(0, 0))).reason).toBe('paused');
  });

  it('lets errors that are not unavailability through without switching', async () => {
    const failing = new FlakyStore(clock);
    failing.reserve = async () => {
      throw new CrossSlotReservationError('mixed groups');
    };
    const store = new FallbackStore({ shared: failing, onUnavailable: 'fail_open', clock, logger });
    await expect(store.reserve([rpm], costOf(0, 0))).rejects.toBeInstanceOf(CrossSlotReservationError);
    expect(store.status().available).toBe(true);
  });

  it('rejects a nonsensical instance count', () => {
    expect(() => new FallbackStore({ shared, onUnavailable: 'fail_open', expectedInstances: 0 })).toThrow(
      RangeError,
    );
  });
});
