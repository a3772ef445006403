/**
 * Scheduling invariants over random workloads (fast-check, fake clock):
 * - equal-weight tenants contending for one bucket get token shares within
 *   5 % of each other, whatever their request sizes;
 * - under the aging rule no class starves: low requests get through while a
 *   flood of critical work saturates the limit (and without aging they do not,
 *   which shows the property can fail).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { defineBucket } from '../../src/core/limit.js';
import { Admission, type AdmissionResult } from '../../src/runtime/admission.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

describe('Admission invariants (property-based)', () => {
  it('shares a contended bucket between equal-weight tenants within 5 % by tokens', async () => {
    const tenantSizes = fc.array(
      fc.array(fc.integer({ min: 50, max: 2_000 }), { minLength: 1, maxLength: 5 }),
      {
        minLength: 2,
        maxLength: 5,
      },
    );
    await fc.assert(
      fc.asyncProperty(tenantSizes, async (sizesPerTenant) => {
        const clock = new ManualClock();
        const store = new MemoryStore({ clock });
        const admission = new Admission({ store, clock, maxQueuedPerClass: 100_000 });
        const tpm = defineBucket('tpm', { dimension: 'tokens', limit: 360_000, per: 'minute', margin: 0.1 });
        const admitted = new Map<string, number>();
        // Contention from the start: the bucket is empty, so everything queues.
        await store.reserve([tpm], costOf(tpm.capacity, 0));
        // Each tenant keeps a backlog deeper than the bucket can serve in the run
        // (one minute of refill), cycling through its own request sizes.
        const served = tpm.limit;
        sizesPerTenant.forEach((sizes, t) => {
          const backlog = Math.ceil((1.2 * served) / Math.min(...sizes));
          for (let i = 0; i < backlog; i++) {
            const tokens = sizes[i % sizes.length] as number;
            void admission
              .admit({
                tenant: `t${t}`,
                priority: 2,
                buckets: [tpm],
                cost: costOf(tokens, 0),
                deadline: Infinity,
              })
              .then((r: AdmissionResult) => {
                if (r.admitted) admitted.set(`t${t}`, (admitted.get(`t${t}`) ?? 0) + tokens);
              });
          }
        });
        await clock.advanceAsync(60_000);
        admission.close();
        await clock.advanceAsync(0);
        const shares = [...admitted.values()];
        expect(shares.length).toBe(sizesPerTenant.length);
        const max = Math.max(...shares);
        const min = Math.min(...shares);
        expect((max - min) / max).toBeLessThanOrEqual(0.05);
      }),
      { numRuns: 25 },
    );
  });

  async function lowWaitsUnderCriticalFlood(agingMs: number, lowArrivals: readonly number[]) {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const admission = new Admission({ store, clock, agingMs });
    const rpm = defineBucket('rpm', { dimension: 'requests', limit: 60, per: 'minute', margin: 0 });
    // The bucket starts empty, so the flood saturates it from the first second.
    for (let i = 0; i < 60; i++) await store.reserve([rpm], costOf(0, 0));
    const start = clock.now();
    const waits: number[] = [];
    const flood = () =>
      void admission.admit({
        tenant: 'flood',
        priority: 0,
        buckets: [rpm],
        cost: costOf(0, 0),
        deadline: Infinity,
      });
    // Critical work arrives at twice the limit for three minutes.
    for (let t = 0; t < 180_000; t += 500) clock.schedule(t, flood);
    for (const at of lowArrivals) {
      clock.schedule(at, () => {
        const arrived = clock.now();
        void admission
          .admit({ tenant: 'low', priority: 3, buckets: [rpm], cost: costOf(0, 0), deadline: Infinity })
          .then((r) => {
            if (r.admitted) waits.push(clock.now() - arrived);
          });
      });
    }
    await clock.advanceAsync(180_000);
    admission.close();
    return { waits, elapsed: clock.now() - start };
  }

  it('lets low requests through a saturating critical flood once they have aged', async () => {
    const agingMs = 10_000;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 8 }),
        async (arrivals) => {
          const { waits } = await lowWaitsUnderCriticalFlood(agingMs, arrivals);
          expect(waits.length).toBe(arrivals.length);
          // Three class steps of aging, then at most one second per earlier aged request.
          for (const wait of waits)
            expect(wait).toBeLessThanOrEqual(3 * agingMs + arrivals.length * 1_000 + 1_000);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('starves low requests under strict priority without aging (the property is not vacuous)', async () => {
    const { waits } = await lowWaitsUnderCriticalFlood(0, [1_000, 20_000]);
    expect(waits).toEqual([]);
  });
});
