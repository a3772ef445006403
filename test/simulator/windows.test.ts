/**
 * The simulator's fixed windows as the providers keep them (PROVIDERS.md
 * §2.2, §4.1): Azure's request slices (rpm × slice / 60 s per slice, a fixed
 * token minute beside them) and Gemini's days at midnight Pacific time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zoneOffsetMs } from '../../src/core/time-zone.js';
import { type AdmissionCost, isRefusal } from '../../src/simulator/limits/scope.js';

import { T0, testScope } from './scope-kit.js';

const DAY = 86_400_000;
const PACIFIC = 'America/Los_Angeles';

const scope = testScope;

const cost = (input: number): AdmissionCost => ({ requests: 1, input, output: 0, outputMode: 'keep' });

describe('simulated windows', () => {
  it('Azure slices: admitted ≤ rpm × slice / 60 s in every slice, refusals point at the next slice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2_500 }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(1_000, 10_000),
        fc.integer({ min: 6, max: 1_200 }),
        (gaps, sliceMs, rpm) => {
          const perSlice = (rpm * sliceMs) / 60_000;
          if (perSlice < 1) return;
          const s = scope({ rpm }, { minuteMode: 'sliced', sliceMs });
          const counts = new Map<number, number>();
          let now = T0;
          for (const gap of gaps) {
            now += gap;
            const result = s.admit(cost(1), now);
            const slice = Math.floor(now / sliceMs);
            if (isRefusal(result)) {
              expect(result.dimension).toBe('rpm');
              expect(now + result.waitMs).toBe((slice + 1) * sliceMs);
              continue;
            }
            result.finish({ input: 1, output: 0 }, now);
            counts.set(slice, (counts.get(slice) ?? 0) + 1);
          }
          for (const n of counts.values()) expect(n).toBeLessThanOrEqual(perSlice);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('Azure slices keep the token limit as a counter reset each minute', () => {
    const s = scope({ rpm: 600, tpm: 100 }, { minuteMode: 'sliced' });
    const first = s.admit(cost(100), T0 + 5_000);
    expect(isRefusal(first)).toBe(false);
    const second = s.admit(cost(1), T0 + 20_000);
    expect(isRefusal(second) && second.dimension).toBe('tpm');
    expect(isRefusal(second) && second.waitMs).toBe(40_000);
  });

  it('Pacific days: admitted ≤ rpd between two local midnights, refusals point at the next one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2026, 2, 1), max: Date.UTC(2026, 10, 30) }),
        fc.array(fc.integer({ min: 0, max: 4 * 3_600_000 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 20 }),
        (start, gaps, rpd) => {
          const s = scope({ rpd }, { dayMode: 'calendar', timeZone: PACIFIC, now: start });
          const localDay = (t: number) => Math.floor((t + zoneOffsetMs(PACIFIC, t)) / DAY);
          const counts = new Map<number, number>();
          let now = start;
          for (const gap of gaps) {
            now += gap;
            const result = s.admit(cost(1), now);
            if (isRefusal(result)) {
              const next = now + result.waitMs;
              expect(localDay(next)).toBe(localDay(now) + 1);
              expect(localDay(next - 1)).toBe(localDay(now));
              continue;
            }
            result.finish({ input: 1, output: 0 }, now);
            counts.set(localDay(now), (counts.get(localDay(now)) ?? 0) + 1);
          }
          for (const n of counts.values()) expect(n).toBeLessThanOrEqual(rpd);
        },
      ),
      { numRuns: 100 },
    );
  });
});
