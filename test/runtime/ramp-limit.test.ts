/**
 * The ramp rule (runtime/ramp-limit.ts, PROVIDERS.md "Ramps are limited"):
 * the token rate admitted to a deployment in one window may grow at most
 * `max_growth` over the previous window's, above a threshold. Admission
 * itself is asked (a MemoryStore on a manual clock, the deployment's own
 * buckets), an open loop offering calls every second.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment } from '../../src/runtime/deployment.js';
import { RampLimit } from '../../src/runtime/ramp-limit.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

const WINDOW_MS = 900_000;
const CALL_TOKENS = 1_000;

describe('RampLimit', () => {
  it('allows the threshold from nothing, then (1 + growth) × the previous window’s rate', () => {
    const ramp = new RampLimit({ maxGrowth: 0.5, windowMs: 60_000, aboveTpm: 1_000 });
    expect(ramp.limitAt(0)).toBe(1_000);
    ramp.record(4_000, 30_000);
    expect(ramp.limitAt(59_999)).toBe(1_000);
    expect(ramp.limitAt(60_000)).toBe(6_000);
    // An idle window in between: the ramp starts from nothing again.
    expect(ramp.limitAt(180_000)).toBe(1_000);
  });
});

describe('a deployment with a ramp limit', () => {
  it('holds a load that triples within a window to +50 % over the previous window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 4, 0, 0, 0));
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
    const margin = 0.1;
    const deployment = new Deployment(
      {
        id: 'fast',
        provider: 'openai',
        baseUrl: 'http://fast.test/v1',
        model: 'gpt-6',
        // The provider's own limit is far above: only the ramp can hold the load.
        limits: { tpm: 50_000_000 },
        ramp: { maxGrowth: 0.5, windowMs: WINDOW_MS, aboveTpm: 60_000 },
      },
      { adapter: createAdapter('openai'), margin, clock },
    );
    /** Offers `perSecond` calls every second for one window; returns the tokens admitted. */
    const offer = async (perSecond: number) => {
      let admitted = 0;
      for (let s = 0; s < WINDOW_MS / 1_000; s++) {
        for (let i = 0; i < perSecond; i++) {
          const cost = { requests: 1, inputTokens: CALL_TOKENS, outputTokens: 0 };
          const decision = await store.reserve(deployment.buckets(), cost);
          if (!decision.granted || !decision.reservation) continue;
          await store.settle(decision.reservation, { inputTokens: CALL_TOKENS, outputTokens: 0 });
          deployment.recordDelivered(CALL_TOKENS);
          admitted += CALL_TOKENS;
        }
        clock.advance(1_000);
      }
      return admitted;
    };
    // Start on a window boundary, so each `offer` is one whole window.
    clock.set(Math.ceil(clock.now() / WINDOW_MS) * WINDOW_MS);
    // 60 K TPM, at the threshold: all admitted.
    const first = await offer(1);
    expect(first).toBe(900 * CALL_TOKENS);
    // Three times the rate: held to +50 %, plus at most one burst of the bucket at the boundary.
    const second = await offer(3);
    const burst = 90_000 * (1 - margin);
    expect(second).toBeLessThanOrEqual(1.5 * first + burst);
    expect(second).toBeGreaterThanOrEqual(1.45 * first);
    // The next window may grow 50 % over what was admitted, not over what was offered.
    const third = await offer(3);
    expect(third).toBeLessThanOrEqual(1.5 * second + 1.5 * burst);
    expect(third).toBeGreaterThan(second * 1.4);
    await store.close();
  });
});
