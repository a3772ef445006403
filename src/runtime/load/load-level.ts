/**
 * The load signal of a model group (issue 20): `ok`, `warn` or `act`, the
 * worst of its deployments' and pools' bucket alert levels and of its queue
 * pressure (how long its longest-waiting request has waited). It is on every
 * answer (`x-sluice-load`), in `governor.load(group)` and the `load` event,
 * so an app can cut tool calls or switch to a simpler flow before it is
 * refused.
 */
import { ALERT_NAMES, type AlertLevel } from './bucket-levels.js';

export type LoadLevelName = (typeof ALERT_NAMES)[number];

export interface GroupLoad {
  readonly group: string;
  readonly level: LoadLevelName;
  /** What holds the level up: a bucket key, `queue`, or undefined at `ok`. */
  readonly cause: string | undefined;
  /** The highest utilization among the group's deployment and pool buckets at the last sample. */
  readonly utilization: number;
  /** How long the group's longest-waiting request had waited at the last sample. */
  readonly queueWaitMs: number;
  /** Mitigation engaged for the group now. */
  readonly mitigating: boolean;
}

export function levelName(level: AlertLevel): LoadLevelName {
  return ALERT_NAMES[level];
}

export const QUIET: Omit<GroupLoad, 'group'> = Object.freeze({
  level: 'ok',
  cause: undefined,
  utilization: 0,
  queueWaitMs: 0,
  mitigating: false,
});
