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
import { applyObservations, applyRateLimited } from '../../src/runtime/feedback.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

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
