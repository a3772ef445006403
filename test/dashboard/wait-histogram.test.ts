/** Wait quantiles from log-scale buckets: never under the truth, at most 25 % over, never over the max seen. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaitHistogram } from '../../src/dashboard/wait-histogram.js';

function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
}

describe('WaitHistogram', () => {
  it('bounds every quantile between the true value and 1.25 × it (and the max)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (waits, q) => {
          const histogram = new WaitHistogram();
          for (const w of waits) histogram.add(w);
          const truth = exactQuantile(waits, q);
          const got = histogram.quantile(q) as number;
          const max = Math.max(...waits);
          if (truth < 1) {
            // Sub-millisecond waits are "admitted at once".
            expect(got).toBeLessThanOrEqual(1.25);
            return;
          }
          // Reported values are rounded (0.1 ms under 10 ms, 1 ms above).
          expect(got).toBeGreaterThanOrEqual(truth - 0.5);
          expect(got).toBeLessThanOrEqual(Math.min(truth * 1.25, max) + 0.5);
        },
      ),
    );
  });

  it('has no quantile before the first wait', () => {
    expect(new WaitHistogram().quantile(0.5)).toBeNull();
  });
});
