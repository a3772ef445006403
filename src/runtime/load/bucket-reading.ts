/**
 * Every bucket Sluice governs, read in one `peek` (one round trip on
 * Redis): what the alert levels, the load signal, `/metrics` and the
 * dashboard are computed from. Views carry ids and numbers only, never a
 * secret.
 */
import type { BucketSpec, Window } from '../../core/limit.js';
import type { Store } from '../../stores/store.js';
import type { ModelGroups } from '../model-groups.js';

export type Scope = 'deployment' | 'pool' | 'tenant';

export interface BucketView {
  readonly key: string;
  readonly scope: Scope;
  /** Deployment id, pool name or tenant id. */
  readonly owner: string;
  readonly dimension: BucketSpec['dimension'];
  readonly window: Window | undefined;
  /** The limit in force (declared, learned from the provider, or lowered by AIMD). */
  readonly limit: number;
  /** What may be handed out: limit × (1 − safety margin). */
  readonly capacity: number;
}

export interface BucketReading extends BucketView {
  readonly remaining: number;
  readonly used: number;
  /** used ÷ capacity (may exceed 1 briefly when usage settles above the estimate). */
  readonly utilization: number;
  readonly resetMs: number;
  readonly pausedUntil: number;
}

export function viewOf(spec: BucketSpec, scope: Scope, owner: string): BucketView {
  return {
    key: spec.key,
    scope,
    owner,
    dimension: spec.dimension,
    window: spec.per,
    limit: spec.limit,
    capacity: spec.capacity,
  };
}

/** Every deployment (both size classes), pool and tenant bucket with its current reading. */
export async function readBuckets(groups: ModelGroups, store: Store): Promise<BucketReading[]> {
  const specs: BucketSpec[] = [];
  const views: BucketView[] = [];
  for (const d of groups.deployments()) {
    for (const b of d.allBuckets()) {
      if (b === d.gate) continue;
      specs.push(b);
      views.push(viewOf(b, 'deployment', d.id));
    }
  }
  for (const name of groups.poolNames()) {
    for (const b of groups.poolBucketsByName(name)) {
      specs.push(b);
      views.push(viewOf(b, 'pool', name));
    }
  }
  for (const t of groups.tenants.all()) {
    for (const b of t.buckets) {
      specs.push(b);
      views.push(viewOf(b, 'tenant', t.id));
    }
  }
  if (specs.length === 0) return [];
  const snapshots = await store.peek(specs);
  return views.map((v, i) => {
    const s = snapshots[i];
    const used = s?.used ?? 0;
    return {
      ...v,
      remaining: s?.remaining ?? v.capacity,
      used,
      utilization: v.capacity > 0 ? used / v.capacity : 0,
      resetMs: s?.resetMs ?? 0,
      pausedUntil: s?.pausedUntil ?? 0,
    };
  });
}
