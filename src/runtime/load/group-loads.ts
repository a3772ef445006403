/**
 * Turns each sample of every bucket (and of the admission queue) into the
 * load level of every model group, and engages or releases the group's
 * mitigation. One instance per governor; it outlives reloads.
 */
import type { Emit } from '../events.js';
import type { ModelGroups } from '../model-groups.js';
import { type AlertLevel, type AlertThresholds, BucketAlerts, nextLevel } from './bucket-levels.js';
import type { BucketReading } from './bucket-reading.js';
import { type GroupLoad, levelName, QUIET } from './load-level.js';
import type { Mitigations } from './mitigations.js';

/** Queue pressure: how long a group's longest-waiting request may have waited before the group warns or acts. */
export interface QueuePressure {
  readonly warnMs: number;
  readonly actMs: number;
}

export interface LoadOptions {
  readonly thresholds: AlertThresholds;
  readonly queue: QueuePressure;
}

export const DEFAULT_QUEUE_PRESSURE: QueuePressure = Object.freeze({ warnMs: 5_000, actMs: 15_000 });

export class GroupLoads {
  private readonly buckets: BucketAlerts;
  private readonly loads = new Map<string, GroupLoad>();
  private readonly queueLevels = new Map<string, AlertLevel>();
  private queue: QueuePressure;

  constructor(
    options: LoadOptions,
    private readonly mitigations: Mitigations,
    private readonly emit: Emit,
  ) {
    this.queue = options.queue;
    this.buckets = new BucketAlerts(options.thresholds, (t) => this.emit('alert', t));
  }

  setOptions(options: LoadOptions): void {
    this.queue = options.queue;
    this.buckets.setThresholds(options.thresholds);
  }

  /** The bucket's alert level (0 ok, 1 warn, 2 act) at the last sample. */
  bucketLevel(key: string): AlertLevel {
    return this.buckets.levelOf(key);
  }

  of(group: string): GroupLoad {
    return this.loads.get(group) ?? { group, ...QUIET, mitigating: this.mitigations.on(group) };
  }

  all(): GroupLoad[] {
    return [...this.loads.values()];
  }

  /**
   * One sample: every bucket's reading and, per admission lane, the longest
   * wait (`Admission.longestWaits`).
   */
  update(
    readings: readonly BucketReading[],
    topology: ModelGroups,
    waits: ReadonlyMap<string, number>,
    now: number,
  ): void {
    this.buckets.update(readings);
    const utilization = new Map<string, number>();
    for (const r of readings) if (r.scope !== 'tenant') utilization.set(r.key, r.utilization);
    const present = new Set<string>();
    for (const group of topology.allGroups()) {
      present.add(group.name);
      let level: AlertLevel = 0;
      let cause: string | undefined;
      let worst = 0;
      const consider = (key: string) => {
        const l = this.buckets.levelOf(key);
        const u = utilization.get(key) ?? 0;
        if (u > worst) worst = u;
        if (l > level || (l === level && l > 0 && u > (utilization.get(cause ?? '') ?? 0))) {
          level = l;
          cause = key;
        }
      };
      const pools = new Set<string>();
      for (const d of group.deployments) {
        for (const b of d.allBuckets()) if (b !== d.gate) consider(b.key);
        for (const p of d.config.pools ?? []) pools.add(p);
      }
      for (const p of pools) for (const b of topology.poolBucketsByName(p)) consider(b.key);
      const queueWaitMs = Math.max(
        waits.get(group.name) ?? 0,
        waits.get(`${group.name}\u0000long_context`) ?? 0,
      );
      const queueLevel = this.queueLevel(group.name, queueWaitMs);
      if (queueLevel > level) {
        level = queueLevel;
        cause = 'queue';
      }
      this.mitigations.onLevel(group.name, level === 2, group.mitigation, now);
      const next: GroupLoad = {
        group: group.name,
        level: levelName(level),
        cause: level === 0 ? undefined : cause,
        utilization: worst,
        queueWaitMs,
        mitigating: this.mitigations.on(group.name),
      };
      const previous = this.loads.get(group.name);
      this.loads.set(group.name, next);
      if ((previous?.level ?? 'ok') !== next.level)
        this.emit('load', { ...next, from: previous?.level ?? 'ok' });
    }
    for (const name of this.loads.keys()) if (!present.has(name)) this.loads.delete(name);
    this.mitigations.retain(present);
  }

  private queueLevel(group: string, waitedMs: number): AlertLevel {
    const { warnMs, actMs } = this.queue;
    const from = this.queueLevels.get(group) ?? 0;
    const to = nextLevel(from, waitedMs / actMs, { warn: warnMs / actMs, act: 1 }, 0.05);
    if (to === 0) this.queueLevels.delete(group);
    else this.queueLevels.set(group, to);
    return to;
  }
}
