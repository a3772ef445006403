/**
 * One decision shape for every store and algorithm (STYLE.md, rule 2), so
 * that headers, logs, metrics and refusals are written once.
 */
import type { Cost } from './cost.js';
import type { BucketSpec } from './limit.js';

/**
 * Why a reservation did not fit now:
 * - `rate`: a bucket is short of units; `retryAfterMs` is exact.
 * - `paused`: the provider told us to stop until a time (429, reset).
 * - `concurrency`: every slot is held; `retryAfterMs` is an upper bound
 *   (the earliest lease expiry), a settle usually frees a slot sooner.
 * - `too_large`: the cost exceeds the bucket's whole capacity; it never fits.
 * - `yield`: the bucket has room for it, but waiting demand that goes first
 *   in the cluster-wide order needs that room (core/scheduler/demand-board.ts);
 *   `retryAfterMs` is when to ask again, not when it will fit.
 */
export type RefusalReason = 'rate' | 'paused' | 'concurrency' | 'too_large' | 'yield';

/** The cost held on buckets between admission and settlement. */
export interface Reservation {
  readonly id: string;
  readonly buckets: readonly BucketSpec[];
  readonly cost: Cost;
  readonly grantedAt: number;
}

export interface Decision {
  readonly granted: boolean;
  /** Present when granted; settle it exactly once. */
  readonly reservation: Reservation | undefined;
  /** 0 when granted; the earliest time it could fit otherwise; Infinity for never. */
  readonly retryAfterMs: number;
  /** The bucket that binds: the one whose wait is the longest. */
  readonly limitedBy: BucketSpec | undefined;
  readonly reason: RefusalReason | undefined;
  /** Units still available per bucket, in the order the buckets were given. */
  readonly remaining: readonly number[];
}

/** What a provider says about one of its limits (remaining / reset / limit). */
export interface ProviderObservation {
  readonly remaining?: number | undefined;
  /** Epoch ms at which the provider's bucket is full again. */
  readonly resetAt?: number | undefined;
  readonly limit?: number | undefined;
}

/** `duplicate`: the reservation was settled before, or its lease had already expired. */
export type SettleOutcome = 'settled' | 'duplicate';

/** A bucket's state for headers, routing by headroom and the dashboard. */
export interface BucketSnapshot {
  readonly key: string;
  /** Units (or slots) that can still be handed out. */
  readonly remaining: number;
  /** Units (or slots) in use now. */
  readonly used: number;
  /** Ms until the bucket is full again (0 when full). */
  readonly resetMs: number;
  /** Epoch ms until which admission is paused (0 when not paused). */
  readonly pausedUntil: number;
}

export function refusal(
  retryAfterMs: number,
  limitedBy: BucketSpec,
  reason: RefusalReason,
  remaining: readonly number[],
): Decision {
  return { granted: false, reservation: undefined, retryAfterMs, limitedBy, reason, remaining };
}

export function grant(reservation: Reservation, remaining: readonly number[]): Decision {
  return { granted: true, reservation, retryAfterMs: 0, limitedBy: undefined, reason: undefined, remaining };
}
