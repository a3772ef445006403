/**
 * Headroom of a group's deployments, for the one decision that needs it
 * before admission: whether to downgrade a call to a cheaper group when its
 * own runs low (DESIGN.md, idea 8). Which deployment serves a call is not
 * decided here but at dispatch (placement.ts): the first that fits. One
 * `peek` round trip reads every candidate's buckets.
 */
import { type Cost, costOn } from '../core/cost.js';
import type { BucketSnapshot } from '../core/decision.js';
import type { BucketSpec } from '../core/limit.js';
import type { Store } from '../stores/store.js';
import type { Deployment } from './deployment.js';

export interface RankedDeployment {
  readonly deployment: Deployment;
  /** Estimated ms until the request fits (0: now). */
  readonly waitMs: number;
  /** Smallest share of a bucket left after this request, in [0, 1] (1 when no limit applies). */
  readonly headroom: number;
}

/**
 * Candidates in the order to try them; those whose circuit refuses are left
 * out. A lone candidate is not measured (nothing to choose) unless `measure`
 * asks for its headroom (a downgrade decision needs it).
 */
export async function rankDeployments(
  candidates: readonly Deployment[],
  cost: Cost,
  store: Store,
  now: number,
  measure = false,
): Promise<RankedDeployment[]> {
  const healthy = candidates.filter((d) => d.circuit.allows(now));
  if (healthy.length === 0 || (healthy.length === 1 && !measure)) {
    return healthy.map((deployment) => ({ deployment, waitMs: 0, headroom: 1 }));
  }
  const specs: BucketSpec[] = [];
  const spans: [number, number][] = [];
  for (const d of healthy) {
    const own = d.buckets(d.sizeClassOf(cost.inputTokens));
    spans.push([specs.length, specs.length + own.length]);
    specs.push(...own);
  }
  // Without the store's view (unreachable), keep the configured order: admission decides anyway.
  const snapshots = await store.peek(specs).catch(() => undefined);
  if (!snapshots) return healthy.map((deployment) => ({ deployment, waitMs: 0, headroom: 1 }));
  const ranked = healthy.map((deployment, i) => {
    const [from, to] = spans[i] as [number, number];
    return rank(deployment, specs.slice(from, to), snapshots.slice(from, to), cost, now);
  });
  ranked.sort(
    (a, b) => a.waitMs - b.waitMs || b.headroom * b.deployment.weight - a.headroom * a.deployment.weight,
  );
  return ranked;
}

function rank(
  deployment: Deployment,
  specs: readonly BucketSpec[],
  snapshots: readonly BucketSnapshot[],
  cost: Cost,
  now: number,
): RankedDeployment {
  let waitMs = 0;
  let headroom = 1;
  specs.forEach((spec, i) => {
    const snapshot = snapshots[i];
    if (!snapshot) return;
    if (snapshot.pausedUntil > now) waitMs = Math.max(waitMs, snapshot.pausedUntil - now);
    if (spec === deployment.gate) return;
    const need = costOn(cost, spec.dimension);
    const short = need - snapshot.remaining;
    if (short > 0) waitMs = Math.max(waitMs, spec.ratePerMs > 0 ? short / spec.ratePerMs : snapshot.resetMs);
    headroom = Math.min(headroom, Math.max(0, (snapshot.remaining - need) / spec.capacity));
  });
  return { deployment, waitMs, headroom };
}
