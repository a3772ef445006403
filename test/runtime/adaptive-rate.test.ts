/**
 * AIMD of a deployment's admitted rate (runtime/adaptive-rate.ts): down by a
 * factor once per wave of 429s, back up by steps of time, so the rate is
 * whole again within a bounded time after the 429s stop (issue 15).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createAdapter } from '../../src/providers/registry.js';
import { AdaptiveRate } from '../../src/runtime/adaptive-rate.js';
import { Deployment } from '../../src/runtime/deployment.js';

describe('AdaptiveRate', () => {
  it('decreases multiplicatively down to a floor, and recovers one step per interval', () => {
    const rate = new AdaptiveRate({ decrease: 0.5, increase: 0.1, increaseEveryMs: 1_000, floor: 0.2 });
    rate.onRateLimited({ now: 0 });
    expect(rate.factor).toBe(0.5);
    rate.onRateLimited({ now: 0 });
    rate.onRateLimited({ now: 0 });
    expect(rate.factor).toBe(0.2);
    expect(rate.recover(999)).toBe(false);
    expect(rate.recover(3_000)).toBe(true);
    expect(rate.factor).toBeCloseTo(0.5, 9);
    expect(rate.recover(100_000)).toBe(true);
    expect(rate.factor).toBe(1);
    expect(rate.recover(200_000)).toBe(false);
  });

  it('decreases once per wave: 429s of calls sent before the last decrease do not count again', () => {
    const rate = new AdaptiveRate({ decrease: 0.5 });
    // Twenty calls of one burst, sent at 0–19 ms, all refused at 100 ms.
    for (let i = 0; i < 20; i++) rate.onRateLimited({ sentAt: i, now: 100 + i });
    expect(rate.factor).toBe(0.5);
    // A call sent after that decrease, refused again: the lowered rate was still too high.
    expect(rate.onRateLimited({ sentAt: 150, now: 200 })).toBe(true);
    expect(rate.factor).toBe(0.25);
  });

  it('is back to 1 within ceil((1 − floor) / increase) intervals of the last wave, whatever came before', () => {
    const every = 5_000;
    fc.assert(
      fc.property(
        // Waves of 429s at increasing times, then silence; successes polled at random times after.
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 4_000 }), { maxLength: 40 }),
        (gaps, polls) => {
          const rate = new AdaptiveRate({ increaseEveryMs: every });
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            rate.recover(now);
            rate.onRateLimited({ sentAt: now - 1, now });
          }
          const last = now;
          for (const poll of polls) {
            now += poll;
            rate.recover(now);
            expect(rate.factor).toBeGreaterThanOrEqual(0.1);
          }
          // Default floor 0.1 and step 0.1: nine steps at most.
          rate.recover(Math.max(now, last + 9 * every));
          expect(rate.factor).toBe(1);
        },
      ),
    );
  });

  it('stays down under repeated 429 waves that come faster than a step', () => {
    const rate = new AdaptiveRate({ increaseEveryMs: 5_000 });
    for (let t = 0; t <= 120_000; t += 4_000) {
      rate.recover(t);
      rate.onRateLimited({ sentAt: t - 1, now: t });
      expect(rate.factor).toBeLessThanOrEqual(0.7);
    }
    expect(rate.factor).toBe(0.1);
  });
});

describe('Deployment AIMD on a manual clock', () => {
  it('admits 70 % of its limits after a 429 and all of them again 15 s later, with no success needed', () => {
    const clock = new ManualClock();
    const d = new Deployment(
      { id: 'd', provider: 'openai', baseUrl: 'http://x/v1', model: 'm', limits: { rpm: 1_000 } },
      { adapter: createAdapter('openai'), margin: 0, clock },
    );
    d.onRateLimited({ sentAt: clock.now() - 10, now: clock.now() });
    expect(d.bucketFor('requests', 'minute')?.limit).toBeCloseTo(700, 6);
    clock.advance(10_000);
    expect(d.bucketFor('requests', 'minute')?.limit).toBeCloseTo(900, 6);
    clock.advance(5_000);
    expect(d.bucketFor('requests', 'minute')?.limit).toBe(1_000);
    expect(d.rate.factor).toBe(1);
  });
});
