/** The arithmetic of a report: percentiles, Jain's fairness index, max-min fair shares, rates over windows. */

/** The p-th percentile (0–100) of `values` by the nearest-rank method; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length ? sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] : undefined;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] };
}

/**
 * Jain's fairness index (Σx)² / (n·Σx²): 1 when every x is equal, 1/n when
 * one party gets everything. Undefined for fewer than two parties or all zero.
 */
export function jainIndex(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  const squares = values.reduce((a, b) => a + b * b, 0);
  if (squares === 0) return undefined;
  return (sum * sum) / (values.length * squares);
}

/**
 * Weighted max-min fair shares of `capacity` (water-filling): nobody gets
 * more than it asked for, and what a party leaves unused is split among the
 * others by weight. This is the allocation a perfectly fair scheduler gives,
 * so served ÷ fair share is the x Jain's index is taken over when demands
 * differ (a light tenant asking less than its share is not "unfairly" low).
 */
export function maxMinFairShares(
  demands: readonly number[],
  weights: readonly number[],
  capacity: number,
): number[] {
  const shares = demands.map(() => 0);
  let open = demands.map((_, i) => i).filter((i) => (demands[i] as number) > 0);
  let left = capacity;
  while (open.length > 0 && left > 1e-9) {
    const totalWeight = open.reduce((a, i) => a + (weights[i] as number), 0);
    const perWeight = left / totalWeight;
    const satisfied = open.filter(
      (i) => (demands[i] as number) - (shares[i] as number) <= perWeight * (weights[i] as number),
    );
    if (satisfied.length === 0) {
      for (const i of open) shares[i] = (shares[i] as number) + perWeight * (weights[i] as number);
      break;
    }
    for (const i of satisfied) {
      left -= (demands[i] as number) - (shares[i] as number);
      shares[i] = demands[i] as number;
    }
    open = open.filter((i) => !satisfied.includes(i));
  }
  return shares;
}

/** Sum of `value` over events with `at` in [from, to), per minute. */
export function perMinute<T>(
  events: readonly T[],
  at: (e: T) => number,
  value: (e: T) => number,
  from: number,
  to: number,
): number {
  if (to <= from) return 0;
  let sum = 0;
  for (const e of events) {
    const t = at(e);
    if (t >= from && t < to) sum += value(e);
  }
  return (sum * 60_000) / (to - from);
}
