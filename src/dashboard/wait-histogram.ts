/**
 * Admission waits as log-scale histograms, so quantiles (p50, p99) come
 * from bounded memory whatever the traffic: bucket 0 holds waits under 1 ms
 * (admitted at once, reported as 0), bucket k ≥ 1 holds (1.25^(k−1), 1.25^k]
 * ms. A quantile is reported as its bucket's upper bound: at most 25 % above
 * the true value, never below it (an operator reading "p99 ≤ x" is never
 * told less than the truth), and never above the longest wait seen (so a
 * tier that waits at most 2 s never shows a 2.4 s p99). Waits beyond the
 * last bound (~21 min) land in the last bucket.
 */

const GROWTH = 1.25;
export const WAIT_BUCKETS = 64;
const LOG_GROWTH = Math.log(GROWTH);

/** The bucket a wait of `ms` falls in. */
export function waitBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  const k = Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9);
  return Math.min(WAIT_BUCKETS - 1, Math.max(1, k));
}

/** What a quantile landing in bucket `k` is reported as. */
export function bucketValue(k: number): number {
  return k === 0 ? 0 : GROWTH ** k;
}

/**
 * The `q` quantile of the counts in `counts[offset … offset + WAIT_BUCKETS)`,
 * at most `max`, or null when they are all zero. Shared by the cumulative
 * histogram below and the recorder's per-slot rows (one flat array for the
 * whole ring).
 */
export function quantileOf(
  counts: ArrayLike<number>,
  offset: number,
  q: number,
  max = Number.POSITIVE_INFINITY,
): number | null {
  let total = 0;
  for (let k = 0; k < WAIT_BUCKETS; k++) total += counts[offset + k] as number;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let k = 0; k < WAIT_BUCKETS; k++) {
    seen += counts[offset + k] as number;
    if (seen >= rank) return round(Math.min(bucketValue(k), max));
  }
  return round(Math.min(bucketValue(WAIT_BUCKETS - 1), max));
}

/** A cumulative histogram (per tenant, since start). */
export class WaitHistogram {
  private readonly counts = new Float64Array(WAIT_BUCKETS);
  private max = 0;

  add(ms: number): void {
    (this.counts[waitBucket(ms)] as number)++;
    if (ms > this.max) this.max = ms;
  }

  quantile(q: number): number | null {
    return quantileOf(this.counts, 0, q, this.max);
  }
}

function round(ms: number): number {
  return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
}
