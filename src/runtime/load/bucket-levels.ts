/**
 * Alert thresholds on bucket utilization (DESIGN.md idea 10): 80 % warns,
 * 90 % calls for action, by default; a per-day bucket is a budget spent over
 * hours, so it warns earlier (70 %) to leave time to act. Each bucket has a
 * level (0 ok, 1 warn, 2 act) that the metrics, the load signal and the
 * alert webhooks read; a change of level is reported once, not on every
 * sample. A level only drops once utilization is a little below its
 * threshold (hysteresis), so a bucket hovering at 80 % does not flap.
 */
import type { BucketReading } from './bucket-reading.js';

export type AlertLevel = 0 | 1 | 2;
export const ALERT_NAMES = ['ok', 'warn', 'act'] as const;

export interface LevelThresholds {
  readonly warn: number;
  readonly act: number;
}

export interface AlertThresholds extends LevelThresholds {
  /** Thresholds of per-day buckets (default 70 % and 90 %); `warn`/`act` apply to every other window. */
  readonly perDay?: LevelThresholds | undefined;
  /** How far below a threshold utilization must fall to leave its level. Default 0.05. */
  readonly hysteresis?: number;
}

export const DEFAULT_PER_DAY: LevelThresholds = Object.freeze({ warn: 0.7, act: 0.9 });

export interface AlertTransition {
  readonly bucket: BucketReading;
  readonly from: AlertLevel;
  readonly to: AlertLevel;
}

export class BucketAlerts {
  private readonly levels = new Map<string, AlertLevel>();
  private readonly hysteresis: number;

  constructor(
    private thresholds: AlertThresholds,
    private readonly onTransition: (t: AlertTransition) => void,
  ) {
    this.hysteresis = thresholds.hysteresis ?? 0.05;
  }

  setThresholds(thresholds: AlertThresholds): void {
    this.thresholds = thresholds;
  }

  levelOf(key: string): AlertLevel {
    return this.levels.get(key) ?? 0;
  }

  /** Feeds one sample of every bucket; buckets no longer present are forgotten. */
  update(readings: readonly BucketReading[]): void {
    const seen = new Set<string>();
    for (const bucket of readings) {
      seen.add(bucket.key);
      const from = this.levelOf(bucket.key);
      const to = nextLevel(from, bucket.utilization, this.thresholdsOf(bucket), this.hysteresis);
      if (to === from) continue;
      if (to === 0) this.levels.delete(bucket.key);
      else this.levels.set(bucket.key, to);
      this.onTransition({ bucket, from, to });
    }
    for (const key of this.levels.keys()) if (!seen.has(key)) this.levels.delete(key);
  }

  private thresholdsOf(bucket: BucketReading): LevelThresholds {
    return bucket.window === 'day' ? (this.thresholds.perDay ?? DEFAULT_PER_DAY) : this.thresholds;
  }
}

/** The level after a sample of `utilization`, coming from `from`. */
export function nextLevel(
  from: AlertLevel,
  utilization: number,
  { warn, act }: LevelThresholds,
  hysteresis: number,
): AlertLevel {
  if (utilization >= act) return 2;
  if (utilization >= warn) return from === 2 && utilization >= act - hysteresis ? 2 : 1;
  if (from === 2 && utilization >= act - hysteresis) return 2;
  if (from >= 1 && utilization >= warn - hysteresis) return 1;
  return 0;
}
