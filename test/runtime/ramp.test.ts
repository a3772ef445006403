/**
 * Ramp 429s (runtime/ramp.ts, feedback.ts): OpenAI `slow_down`, or a 429
 * naming no limit while every bucket had plenty of room, lower the admitted
 * rate; they close only the gate for the provider's short wait, never a
 * bucket until its reset.
 */
import { describe, expect, it } from 'vitest';
import type { BucketSpec } from '../../src/core/limit.js';
import type { ProviderError } from '../../src/providers/adapter.js';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment } from '../../src/runtime/deployment.js';
import { asRampSignal } from '../../src/runtime/ramp.js';
import { OK } from './canned.js';
import { call, governorFor, openaiDeployment, type ScriptedReply } from './kit.js';

const SLOW_DOWN: ScriptedReply = {
  status: 429,
  headers: { 'content-type': 'application/json', 'retry-after': '1' },
  body: {
    error: {
      message: 'Please reduce your rate of requests.',
      type: 'rate_limit_error',
      param: null,
      code: 'slow_down',
    },
  },
};

describe('slow_down', () => {
  it('lowers deployment.rate.factor and the effective limits; only the gate pauses, for the wait asked', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a', { limits: { rpm: 1_000, tpm: 1_000_000 } })] },
      },
    });
    rig.transport.script('a', SLOW_DOWN, OK);
    const pending = rig.serve(call('openai'));
    await rig.flush();
    const a = rig.governor.groups.deployment('a') as Deployment;
    expect(a.rate.factor).toBeCloseTo(0.7);
    expect(a.bucketFor('requests', 'minute')?.limit).toBeCloseTo(1_000 * 0.7);
    expect(rig.store.pauses).toEqual([{ bucket: a.gate, untilMs: rig.clock.now() + 1_000 }]);
    await rig.clock.advanceAsync(1_000);
    expect((await pending).status).toBe(200);
    expect(rig.events.adaptive).toEqual([{ deployment: 'a', factor: expect.closeTo(0.7) }]);
  });
});

describe('asRampSignal', () => {
  const deployment = new Deployment(
    { id: 'd', provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm', limits: { rpm: 100 } },
    { adapter: createAdapter('openai'), margin: 0 },
  );
  const rpm = deployment.bucketFor('requests', 'minute') as BucketSpec;
  const plain: ProviderError = { kind: 'rate_limited', retryable: true, status: 429 };
  const signal = (error: ProviderError, left: number) =>
    asRampSignal({ error, deployment, sizeClass: 'standard', held: [rpm], remaining: [left], now: 1 });

  it('a 429 naming no limit while the buckets had plenty of room is a ramp', () => {
    expect(signal(plain, 90).slowDown).toBe(true);
  });

  it('not when a bucket was nearly used up, nor when the 429 names the limit it hit', () => {
    expect(signal(plain, 10).slowDown).toBeUndefined();
    expect(signal({ ...plain, dimension: 'requests', window: 'minute' }, 90).slowDown).toBeUndefined();
  });

  it('not when the provider’s headers on the same 429 show a bucket run dry', () => {
    deployment.lastObservations = [{ dimension: 'tokens', window: 'minute', limit: 1_000, remaining: 0 }];
    deployment.lastObservedAt = 1;
    expect(signal(plain, 90).slowDown).toBeUndefined();
    deployment.lastObservedAt = 0;
  });

  it('not for a deployment with no known limit (nothing says there was room)', () => {
    const bare = new Deployment(
      { id: 'e', provider: 'openai', baseUrl: 'https://api.openai.com/v1', model: 'm' },
      { adapter: createAdapter('openai'), margin: 0 },
    );
    const error = asRampSignal({
      error: plain,
      deployment: bare,
      sizeClass: 'standard',
      held: [],
      remaining: [],
      now: 1,
    });
    expect(error.slowDown).toBeUndefined();
  });
});
