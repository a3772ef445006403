/**
 * One read-only view of the gateway for whoever needs to show it: the
 * `/metrics` exposition, the alert sampler and the dashboard. Everything is
 * read from the governor in force (a reload swaps it under this view) and
 * the store; nothing here changes state, and no secret (API keys, tenant
 * keys) is ever part of a view.
 */

import type { BatchLane } from '../batches/batch-lane.js';
import type { LaneSnapshot } from '../batches/lane-snapshot.js';
import type { ProviderKind } from '../providers/adapter.js';
import type { CircuitState } from '../runtime/circuit-breaker.js';
import type { DeploymentCapacity, DeploymentPrice } from '../runtime/deployment.js';
import type { Governor } from '../runtime/governor.js';
import { type BucketReading, type BucketView, readBuckets, viewOf } from '../runtime/load/bucket-reading.js';
import type { StoreView } from '../stores/from-config.js';
import type { StoreStats } from '../stores/store.js';
import type { UpstreamPools } from './transport.js';

export type { BucketReading, BucketView, Scope } from '../runtime/load/bucket-reading.js';

export interface DeploymentView {
  readonly id: string;
  readonly group: string;
  readonly provider: ProviderKind;
  readonly model: string;
  /** Origin and path only; never credentials. */
  readonly baseUrl: string;
  readonly weight: number;
  /** Reserved (serves first) or on-demand (takes what reserved cannot serve in time). */
  readonly capacity: DeploymentCapacity;
  /** USD per million tokens; undefined: no price configured. */
  readonly price: DeploymentPrice | undefined;
  readonly pools: readonly string[];
  readonly circuit: CircuitState;
  /** AIMD share of the declared limits admitted now (1 = all). */
  readonly adaptiveFactor: number;
  readonly buckets: readonly BucketView[];
}

export interface GroupView {
  readonly name: string;
  readonly deployments: readonly string[];
  readonly fallbacks: readonly string[];
  readonly apis: readonly string[];
}

export interface TenantView {
  readonly id: string;
  readonly tier: string | undefined;
  readonly priority: string;
  readonly maxWaitMs: number;
  readonly weight: number;
  readonly modelGroups: readonly string[] | undefined;
  readonly buckets: readonly BucketView[];
}

export type { StoreView } from '../stores/from-config.js';

export interface GatewayStateSources {
  governor: () => Governor;
  pools: UpstreamPools;
  store: () => StoreView;
  inFlight: () => number;
  /** The background lane, when batches are on (set after the state is built). */
  lane?: () => BatchLane | undefined;
}

export class GatewayState {
  constructor(private readonly sources: GatewayStateSources) {}

  get governor(): Governor {
    return this.sources.governor();
  }

  groups(): GroupView[] {
    return this.governor.groups.allGroups().map((g) => ({
      name: g.name,
      deployments: g.deployments.map((d) => d.id),
      fallbacks: [...g.fallbacks],
      apis: [...g.families],
    }));
  }

  deployments(): DeploymentView[] {
    const now = this.governor.clock.now();
    const out: DeploymentView[] = [];
    for (const group of this.governor.groups.allGroups()) {
      for (const d of group.deployments) {
        out.push({
          id: d.id,
          group: group.name,
          provider: d.config.provider,
          model: d.config.model,
          baseUrl: d.config.baseUrl,
          weight: d.weight,
          capacity: d.config.capacity ?? 'on_demand',
          price: d.config.price,
          pools: d.config.pools ?? [],
          circuit: d.circuit.stateAt(now),
          adaptiveFactor: d.rate.factor,
          // The standard class's: the dashboard's limit lines add deployments' limits up per dimension.
          buckets: d
            .buckets()
            .filter((b) => b !== d.gate)
            .map((b) => viewOf(b, 'deployment', d.id)),
        });
      }
    }
    return out;
  }

  pools(): { name: string; buckets: BucketView[] }[] {
    const groups = this.governor.groups;
    return groups
      .poolNames()
      .map((name) => ({ name, buckets: groups.poolBucketsByName(name).map((b) => viewOf(b, 'pool', name)) }));
  }

  tenants(): TenantView[] {
    const classes = this.governor.classes;
    return this.governor.groups.tenants.all().map((t) => ({
      id: t.id,
      tier: t.tier,
      priority: classes.nameOf(t.priority),
      maxWaitMs: t.maxWaitMs,
      weight: t.weight,
      modelGroups: t.modelGroups ? [...t.modelGroups] : undefined,
      buckets: t.buckets.map((b) => viewOf(b, 'tenant', t.id)),
    }));
  }

  /** Requests waiting for admission, per priority class (most urgent first). */
  queues(): { priority: string; depth: number }[] {
    const governor = this.governor;
    const queued = governor.admission.stats().queued;
    return governor.classes.names.map((priority, i) => ({ priority, depth: queued[i] ?? 0 }));
  }

  /** The cluster-wide order seen from this instance: yields per class, demand records published. */
  clusterOrder(): { yields: { priority: string; count: number }[]; records: number } {
    const governor = this.governor;
    const stats = governor.admission.stats();
    return {
      yields: governor.classes.names.map((priority, i) => ({ priority, count: stats.yields[i] ?? 0 })),
      records: stats.demandRecords,
    };
  }

  inFlight(): number {
    return this.sources.inFlight();
  }

  store(): StoreView {
    return this.sources.store();
  }

  storeStats(): Promise<StoreStats> {
    return this.governor.store.stats();
  }

  /** Whether the background lane runs (`batches.enabled`). */
  laneOn(): boolean {
    return this.sources.lane?.() !== undefined;
  }

  /** Every active batch's progress; undefined when the lane is off. */
  laneSnapshot(): Promise<LaneSnapshot | undefined> {
    const lane = this.sources.lane?.();
    return lane ? lane.snapshot() : Promise.resolve(undefined);
  }

  upstreamConnections(): ReturnType<UpstreamPools['stats']> {
    return this.sources.pools.stats();
  }

  /** Every bucket with its current reading, in one `peek` (one round trip on Redis). */
  buckets(): Promise<BucketReading[]> {
    return readBuckets(this.governor.groups, this.governor.store);
  }
}
