import { describe, expect, it } from 'vitest';
import {
  gcraGive,
  gcraRemaining,
  gcraTake,
  gcraTatFromProvider,
  gcraWaitMs,
} from '../../../src/core/buckets/gcra.js';
import { defineBucket } from '../../../src/core/limit.js';

const now = 1_000_000;
const rpm = defineBucket('k', { dimension: 'requests', limit: 600, per: 'minute', margin: 0.1 });

describe('gcra bucket', () => {
  it('hands out the capacity after the margin, then says exactly when the next unit fits', () => {
    let tat = 0;
    for (let i = 0; i < 540; i++) {
      expect(gcraWaitMs(tat, 1, now, rpm)).toBe(0);
      tat = gcraTake(tat, 1, now, rpm);
    }
    // 600/min refills one request every 100 ms.
    expect(gcraWaitMs(tat, 1, now, rpm)).toBeCloseTo(100, 6);
    expect(gcraWaitMs(tat, 5, now, rpm)).toBeCloseTo(500, 6);
    expect(gcraWaitMs(tat, 1, now + 100, rpm)).toBe(0);
    expect(gcraRemaining(tat, now, rpm)).toBe(0);
  });

  it('never fits a cost above the whole capacity', () => {
    expect(gcraWaitMs(0, 541, now, rpm)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refunds never fill a bucket beyond full', () => {
    const tat = gcraTake(0, 10, now, rpm);
    expect(gcraGive(tat, 50, now, rpm)).toBe(now);
    expect(gcraRemaining(gcraGive(tat, 4, now, rpm), now, rpm)).toBeCloseTo(540 - 6, 6);
  });

  it('maps a provider report to the more pessimistic of remaining and reset', () => {
    expect(gcraTatFromProvider({ remaining: 590, limit: 600 }, now, rpm)).toBeCloseTo(now + 1_000, 6);
    expect(gcraTatFromProvider({ remaining: 590, resetAt: now + 5_000 }, now, rpm)).toBe(now + 5_000);
    // A reset years ahead is clamped to one full window.
    expect(gcraTatFromProvider({ resetAt: now + 1e12 }, now, rpm)).toBe(now + 60_000);
    expect(gcraTatFromProvider({}, now, rpm)).toBeUndefined();
  });
});
