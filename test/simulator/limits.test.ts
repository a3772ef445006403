import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackgroundSpec } from '../../src/simulator/config.js';
import { type AdmissionCost, isRefusal, type Lease, type Scope } from '../../src/simulator/limits/scope.js';

import { T0, testScope } from './scope-kit.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

const scope = testScope;

const cost = (
  input: number,
  output = 0,
  outputMode: AdmissionCost['outputMode'] = 'keep',
): AdmissionCost => ({
  requests: 1,
  input,
  output,
  outputMode,
});

function view(s: Scope, dimension: string, now: number) {
  const v = s.views(now).find((x) => x.dimension === dimension);
  if (!v) throw new Error(`no ${dimension} bucket`);
  return v;
}

describe('continuous buckets follow PROVIDERS.md §1.3', () => {
  it('reports remaining and the time to refill completely after a request', () => {
    const s = scope({ rpm: 5000, tpm: 160_000 });
    const lease = s.admit(cost(1134), T0);
    expect(isRefusal(lease)).toBe(false);
    expect(view(s, 'rpm', T0)).toMatchObject({ remaining: 4999, resetMs: 12 });
    // 160000 TPM, 158866 remaining → 425.25 ms to refill.
    expect(view(s, 'tpm', T0).remaining).toBe(158_866);
    expect(view(s, 'tpm', T0).resetMs).toBeCloseTo(425.25, 6);
  });

  it('refuses with wait = (requested − level)·W/L, and Used/Requested as OpenAI prints them', () => {
    const s = scope({ tpm: 30_000 });
    s.admit(cost(18_928), T0);
    const refusal = s.admit(cost(11_159), T0);
    if (!isRefusal(refusal)) throw new Error('expected a refusal');
    expect(refusal).toMatchObject({ dimension: 'tpm', limit: 30_000, requested: 11_159 });
    expect(refusal.used).toBeCloseTo(18_928, 6);
    expect(refusal.waitMs).toBeCloseTo(174, 6);
    // It fits exactly when the wait has passed.
    expect(isRefusal(s.admit(cost(11_159), T0 + 174))).toBe(false);
  });

  it('says "never" for a request larger than the whole limit', () => {
    const refusal = scope({ tpm: 30_000 }).admit(cost(30_601), T0);
    expect(isRefusal(refusal) && refusal.waitMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('charges refused requests one request (OpenAI), never below empty', () => {
    const s = scope({ rpm: 3, tpm: 100 }, { chargeRejected: true });
    expect(isRefusal(s.admit(cost(200), T0))).toBe(true);
    expect(view(s, 'rpm', T0).remaining).toBe(2);
    for (let i = 0; i < 10; i++) s.admit(cost(200), T0);
    expect(view(s, 'rpm', T0)).toMatchObject({ remaining: 0, resetMs: MINUTE });
  });
});

describe('admitted cost never exceeds the limits', () => {
  const steps = fc.array(
    fc.record({ dt: fc.integer({ min: 0, max: 20_000 }), tokens: fc.integer({ min: 1, max: 3_000 }) }),
    { minLength: 1, maxLength: 300 },
  );

  it('continuous buckets: over any interval T, admitted ≤ L + L·T/W', () => {
    fc.assert(
      fc.property(
        steps,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 3_000, max: 50_000 }),
        (seq, rpm, tpm) => {
          const s = scope({ rpm, tpm });
          const admitted: { at: number; tokens: number }[] = [];
          let now = T0;
          for (const { dt, tokens } of seq) {
            now += dt;
            const result = s.admit(cost(tokens), now);
            if (!isRefusal(result)) {
              admitted.push({ at: now, tokens });
              result.finish({ input: tokens, output: 0 }, now);
            }
          }
          for (let i = 0; i < admitted.length; i++) {
            let requests = 0;
            let tokens = 0;
            for (let j = i; j < admitted.length; j++) {
              const span = (admitted[j]?.at ?? 0) - (admitted[i]?.at ?? 0);
              requests++;
              tokens += admitted[j]?.tokens ?? 0;
              expect(requests).toBeLessThanOrEqual(rpm + (rpm * span) / MINUTE + 1e-9);
              expect(tokens).toBeLessThanOrEqual(tpm + (tpm * span) / MINUTE + 1e-6);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reconciled estimates: final costs stay within the bound when calls settle before the next admission', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 5_000, max: 50_000 }), (seq, tpm) => {
        const s = scope({ tpm });
        const admitted: { at: number; tokens: number }[] = [];
        let now = T0;
        for (const { dt, tokens } of seq) {
          now += dt;
          // Reserve prompt + max_tokens, use a part of it.
          const result = s.admit(cost(tokens, 1_000, 'reconcile'), now);
          if (isRefusal(result)) continue;
          const used = Math.floor(tokens / 3);
          result.produce(used, now);
          result.finish({ input: tokens, output: used }, now);
          admitted.push({ at: now, tokens: tokens + used });
        }
        for (let i = 0; i < admitted.length; i++) {
          let total = 0;
          for (let j = i; j < admitted.length; j++) {
            total += admitted[j]?.tokens ?? 0;
            const span = (admitted[j]?.at ?? 0) - (admitted[i]?.at ?? 0);
            expect(total).toBeLessThanOrEqual(tpm + (tpm * span) / MINUTE + 1e-6);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('calendar days: admitted ≤ limit in every UTC day', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 * 3_600_000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (gaps, rpd) => {
          const s = scope({ rpd }, { dayMode: 'calendar' });
          const perDay = new Map<number, number>();
          let now = T0;
          for (const gap of gaps) {
            now += gap;
            const result = s.admit(cost(1), now);
            if (isRefusal(result)) {
              // A refusal points at the next midnight.
              expect(now + result.waitMs).toBe(Math.floor(now / DAY) * DAY + DAY);
              continue;
            }
            result.finish({ input: 1, output: 0 }, now);
            const day = Math.floor(now / DAY);
            perDay.set(day, (perDay.get(day) ?? 0) + 1);
          }
          for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(rpd);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fixed minute windows: admitted ≤ limit in every minute (second 00 to 59)', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 30 }), (seq, rpm) => {
        const s = scope({ rpm }, { minuteMode: 'fixed' });
        const perMinute = new Map<number, number>();
        let now = T0;
        for (const { dt } of seq) {
          now += dt % 5_000;
          const result = s.admit(cost(1), now);
          if (isRefusal(result)) continue;
          const minute = Math.floor(now / MINUTE);
          perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
        }
        for (const n of perMinute.values()) expect(n).toBeLessThanOrEqual(rpm);
      }),
      { numRuns: 150 },
    );
  });

  it('concurrency: never more calls in flight than the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (ops, limit) => {
          const s = scope({ concurrency: limit });
          const held: Lease[] = [];
          for (const admit of ops) {
            if (admit) {
              const result = s.admit(cost(1), T0);
              if (!isRefusal(result)) held.push(result);
              else expect(result.dimension).toBe('concurrency');
            } else held.shift()?.finish({ input: 1, output: 0 }, T0);
            expect(s.inFlight).toBe(held.length);
            expect(held.length).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});

describe('settlement', () => {
  it('reconcile gives back the unused reservation; keep does not', () => {
    const reconcile = scope({ tpm: 10_000 });
    const a = reconcile.admit(cost(100, 4_000, 'reconcile'), T0) as Lease;
    expect(view(reconcile, 'tpm', T0).remaining).toBe(5_900);
    a.finish({ input: 100, output: 50 }, T0);
    expect(view(reconcile, 'tpm', T0).remaining).toBe(9_850);

    const keep = scope({ tpm: 10_000 });
    (keep.admit(cost(100, 4_000, 'keep'), T0) as Lease).finish({ input: 100, output: 50 }, T0);
    expect(view(keep, 'tpm', T0).remaining).toBe(5_900);
  });

  it('produced output is charged as it comes and may overdraw, refusing the next call until it refills', () => {
    const s = scope({ otpm: 600 });
    const lease = s.admit(cost(10, 0, 'produced'), T0) as Lease;
    lease.produce(400, T0);
    lease.produce(400, T0);
    lease.finish({ input: 10, output: 800 }, T0);
    expect(view(s, 'otpm', T0).remaining).toBe(0);
    const refusal = s.admit(cost(10, 0, 'produced'), T0);
    // 200 over the limit plus one token must refill at 10 per second.
    expect(isRefusal(refusal) && refusal.waitMs).toBeCloseTo(20_100, 6);
  });

  it('settles once: a second finish or an abort changes nothing', () => {
    const s = scope({ concurrency: 1, tpm: 1_000 });
    const lease = s.admit(cost(100, 100, 'reconcile'), T0) as Lease;
    lease.finish({ input: 100, output: 0 }, T0);
    lease.finish({ input: 100, output: 0 }, T0);
    lease.abort();
    expect(s.inFlight).toBe(0);
    expect(view(s, 'tpm', T0).remaining).toBe(900);
  });
});

describe('other clients', () => {
  const other = (spec: Partial<BackgroundSpec>): BackgroundSpec => ({ key: 'k', model: 'm', ...spec });

  it('drain the buckets at their rate as the clock moves, never below empty', () => {
    const s = scope({ rpm: 100, tpm: 10_000 }, { background: [other({ rpm: 30, tpm: 20_000 })] });
    // Refill (100/min) outpaces the others (30/min): a full bucket stays full.
    expect(view(s, 'rpm', T0 + 10_000).remaining).toBe(100);
    for (let i = 0; i < 50; i++) s.admit(cost(1), T0 + 10_000);
    // 10 s later: 50 + 16.67 refilled − 5 taken by the others.
    expect(view(s, 'rpm', T0 + 20_000).remaining).toBe(61);
    // Tokens are taken faster than they refill: the bucket empties and stays empty.
    expect(view(s, 'tpm', T0 + 10 * MINUTE).remaining).toBe(0);
    expect(view(s, 'tpm', T0 + 10 * MINUTE).resetMs).toBe(MINUTE);
  });

  it('hold concurrency slots', () => {
    const s = scope({ concurrency: 2 }, { background: [other({ concurrency: 1 })] });
    expect(isRefusal(s.admit(cost(1), T0))).toBe(false);
    expect(isRefusal(s.admit(cost(1), T0))).toBe(true);
  });
});

describe('scope creation time', () => {
  it('a call stamped before the scope was created still finds full buckets', () => {
    const s = scope({ rpm: 1 }, { now: T0 + 5 });
    expect(isRefusal(s.admit(cost(1), T0))).toBe(false);
    expect(view(s, 'rpm', T0).resetMs).toBe(MINUTE);
  });
});
