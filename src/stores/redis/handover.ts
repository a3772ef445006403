/**
 * Carries bucket levels across a switch between the shared store and the
 * local shares, so that neither side starts from a full bucket:
 *
 * - while shared, it remembers each bucket's last `remaining` (every
 *   decision reports it) and when;
 * - on a bucket's first local use in an outage, the local share starts from
 *   its part of that level, refilled since;
 * - when the shared store answers again, it is raised (never lowered) to
 *   this instance's local view × the instance count: a Redis that kept its
 *   state is not moved back, one that restarted empty does not hand out a
 *   fresh full bucket to every instance at once.
 *
 * Concurrency buckets are not carried: their slots come back with leases.
 */
import { periodStart } from '../../core/buckets/fixed-window.js';
import { reportOffering } from '../../core/buckets/provider-report.js';
import type { BucketSpec } from '../../core/limit.js';
import type { MemoryStore } from '../memory/memory-store.js';
import type { Store } from '../store.js';

export class Handover {
  /** Per spec: [remaining, epoch ms], one array per spec updated in place (no allocation per decision). */
  private readonly last = new WeakMap<BucketSpec, Float64Array>();
  /** Buckets decided locally during the current outage, by key. */
  private readonly touched = new Map<string, BucketSpec>();

  constructor(
    private readonly instances: number,
    private readonly shareOf: (spec: BucketSpec) => BucketSpec,
  ) {}

  /** Remembers what the shared store said about `buckets` at `now`. */
  recordShared(buckets: readonly BucketSpec[], remaining: readonly number[], now: number): void {
    for (let i = 0; i < buckets.length; i++) {
      const spec = buckets[i] as BucketSpec;
      let entry = this.last.get(spec);
      if (!entry) {
        entry = new Float64Array(2);
        this.last.set(spec, entry);
      }
      entry[0] = remaining[i] as number;
      entry[1] = now;
    }
  }

  /** Before the first local decision on each bucket in this outage: start its share from the shared level. */
  async seedLocal(buckets: readonly BucketSpec[], local: MemoryStore, now: number): Promise<void> {
    for (const spec of buckets) {
      if (spec.kind === 'concurrency' || this.touched.has(spec.key)) continue;
      this.touched.set(spec.key, spec);
      const entry = this.last.get(spec);
      if (!entry) continue; // never seen shared: its share starts full
      const [remaining = spec.capacity, at = now] = entry;
      const refilled = !spec.fixed
        ? Math.min(spec.capacity, remaining + (now - at) * spec.ratePerMs)
        : periodStart(spec.fixed, at) === periodStart(spec.fixed, now)
          ? remaining
          : spec.capacity;
      const share = this.shareOf(spec);
      await local.sync(share, reportOffering(refilled / this.instances, share));
    }
  }

  /** Raises the shared buckets to what this instance used locally, then forgets the outage. */
  async restoreShared(shared: Store, local: MemoryStore): Promise<void> {
    for (const spec of this.touched.values()) {
      const [snap] = await local.peek([this.shareOf(spec)]);
      if (!snap) continue;
      await shared.sync(spec, reportOffering(snap.remaining * this.instances, spec));
    }
    this.touched.clear();
  }
}
