import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WINDOW_MS, type Window } from '../../../src/core/limit.js';
import { inferWindow } from '../../../src/providers/observe/window-inference.js';

const BOTH: readonly Window[] = ['minute', 'day'];

describe('inferWindow (PROVIDERS.md §1.3)', () => {
  it.each([
    // limit, remaining, reset ms, expected: the captures of the §1.3 table
    [5000, 4999, 12, 'minute'],
    [30000, 29999, 2, 'minute'],
    [3000, 2999, 20, 'minute'],
    [10000, 9999, 8_640, 'day'],
    [1000, 912, 7_603_200, 'day'], // Groq §8.16: 2h6m43.2s
    [3, 0, 60_000, 'minute'], // §8.3: 1m0s
  ] as const)('%d / %d / %d ms → %s', (limit, remaining, resetMs, window) => {
    expect(inferWindow(limit, remaining, resetMs, BOTH)).toBe(window);
  });

  it('gives up when nothing can be inferred', () => {
    expect(inferWindow(100, 100, 0, BOTH)).toBeUndefined(); // full
    expect(inferWindow(100, 99, 0, BOTH)).toBeUndefined(); // sub-ms reset printed as 0s
    expect(inferWindow(100, 99, 300, BOTH)).toBeUndefined(); // one unit, est 30 s: fits both, close to neither
    expect(inferWindow(100, 99, 20_000, BOTH)).toBe('day'); // est 2 000 s: more than a minute can hold
    expect(inferWindow(Number.NaN, 1, 1, BOTH)).toBeUndefined();
    expect(inferWindow(100, 200, 5, BOTH)).toBeUndefined();
  });

  /** A continuous bucket as the provider runs it, printed the way it prints (whole ms). */
  const bucketState = fc
    .record({
      limit: fc.integer({ min: 2, max: 10_000_000 }),
      window: fc.constantFrom<Window>('minute', 'day'),
      deficit: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ limit, window, deficit }) => {
      const level = limit * (1 - deficit);
      const remaining = Math.floor(level);
      const resetMs = Math.floor(((limit - level) * WINDOW_MS[window]) / limit);
      return { limit, window, remaining, resetMs };
    });

  it('never infers the wrong window when at least two units are in use', () => {
    fc.assert(
      fc.property(bucketState, ({ limit, window, remaining, resetMs }) => {
        fc.pre(limit - remaining >= 2);
        const inferred = inferWindow(limit, remaining, resetMs, BOTH);
        expect([window, undefined]).toContain(inferred);
      }),
      { numRuns: 2_000 },
    );
  });

  it('infers the window right after a single request from a full bucket', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom<Window>('minute', 'day'),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (limit, window, refilled) => {
          // One unit taken, a little refilled since: level = L − 1 + refilled.
          const level = limit - 1 + refilled;
          const resetMs = Math.floor(((limit - level) * WINDOW_MS[window]) / limit);
          fc.pre(resetMs >= 1 && (limit - level) * WINDOW_MS[window] >= limit * 20);
          expect(inferWindow(limit, limit - 1, resetMs, BOTH)).toBe(window);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
