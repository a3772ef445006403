/**
 * What the batch and file routes need of the background lane, as one object
 * on the `GatewayContext` (`ctx.batches`; undefined while the lane is off,
 * and these paths then answer 404). The lane (its runner) implements it;
 * the routes only create, read and cancel records in its store and wake it.
 */

import type { BatchMode, BatchRecord } from '../../batches/batch.js';
import type { BatchStore } from '../../batches/batch-store.js';
import type { TierBatchCaps } from '../../batches/intake/caps.js';
import type { BatchStanding } from '../../batches/progress-tracker.js';
import type { BatchesConfig, GatewayConfig } from '../config/schema.js';

export interface BatchLaneHandle {
  readonly store: BatchStore;
  /** Read on every request: a reload may replace it. */
  readonly settings: BatchLaneSettings;
  /** Something changed (a batch created or cancelled): look at the work list now, not at the next poll. */
  wake(): void;
  /** Progress of a batch the store does not count itself (a forwarded one); default `store.progress(id)`. */
  progressOf?(batch: BatchRecord): Promise<BatchStanding>;
}

/** The configuration the routes read: the `batches` block, the tiers' caps, the groups' modes. */
export interface BatchLaneSettings {
  readonly batches: BatchesConfig;
  /** `tiers.<t>.batches`, for tiers that set it. */
  readonly tiers: Readonly<Record<string, TierBatchCaps>>;
  /** `model_groups.<g>.batch.mode`, for groups that set it (others: `drain`). */
  readonly modes: Readonly<Record<string, BatchMode>>;
}

/** The lane's settings of a configuration; undefined when the lane is off (no `batches`, or `enabled: false`). */
export function laneSettings(config: GatewayConfig): BatchLaneSettings | undefined {
  const batches = config.batches;
  if (batches === undefined || !batches.enabled) return undefined;
  const tiers: Record<string, TierBatchCaps> = {};
  for (const [name, tier] of Object.entries(config.tiers)) if (tier.batches) tiers[name] = tier.batches;
  const modes: Record<string, BatchMode> = {};
  for (const [name, group] of Object.entries(config.model_groups))
    if (group.batch) modes[name] = group.batch.mode;
  return { batches, tiers, modes };
}
