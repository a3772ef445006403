/**
 * What an upstream 429 does to a deployment's buckets (runtime/feedback.ts):
 * the provider's Retry-After is honoured, but only up to the reset the same
 * response states for that bucket, and never beyond one window of it (issue
 * 12: one bogus header must not close a deployment for hours). Real adapter,
 * real headers and bodies, a MemoryStore on a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { BucketSpec } from '../../src/core/limit.js';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment } from '../../src/runtime/deployment.js';
import type { Emit } from '../../src/runtime/events.js';
import { applyObservations, applyRateLimited } from '../../src/runtime/feedback.js';
import type { LimitsConfig } from '../../src/runtime/limits.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { CountingStore } from './kit.js';

const TPM_429 = {
  error: {
    message:
      'Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 20000, Used 19990, Requested 500.',
    type: 'tokens',
    code: 'rate_limit_exceeded',
  },
};
const UNSCOPED_429 = { error: { message: 'Too many requests.', type: 'rate_limit_error', code: null } };

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const deployment = new Deployment(
    {
      id: 'd',
      provider: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      limits: { tpm: 20_000 },
    },
    { adapter: createAdapter('openai'), margin: 0.1 },
  );
  /** Feeds one upstream 429 through feedback as the governor does; returns how long the bucket pauses. */
  async function rateLimited(headers: Record<string, string>, body: unknown, bucket: () => BucketSpec) {
    const lookup = { get: (name: string) => headers[name.toLowerCase()] };
    const now = clock.now();
    const emit = () => undefined;
    applyObservations(store, deployment, deployment.adapter.observe(lookup, now), now, emit);
    const error = deployment.adapter.classifyError(429, lookup, body, now);
    expect(error.kind).toBe('rate_limited');
    applyRateLimited(store, deployment, error, now, emit);
    const [snap] = await store.peek([bucket()]);
    return (snap?.pausedUntil ?? 0) - now;
  }
  const tpm = () => deployment.bucketFor('tokens', 'minute') as BucketSpec;
  return { deployment, rateLimited, tpm, close: () => store.close() };
}

describe('pause after an upstream 429', () => {
  it("honours the provider's Retry-After when it is within its own reset", async () => {
    const { rateLimited, tpm, close } = setup();
    const paused = await rateLimited(
      {
        'retry-after': '2',
        'x-ratelimit-limit-tokens': '20000',
        'x-ratelimit-remaining-tokens': '10',
        'x-ratelimit-reset-tokens': '59.97s',
      },
      TPM_429,
      tpm,
    );
    expect(paused).toBe(2_000);
    await close();
  });

  it('pauses no longer than the reset the same response states for that bucket', async () => {
    const { rateLimited, tpm, close } = setup();
    const paused = await rateLimited(
      {
        'retry-after': '7200',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '20s',
      },
      TPM_429,
      tpm,
    );
    expect(paused).toBe(20_000);
    await close();
  });

  it('pauses no longer than one window of the bucket when no reset was stated', async () => {
    const { rateLimited, tpm, close } = setup();
    expect(await rateLimited({ 'retry-after': '7200' }, TPM_429, tpm)).toBe(60_000);
    await close();
  });

  it('closes the gate of a 429 that names no limit for at most a minute', async () => {
    const { deployment, rateLimited, close } = setup();
    const gate = () => deployment.gate;
    expect(await rateLimited({ 'retry-after': '30' }, UNSCOPED_429, gate)).toBe(30_000);
    expect(await rateLimited({ 'retry-after': '7200' }, UNSCOPED_429, gate)).toBe(60_000);
    await close();
  });
});

describe('header sync after every response', () => {
  const SUCCESS_HEADERS = {
    'x-ratelimit-limit-requests': '5000',
    'x-ratelimit-limit-tokens': '800000',
    'x-ratelimit-remaining-requests': '4999',
    'x-ratelimit-remaining-tokens': '799680',
    'x-ratelimit-reset-requests': '12ms',
    'x-ratelimit-reset-tokens': '24ms',
  };

  function syncSetup(limits?: LimitsConfig, learnLimits?: boolean) {
    const clock = new ManualClock();
    const store = new CountingStore(new MemoryStore({ clock, sweepIntervalMs: 0 }));
    const deployment = new Deployment(
      { id: 'd', provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm', limits, learnLimits },
      { adapter: createAdapter('openai'), margin: 0.1 },
    );
    const events: string[] = [];
    const emit = ((name: string) => events.push(name)) as Emit;
    const respond = (headers: Record<string, string>) => {
      const now = clock.now();
      const lookup = { get: (name: string) => headers[name.toLowerCase()] };
      applyObservations(store, deployment, deployment.adapter.observe(lookup, now), now, emit);
    };
    return { clock, store, deployment, events, respond };
  }

  it("syncs each declared bucket with the provider's remaining, reset and limit", () => {
    const { clock, store, deployment, events, respond } = syncSetup({ rpm: 5000, tpm: 800_000 });
    respond(SUCCESS_HEADERS);
    const now = clock.now();
    const byKey = Object.fromEntries(store.syncs.map((s) => [s.bucket.key, s]));
    expect(Object.keys(byKey)).toHaveLength(2);
    const rpm = deployment.bucketFor('requests', 'minute') as BucketSpec;
    const tpm = deployment.bucketFor('tokens', 'minute') as BucketSpec;
    expect(byKey[rpm.key]).toEqual({
      bucket: rpm,
      observation: { remaining: 4999, resetAt: now + 12, limit: 5000 },
    });
    expect(byKey[tpm.key]).toEqual({
      bucket: tpm,
      observation: { remaining: 799_680, resetAt: now + 24, limit: 800_000 },
    });
    expect(events).toEqual(['observed']);
  });

  it('learns the limits the config did not declare and syncs them; not when learning is off', () => {
    const learning = syncSetup();
    learning.respond(SUCCESS_HEADERS);
    expect(
      learning.store.syncs.map((s) => [s.bucket.dimension, s.bucket.per, s.bucket.limit]).sort(),
    ).toEqual([
      ['requests', 'minute', 5000],
      ['tokens', 'minute', 800_000],
    ]);
    const fixed = syncSetup(undefined, false);
    fixed.respond(SUCCESS_HEADERS);
    expect(fixed.store.syncs).toEqual([]);
    expect(fixed.deployment.buckets()).toEqual([fixed.deployment.gate]);
  });

  it('lowers a declared limit the provider reports lower, and never syncs the project-scoped limit', () => {
    const { store, deployment, respond } = syncSetup({ tpm: 1_000_000 });
    respond({
      'x-ratelimit-limit-tokens': '800000',
      'x-ratelimit-remaining-tokens': '700000',
      'x-ratelimit-reset-tokens': '1s',
      'x-ratelimit-limit-project-tokens': '50000',
      'x-ratelimit-remaining-project-tokens': '100',
      'x-ratelimit-reset-project-tokens': '1s',
    });
    expect(deployment.bucketFor('tokens', 'minute')?.limit).toBe(800_000);
    expect(store.syncs.map((s) => s.observation.limit)).toEqual([800_000]);
  });

  it('does nothing for a response without rate-limit headers', () => {
    const { store, events, respond } = syncSetup({ rpm: 10 });
    respond({ 'content-type': 'application/json' });
    expect(store.syncs).toEqual([]);
    expect(events).toEqual([]);
  });
});

describe('pause after a 429 that gives no hint', () => {
  it('closes the gate for one second and lowers the admitted rate', async () => {
    const clock = new ManualClock();
    const store = new CountingStore(new MemoryStore({ clock, sweepIntervalMs: 0 }));
    const deployment = new Deployment(
      { id: 'd', provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm', limits: { rpm: 100 } },
      { adapter: createAdapter('openai'), margin: 0 },
    );
    const paused: unknown[] = [];
    const emit = ((name: string, e: unknown) => name === 'paused' && paused.push(e)) as Emit;
    const error = deployment.adapter.classifyError(429, { get: () => undefined }, UNSCOPED_429, clock.now());
    applyRateLimited(store, deployment, error, clock.now(), emit);
    expect(store.pauses).toEqual([{ bucket: deployment.gate, untilMs: clock.now() + 1_000 }]);
    expect(paused).toEqual([{ deployment: 'd', bucket: deployment.gate.key, untilMs: clock.now() + 1_000 }]);
    expect(deployment.rate.factor).toBeLessThan(1);
    expect(deployment.bucketFor('requests', 'minute')?.limit).toBeLessThan(100);
    await store.close();
  });
});
