/**
 * Headroom: what a reservation with `keep` (ReserveOptions.keep) must leave
 * free on a bucket. The check asks for more room than the cost, nothing
 * more: the bucket is charged the cost alone, so headroom changes when a
 * reservation fits, never what it takes.
 *
 * Pure, like gcra.ts and fixed-window.ts; reserve.lua runs the same
 * arithmetic (same operations in the same order).
 */
import type { BucketSpec } from '../limit.js';

/**
 * Units a rate bucket must hold for `amount` to be granted beside a
 * headroom of `keep`. Capped at the capacity: a cost larger than the spare
 * share waits for a full bucket instead of never fitting (the deployment
 * can serve it; refusing it as too large would fail work for good).
 */
export function neededWithHeadroom(amount: number, keep: number, spec: BucketSpec): number {
  return Math.min(amount + keep * spec.capacity, spec.capacity);
}

/**
 * Slots a concurrency bucket keeps free beside a reservation with `keep`:
 * `floor(keep × limit)`, and never all of them (one slot is always usable
 * when the bucket is otherwise empty).
 */
export function slotsKept(keep: number, spec: BucketSpec): number {
  return Math.min(Math.floor(keep * spec.capacity), Math.max(spec.capacity - 1, 0));
}
