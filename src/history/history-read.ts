/**
 * The recorded week read back (`sluice report`, `sluice plan
 * --from-history`, the dashboard's long views): every bucket's and every
 * tenant's minutes between two instants, each minute merged over the
 * instances that wrote it.
 */
import type { HistoryStore } from './history-store.js';
import {
  type BucketIdentity,
  type BucketMinute,
  dayOf,
  decodeBucketMinutes,
  decodeTenantMinutes,
  MINUTE_MS,
  parseSeries,
  type TenantMinute,
} from './minute-records.js';

export interface BucketSeries extends BucketIdentity {
  /** Minutes with a record, oldest first. */
  readonly minutes: readonly BucketMinute[];
}

export interface TenantSeries {
  readonly tenant: string;
  readonly group: string;
  readonly minutes: readonly TenantMinute[];
}

export interface History {
  /** First and last epoch minute asked for. */
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly buckets: readonly BucketSeries[];
  readonly tenants: readonly TenantSeries[];
}

/** Everything recorded from `fromMs` to `toMs`. */
export async function readHistory(store: HistoryStore, fromMs: number, toMs: number): Promise<History> {
  const fromMinute = Math.floor(fromMs / MINUTE_MS);
  const toMinute = Math.floor(toMs / MINUTE_MS);
  const chunks = await store.read(dayOf(fromMs), dayOf(toMs));
  const buckets = new Map<string, { id: BucketIdentity; minutes: Map<number, BucketMinute> }>();
  const tenants = new Map<string, { tenant: string; group: string; minutes: Map<number, TenantMinute> }>();
  for (const chunk of chunks) {
    const what = parseSeries(chunk.series);
    if (what?.kind === 'bucket') {
      let entry = buckets.get(what.bucket.key);
      if (!entry) {
        entry = { id: what.bucket, minutes: new Map() };
        buckets.set(what.bucket.key, entry);
      }
      decodeBucketMinutes(chunk.day, chunk.records, entry.minutes);
    } else if (what?.kind === 'tenant') {
      let entry = tenants.get(chunk.series);
      if (!entry) {
        entry = { tenant: what.tenant, group: what.group, minutes: new Map() };
        tenants.set(chunk.series, entry);
      }
      decodeTenantMinutes(chunk.day, chunk.records, entry.minutes);
    }
  }
  const within = <M extends { minute: number }>(minutes: Map<number, M>): M[] =>
    [...minutes.values()]
      .filter((m) => m.minute >= fromMinute && m.minute <= toMinute)
      .sort((a, b) => a.minute - b.minute);
  return {
    fromMinute,
    toMinute,
    buckets: [...buckets.values()]
      .map(({ id, minutes }) => ({ ...id, minutes: within(minutes) }))
      .sort((a, b) => a.key.localeCompare(b.key)),
    tenants: [...tenants.values()]
      .map(({ tenant, group, minutes }) => ({ tenant, group, minutes: within(minutes) }))
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.group.localeCompare(b.group)),
  };
}
