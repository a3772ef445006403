/**
 * The load signal and mitigation on the dashboard (issue 20): each model
 * group's level as `x-sluice-load` says it, what holds it up, and the
 * mitigation actions its configuration names, on or off, with the calls
 * each changed; merged over `--workers` as the metrics are (the worst level,
 * an action on anywhere, counts summed).
 */
import { ALERT_NAMES } from '../runtime/load/bucket-levels.js';
import type { GroupLoad } from '../runtime/load/load-level.js';
import { actionsOf, type MitigationConfig } from '../runtime/load/mitigation-config.js';
import type { LoadRow } from './wire.js';

export interface GroupLoadSource {
  readonly load: GroupLoad;
  readonly mitigation: MitigationConfig | undefined;
  /** Actions engaged now. */
  readonly active: readonly string[];
  readonly paused: number;
  /** Calls changed since start, by action. */
  readonly calls: ReadonlyMap<string, number>;
}

export function loadRows(groups: readonly GroupLoadSource[]): LoadRow[] {
  return groups.map(({ load, mitigation, active, paused, calls }) => ({
    group: load.group,
    level: load.level,
    cause: load.cause ?? null,
    utilization: Math.round(load.utilization * 1000) / 1000,
    queueWaitMs: Math.round(load.queueWaitMs),
    mitigating: load.mitigating,
    actions: (mitigation ? actionsOf(mitigation) : []).map((action) => ({
      action,
      on: active.includes(action),
      calls: calls.get(action) ?? 0,
    })),
    paused,
  }));
}

export function mergeLoad(all: readonly (readonly LoadRow[])[]): LoadRow[] {
  const byGroup = new Map<string, LoadRow>();
  for (const rows of all)
    for (const row of rows) {
      const seen = byGroup.get(row.group);
      byGroup.set(row.group, seen ? mergeRow(seen, row) : row);
    }
  return [...byGroup.values()];
}

function mergeRow(a: LoadRow, b: LoadRow): LoadRow {
  const worse = ALERT_NAMES.indexOf(b.level) > ALERT_NAMES.indexOf(a.level) ? b : a;
  return {
    group: a.group,
    level: worse.level,
    cause: worse.cause,
    utilization: Math.max(a.utilization, b.utilization),
    queueWaitMs: Math.max(a.queueWaitMs, b.queueWaitMs),
    mitigating: a.mitigating || b.mitigating,
    actions: a.actions.map((x) => {
      const y = b.actions.find((other) => other.action === x.action);
      return y ? { action: x.action, on: x.on || y.on, calls: x.calls + y.calls } : x;
    }),
    paused: a.paused + b.paused,
  };
}
