import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProviderError } from '../../src/providers/adapter.js';
import { RetryBudget, retryPolicy } from '../../src/runtime/retry-policy.js';

const serverError: ProviderError = { kind: 'server_error', retryable: true, status: 500 };

describe('retryPolicy', () => {
  const policy = retryPolicy({ maxAttempts: 4, baseMs: 500, capMs: 4_000 });

  it('backs off exponentially with full jitter, capped', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, random) => {
          const verdict = policy({ attempt, error: serverError, now: 0, deadline: Infinity, random });
          expect(verdict.retry).toBe(true);
          if (verdict.retry) {
            expect(verdict.delayMs).toBeGreaterThanOrEqual(0);
            expect(verdict.delayMs).toBeLessThan(Math.min(4_000, 500 * 2 ** (attempt - 1)));
          }
        },
      ),
    );
  });

  it("lets the provider's retry-after win", () => {
    const verdict = policy({
      attempt: 1,
      error: { ...serverError, retryAfterMs: 2_345 },
      now: 0,
      deadline: Infinity,
      random: 0,
    });
    expect(verdict).toEqual({ retry: true, delayMs: 2_345 });
  });

  it('stops for errors no retry can fix, after the last attempt, and past the deadline', () => {
    const quota: ProviderError = { kind: 'quota_exhausted', retryable: false, status: 429 };
    expect(policy({ attempt: 1, error: quota, now: 0, deadline: Infinity, random: 0.5 }).retry).toBe(false);
    expect(policy({ attempt: 4, error: serverError, now: 0, deadline: Infinity, random: 0.5 }).retry).toBe(
      false,
    );
    expect(
      policy({
        attempt: 1,
        error: { ...serverError, retryAfterMs: 5_000 },
        now: 0,
        deadline: 4_000,
        random: 0,
      }).retry,
    ).toBe(false);
  });
});

describe('RetryBudget', () => {
  it('caps retries at the ratio of requests (plus a minimum) over its sliding window', () => {
    const budget = new RetryBudget({ budgetRatio: 0.2, budgetMinimum: 2, budgetWindowMs: 10_000 });
    for (let i = 0; i < 100; i++) budget.recordRequest(0);
    let granted = 0;
    while (budget.tryRetry(0)) granted++;
    expect(granted).toBe(22);
    // The window slides: old requests and retries fall out.
    expect(budget.tryRetry(20_000)).toBe(true);
    expect(budget.tryRetry(20_000)).toBe(true);
    expect(budget.tryRetry(20_000)).toBe(false);
  });
});
