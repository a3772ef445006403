/**
 * Limits follow the provider both ways (issue 15, runtime/limit-follow.ts):
 * real OpenAI and Anthropic headers through the adapters and
 * `applyObservations`, a deployment on a manual clock. A raise is adopted
 * once confirmed, up to the ceiling; a lowering at once; one odd header
 * changes nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { BucketSpec } from '../../src/core/limit.js';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment, type DeploymentConfig } from '../../src/runtime/deployment.js';
import type { Emit } from '../../src/runtime/events.js';
import { applyObservations } from '../../src/runtime/feedback.js';
import { followReport, RAISE_CONFIRMATIONS, type RaiseStreak } from '../../src/runtime/limit-follow.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

function rig(config: Partial<DeploymentConfig> = {}) {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const provider = config.provider ?? 'openai';
  const deployment = new Deployment(
    { id: 'd', provider, baseUrl: 'http://upstream.test/v1', model: 'm', limits: { rpm: 500 }, ...config },
    { adapter: createAdapter(provider), margin: 0.1, clock },
  );
  const changes: unknown[] = [];
  const emit = ((name: string, e: unknown) => name === 'limit' && changes.push(e)) as Emit;
  const respond = (headers: Record<string, string>) => {
    clock.advance(100);
    const lookup = { get: (name: string) => headers[name.toLowerCase()] };
    const now = clock.now();
    applyObservations(store, deployment, deployment.adapter.observe(lookup, now), now, emit);
  };
  return { clock, deployment, changes, respond, close: () => store.close() };
}

/** An OpenAI answer one request into a bucket of `limit` RPM (its window inferred from the reset). */
const openaiRpm = (limit: number) => ({
  'x-ratelimit-limit-requests': String(limit),
  'x-ratelimit-remaining-requests': String(limit - 1),
  'x-ratelimit-reset-requests': `${Math.round(60_000 / limit)}ms`,
});

describe('raised limits', () => {
  it('adopts an OpenAI tier upgrade (500 → 5000 RPM) after three answers say so, margin applied', async () => {
    const { deployment, changes, respond, close } = rig();
    const rpm = () => deployment.bucketFor('requests', 'minute') as BucketSpec;
    respond(openaiRpm(5_000));
    respond(openaiRpm(5_000));
    expect(rpm().limit).toBe(500);
    respond(openaiRpm(5_000));
    expect(rpm().limit).toBe(5_000);
    expect(rpm().capacity).toBeCloseTo(4_500, 6);
    expect(changes).toEqual([
      { deployment: 'd', bucket: 'deployment:d:requests:minute', name: 'rpm', from: 500, to: 5_000 },
    ]);
    // Lowered at once, as before.
    respond(openaiRpm(3_000));
    expect(rpm().limit).toBe(3_000);
    expect(changes).toHaveLength(2);
    await close();
  });

  it('stops at the ceiling, and never goes above declared when raises are not adopted', async () => {
    const capped = rig({ limitsCeiling: { rpm: 2_000 } });
    for (let i = 0; i < 3; i++) capped.respond(openaiRpm(5_000));
    expect(capped.deployment.bucketFor('requests', 'minute')?.limit).toBe(2_000);
    const kept = rig({ adoptRaisedLimits: false });
    for (let i = 0; i < 5; i++) kept.respond(openaiRpm(5_000));
    expect(kept.deployment.bucketFor('requests', 'minute')?.limit).toBe(500);
    // Lowered by the provider (Azure's temporary adjustment), then back up to the declared limit only.
    kept.respond(openaiRpm(250));
    expect(kept.deployment.bucketFor('requests', 'minute')?.limit).toBe(250);
    for (let i = 0; i < 3; i++) kept.respond(openaiRpm(5_000));
    expect(kept.deployment.bucketFor('requests', 'minute')?.limit).toBe(500);
    await capped.close();
    await kept.close();
  });

  it('follows Anthropic ITPM and OTPM up, each on its own streak', async () => {
    const { clock, deployment, changes, respond, close } = rig({
      provider: 'anthropic',
      limits: { rpm: 50, itpm: 30_000, otpm: 8_000 },
    });
    const reset = new Date(clock.now() + 1_000).toISOString();
    const tier4 = {
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-input-tokens-limit': '2000000',
      'anthropic-ratelimit-input-tokens-remaining': '1999000',
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': '400000',
      'anthropic-ratelimit-output-tokens-remaining': '399000',
      'anthropic-ratelimit-output-tokens-reset': reset,
    };
    for (let i = 0; i < 3; i++) respond(tier4);
    expect(deployment.bucketFor('requests', 'minute')?.limit).toBe(4_000);
    expect(deployment.bucketFor('input_tokens', 'minute')?.limit).toBe(2_000_000);
    expect(deployment.bucketFor('output_tokens', 'minute')?.limit).toBe(400_000);
    expect(changes.map((c) => (c as { name: string }).name).sort()).toEqual(['itpm', 'otpm', 'rpm']);
    await close();
  });

  it('does not raise on a window it had to assume (a full OpenAI bucket: RPM or RPD?)', async () => {
    const { deployment, respond, close } = rig();
    const full = { 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '10000' };
    for (let i = 0; i < 5; i++) respond(full);
    expect(deployment.bucketFor('requests', 'minute')?.limit).toBe(500);
    await close();
  });

  it('one odd header among normal ones never raises; alternating values settle on the lower', async () => {
    const { deployment, changes, respond, close } = rig();
    for (let i = 0; i < 10; i++) respond(openaiRpm(i % 3 === 2 ? 500 : 5_000));
    expect(deployment.bucketFor('requests', 'minute')?.limit).toBe(500);
    expect(changes).toEqual([]);
    await close();
  });
});

describe('followReport', () => {
  it('never raises without RAISE_CONFIRMATIONS reports in a row above the limit, never past the ceiling', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        (reports, ceiling) => {
          let current = 500;
          let streak: RaiseStreak | undefined;
          let above = 0;
          for (const reported of reports) {
            const followed = followReport(streak, { current, reported, ceiling, windowKnown: true });
            above = Math.min(reported, ceiling) > current ? above + 1 : 0;
            streak = followed.streak;
            if (followed.limit === undefined) continue;
            if (followed.limit > current) {
              expect(above).toBeGreaterThanOrEqual(RAISE_CONFIRMATIONS);
              expect(followed.limit).toBeLessThanOrEqual(Math.max(ceiling, current));
              above = 0;
            } else {
              expect(followed.limit).toBe(reported);
            }
            current = followed.limit;
          }
        },
      ),
    );
  });
});
