import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Cost, costOf } from '../../src/core/cost.js';
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';
import { Admission, type AdmissionRequest, type AdmissionResult } from '../../src/runtime/admission.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

function setup(options: { agingMs?: number; maxQueued?: number } = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const admission = new Admission({ store, clock, ...options });
  return { clock, store, admission };
}

function request(buckets: BucketSpec[], cost: Cost, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { tenant: 't', priority: 2, buckets, cost, deadline: Number.POSITIVE_INFINITY, ...extra };
}

/** Collects results as they resolve, so tests can check order and timing. */
function track(promise: Promise<AdmissionResult>, log: string[], name: string, clock: ManualClock) {
  const state: { result?: AdmissionResult; at?: number } = {};
  void promise.then((result) => {
    state.result = result;
    state.at = clock.now();
    log.push(name);
  });
  return state;
}

const rpm = (limit: number, key = 'rpm') =>
  defineBucket(key, { dimension: 'requests', limit, per: 'minute', margin: 0 });

describe('Admission', () => {
  it('admits at once while there is room', async () => {
    const { admission } = setup();
    const result = await admission.admit(request([rpm(10)], costOf(0, 0)));
    expect(result.admitted).toBe(true);
    expect(result.waitedMs).toBe(0);
  });

  it('queues a request until the moment it fits', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    const queued = track(admission.admit(request([bucket], costOf(0, 0))), log, 'q', clock);
    await clock.advanceAsync(999);
    expect(queued.result).toBeUndefined();
    await clock.advanceAsync(1);
    expect(queued.result?.admitted).toBe(true);
    expect(queued.result?.waitedMs).toBeCloseTo(1_000, 3);
  });

  it('refuses at once, with the time it would fit, when that is after the deadline', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(6);
    for (let i = 0; i < 6; i++) await store.reserve([bucket], costOf(0, 0));
    const result = await admission.admit(request([bucket], costOf(0, 0), { deadline: clock.now() + 5_000 }));
    expect(result.admitted).toBe(false);
    if (result.admitted) return;
    expect(result.cause).toBe('deadline');
    expect(result.waitedMs).toBe(0);
    expect(result.retryAfterMs).toBeCloseTo(10_000, 3);
    expect(result.limitedBy?.key).toBe(bucket.key);
  });

  it('refuses a request larger than a whole limit at once, as never fitting', async () => {
    const { admission } = setup();
    const tpm = defineBucket('tpm', { dimension: 'tokens', limit: 1_000, per: 'minute' });
    const result = await admission.admit(request([tpm], costOf(900, 100)));
    expect(result).toMatchObject({
      admitted: false,
      cause: 'too_large',
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
  });

  it('lets critical work through first while low work waits', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    track(admission.admit(request([bucket], costOf(0, 0), { priority: 3 })), log, 'low-1', clock);
    track(admission.admit(request([bucket], costOf(0, 0), { priority: 3 })), log, 'low-2', clock);
    track(admission.admit(request([bucket], costOf(0, 0), { priority: 0 })), log, 'critical', clock);
    await clock.advanceAsync(3_000);
    expect(log).toEqual(['critical', 'low-1', 'low-2']);
  });

  it('does not let a tenant blocked by its own budget hold up other tenants', async () => {
    const { admission, clock, store } = setup();
    const shared = rpm(600, 'deployment');
    const tenantA = rpm(1, 'tenant-a');
    const tenantB = rpm(600, 'tenant-b');
    await store.reserve([tenantA], costOf(0, 0));
    const log: string[] = [];
    const a = track(
      admission.admit(request([shared, tenantA], costOf(0, 0), { tenant: 'a' })),
      log,
      'a',
      clock,
    );
    const b = track(
      admission.admit(request([shared, tenantB], costOf(0, 0), { tenant: 'b' })),
      log,
      'b',
      clock,
    );
    await clock.advanceAsync(0);
    expect(b.result?.admitted).toBe(true);
    expect(a.result).toBeUndefined();
    await clock.advanceAsync(60_000);
    expect(a.result?.admitted).toBe(true);
  });

  it('reserves ahead for a large request so a stream of small ones cannot starve it', async () => {
    const { admission, clock } = setup();
    const tpm = defineBucket('tpm', { dimension: 'tokens', limit: 10_000, per: 'minute', margin: 0 });
    const log: string[] = [];
    // Small requests from four tenants keep the bucket busy...
    const small: ReturnType<typeof track>[] = [];
    for (let i = 0; i < 400; i++) {
      small.push(
        track(admission.admit(request([tpm], costOf(100, 0), { tenant: `s${i % 4}` })), log, 's', clock),
      );
    }
    // ...and then one request needing 80 % of the bucket arrives.
    const big = track(
      admission.admit(request([tpm], costOf(8_000, 0), { tenant: 'big' })),
      log,
      'big',
      clock,
    );
    await clock.advanceAsync(120_000);
    expect(big.result?.admitted).toBe(true);
    // It went once its fair turn came and the bucket had refilled for it, long before the small ones were done.
    expect(big.at).toBeLessThan(clock.now() - 60_000);
    expect(log.indexOf('big')).toBeLessThan(300);
  });

  it('sheds the lowest class first when the queue is full, with a retry time', async () => {
    const { admission, clock, store } = setup({ maxQueued: 2 });
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    const low = track(admission.admit(request([bucket], costOf(0, 0), { priority: 3 })), log, 'low', clock);
    track(admission.admit(request([bucket], costOf(0, 0), { priority: 2 })), log, 'normal', clock);
    track(admission.admit(request([bucket], costOf(0, 0), { priority: 0 })), log, 'critical', clock);
    await clock.advanceAsync(0);
    expect(low.result).toMatchObject({ admitted: false, cause: 'shed' });
    expect(low.result && !low.result.admitted && low.result.retryAfterMs).toBeGreaterThan(0);
    const another = await admission.admit(request([bucket], costOf(0, 0), { priority: 3 }));
    expect(another).toMatchObject({ admitted: false, cause: 'queue_full' });
  });

  it('takes an aborted request out of the queue', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const controller = new AbortController();
    const log: string[] = [];
    const aborted = track(
      admission.admit(request([bucket], costOf(0, 0), { signal: controller.signal })),
      log,
      'x',
      clock,
    );
    const next = track(admission.admit(request([bucket], costOf(0, 0))), log, 'next', clock);
    controller.abort();
    await clock.advanceAsync(1_000);
    expect(aborted.result).toMatchObject({ admitted: false, cause: 'aborted' });
    expect(next.result?.admitted).toBe(true);
    expect(admission.queued()).toBe(0);
  });

  it('admits a request waiting for a concurrency slot as soon as a settle frees one', async () => {
    const { admission, clock } = setup();
    const slots = defineBucket('slots', { dimension: 'concurrency', limit: 1, margin: 0 });
    const first = await admission.admit(request([slots], costOf(0, 0)));
    const log: string[] = [];
    const second = track(admission.admit(request([slots], costOf(0, 0))), log, 'second', clock);
    await clock.advanceAsync(10);
    expect(second.result).toBeUndefined();
    if (!first.admitted) throw new Error('first should be admitted');
    await admission.settle(first, { inputTokens: 0, outputTokens: 0 });
    await clock.advanceAsync(0);
    expect(second.result?.admitted).toBe(true);
    expect(second.at).toBe(clock.now());
  });

  it('refuses a queued request whose wait grows past its deadline (e.g. a provider pause)', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    const start = clock.now();
    const waiting = track(
      admission.admit(request([bucket], costOf(0, 0), { deadline: start + 5_000 })),
      log,
      'w',
      clock,
    );
    await clock.advanceAsync(500);
    await store.pause(bucket, clock.now() + 30_000);
    await clock.advanceAsync(4_000);
    // Refused when the queue next looked (t+1 s), not when the deadline passed (t+5 s).
    expect(waiting.result).toMatchObject({ admitted: false, cause: 'deadline' });
    expect(waiting.at).toBe(start + 1_000);
  });

  it('forecasts the queue ahead at what it keeps once settled, not at its reserved output maximum', async () => {
    // Requests without max_tokens reserve 16 384 output tokens (OpenAI's rule) but keep ~100: five queued
    // ahead hold the bucket only while they run, so a 30 s deadline is reachable (≈ 20 s), not ≈ 101 s away.
    const tpm = defineBucket('tpm', { dimension: 'tokens', limit: 60_000, per: 'minute', margin: 0 });
    const reserved = costOf(500, 16_384);
    const kept = costOf(500, 100);
    for (const keeps of [kept, undefined]) {
      const { admission, clock, store } = setup();
      await store.reserve([tpm], costOf(60_000, 0));
      const log: string[] = [];
      for (let i = 0; i < 5; i++)
        track(admission.admit(request([tpm], reserved, { keeps })), log, 'ahead', clock);
      await clock.advanceAsync(0);
      const next = track(
        admission.admit(request([tpm], reserved, { keeps, deadline: clock.now() + 30_000 })),
        log,
        'next',
        clock,
      );
      await clock.advanceAsync(0);
      if (keeps) expect(next.result).toBeUndefined();
      else expect(next.result).toMatchObject({ admitted: false, cause: 'deadline', waitedMs: 0 });
    }
  });

  it('refuses at once when the work queued ahead cannot drain before the deadline', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(10, 0));
    const log: string[] = [];
    for (let i = 0; i < 10; i++)
      track(admission.admit(request([bucket], costOf(10, 0), { tenant: 'busy' })), log, 'busy', clock);
    await clock.advanceAsync(0);
    // The same tenant would wait behind its own ten: about 11 s, past a 5 s deadline.
    const late = await admission.admit(
      request([bucket], costOf(10, 0), { tenant: 'busy', deadline: clock.now() + 5_000 }),
    );
    expect(late).toMatchObject({ admitted: false, cause: 'deadline', waitedMs: 0 });
    expect(late.admitted === false && late.retryAfterMs).toBeGreaterThan(10_000);
    // Another tenant shares the class fairly: it goes after one of them, within its deadline.
    const other = track(
      admission.admit(request([bucket], costOf(10, 0), { tenant: 'other', deadline: clock.now() + 5_000 })),
      log,
      'other',
      clock,
    );
    // Critical work is not behind the normal queue at all.
    const urgent = track(
      admission.admit(request([bucket], costOf(10, 0), { priority: 0, deadline: clock.now() + 1_500 })),
      log,
      'urgent',
      clock,
    );
    await clock.advanceAsync(5_000);
    expect(urgent.result?.admitted).toBe(true);
    expect(other.result?.admitted).toBe(true);
    expect(log.slice(0, 3)).toEqual(['urgent', 'busy', 'other']);
  });

  it('names the bucket that binds when it refuses behind a queue (the tenant’s own budget is a 429, not upstream capacity)', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    for (let i = 0; i < 3; i++) track(admission.admit(request([bucket], costOf(0, 0))), log, 'q', clock);
    await clock.advanceAsync(0);
    const late = await admission.admit(request([bucket], costOf(0, 0), { deadline: clock.now() + 1_500 }));
    expect(late).toMatchObject({ admitted: false, cause: 'deadline', waitedMs: 0 });
    expect(late.admitted === false && late.limitedBy?.key).toBe(bucket.key);
  });

  it('names the bucket a queued request waited on when its deadline comes', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const log: string[] = [];
    const waiting = track(
      admission.admit(request([bucket], costOf(0, 0), { deadline: clock.now() + 1_000 })),
      log,
      'w',
      clock,
    );
    await clock.advanceAsync(1_000);
    expect(waiting.result).toMatchObject({ admitted: false, cause: 'deadline' });
    expect(waiting.result?.admitted === false && waiting.result.limitedBy?.key).toBe(bucket.key);
  });

  it('refuses everything queued on close', async () => {
    const { admission, clock, store } = setup();
    const bucket = rpm(60);
    for (let i = 0; i < 60; i++) await store.reserve([bucket], costOf(0, 0));
    const pending = admission.admit(request([bucket], costOf(0, 0)));
    await clock.advanceAsync(0);
    admission.close();
    expect(await pending).toMatchObject({ admitted: false, cause: 'closed' });
    expect(await admission.admit(request([bucket], costOf(0, 0)))).toMatchObject({
      admitted: false,
      cause: 'closed',
    });
  });
});
