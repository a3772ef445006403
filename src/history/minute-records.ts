/**
 * A week of utilization history (issue 21) is kept as per-minute records,
 * one text line per series and day, appended once a minute by each
 * instance: `minute,admitted,refused,peak‰,limit;` for a bucket and
 * `minute,requests,input,output,µ$,refused;` for a tenant's calls to a model group.
 * Appending (never read-modify-write) is what lets several instances and
 * worker processes write the same series without coordination: a reader
 * sums the counts of a minute written twice and keeps the higher peak.
 *
 * About 20 bytes a record, so a bucket written every minute of a day holds
 * at most ~29 KB per writing instance, and an idle minute writes nothing.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;

/** One bucket's minute: what it admitted and refused, and how full it was at its fullest. */
export interface BucketMinute {
  /** Epoch minute (ms ÷ 60,000). */
  readonly minute: number;
  readonly admitted: number;
  readonly refused: number;
  /** Utilization at the minute's fullest sample (used ÷ usable capacity, 0..1, may pass 1 briefly). */
  readonly peak: number;
  /** The limit in force then (declared, learned from the provider, or lowered by AIMD). */
  readonly limit: number;
}

/** One tenant's calls to one model group in a minute: served (as settled) and refused. */
export interface TenantMinute {
  readonly minute: number;
  /** Calls served (an attempt that got an answer). */
  readonly requests: number;
  /** Calls Sluice refused (demand that was not served: `plan --from-history` counts it). */
  readonly refused: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** Who and what a bucket's series is about (what its name carries, so a reader needs no config). */
export interface BucketIdentity {
  readonly key: string;
  readonly scope: 'deployment' | 'pool' | 'tenant';
  readonly owner: string;
  readonly dimension: string;
  /** Window (`minute`, `day`, …); empty for concurrency. */
  readonly per: string;
}

/**
 * A series' name: a bucket (`b:<scope>|<owner>|<dimension>|<per>|<key>`) or
 * a tenant's calls to a group (`t:<tenant>|<group>`). Ids and names never
 * hold `|` (configuration names are letters, digits, `.`, `_`, `-`).
 */
export function bucketSeries(b: BucketIdentity): string {
  return `b:${b.scope}|${b.owner}|${b.dimension}|${b.per}|${b.key}`;
}

export function tenantSeries(tenant: string, group: string): string {
  return `t:${tenant}|${group}`;
}

/** The bucket or tenant a series name stands for; undefined for a name this version does not write. */
export function parseSeries(
  series: string,
):
  | { kind: 'bucket'; bucket: BucketIdentity }
  | { kind: 'tenant'; tenant: string; group: string }
  | undefined {
  const parts = series.slice(2).split('|');
  if (series.startsWith('b:') && parts.length === 5) {
    const [scope, owner, dimension, per, key] = parts as [string, string, string, string, string];
    if (scope !== 'deployment' && scope !== 'pool' && scope !== 'tenant') return undefined;
    return { kind: 'bucket', bucket: { key, scope, owner, dimension, per } };
  }
  if (series.startsWith('t:') && parts.length === 2)
    return { kind: 'tenant', tenant: parts[0] as string, group: parts[1] as string };
  return undefined;
}

/** UTC day number of `ms` (days since the epoch). */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function encodeBucketMinute(m: BucketMinute): string {
  return `${m.minute % MINUTES_PER_DAY},${m.admitted},${m.refused},${Math.round(m.peak * 1_000)},${m.limit};`;
}

export function encodeTenantMinute(m: TenantMinute): string {
  return `${m.minute % MINUTES_PER_DAY},${m.requests},${m.inputTokens},${m.outputTokens},${Math.round(m.costUsd * 1_000_000)},${m.refused};`;
}

/** The records of one day's line, in the order written (a minute may appear once per writer). */
function fieldsOf(
  day: number,
  records: string,
  size: number,
  each: (minute: number, f: number[]) => void,
): void {
  for (const record of records.split(';')) {
    if (!record) continue;
    const f = record.split(',').map(Number);
    if (f.length !== size || f.some((n) => !Number.isFinite(n))) continue; // a torn write: skip the record
    each(day * MINUTES_PER_DAY + (f[0] as number), f);
  }
}

/** A day's bucket records, merged per minute: counts summed, the highest peak and its limit kept. */
export function decodeBucketMinutes(day: number, records: string, into: Map<number, BucketMinute>): void {
  fieldsOf(day, records, 5, (minute, [, admitted = 0, refused = 0, peak = 0, limit = 0]) => {
    const seen = into.get(minute);
    const p = peak / 1_000;
    into.set(minute, {
      minute,
      admitted: (seen?.admitted ?? 0) + admitted,
      refused: (seen?.refused ?? 0) + refused,
      peak: Math.max(seen?.peak ?? 0, p),
      limit: seen && seen.peak >= p ? seen.limit : limit,
    });
  });
}

/** A day's tenant records, merged per minute (every count summed). */
export function decodeTenantMinutes(day: number, records: string, into: Map<number, TenantMinute>): void {
  fieldsOf(day, records, 6, (minute, [, requests = 0, input = 0, output = 0, micro = 0, refused = 0]) => {
    const seen = into.get(minute);
    into.set(minute, {
      minute,
      requests: (seen?.requests ?? 0) + requests,
      refused: (seen?.refused ?? 0) + refused,
      inputTokens: (seen?.inputTokens ?? 0) + input,
      outputTokens: (seen?.outputTokens ?? 0) + output,
      costUsd: (seen?.costUsd ?? 0) + micro / 1_000_000,
    });
  });
}
