/**
 * Writes minutes of history as a gateway would have recorded them (for the
 * report, `plan --from-history` and the dashboard's long views): one bucket
 * and one tenant series, `count` minutes from `firstMinute`, into the files
 * of `dir` (a `data_dir/history`).
 */
import { FileHistoryStore } from '../../src/history/file-history-store.js';
import {
  type BucketIdentity,
  type BucketMinute,
  bucketSeries,
  dayOf,
  encodeBucketMinute,
  encodeTenantMinute,
  MINUTE_MS,
  type TenantMinute,
  tenantSeries,
} from '../../src/history/minute-records.js';

export interface SeededMinutes {
  readonly bucket: BucketIdentity;
  readonly tenant: { readonly tenant: string; readonly group: string };
  /** Minute `i`'s bucket and tenant records. */
  readonly of: (i: number) => { bucket: Omit<BucketMinute, 'minute'>; tenant: Omit<TenantMinute, 'minute'> };
}

export async function seedHistory(
  dir: string,
  firstMinute: number,
  count: number,
  seed: SeededMinutes,
): Promise<void> {
  const store = new FileHistoryStore({ dir, writer: 'seed' });
  for (let i = 0; i < count; i++) {
    const minute = firstMinute + i;
    const day = dayOf(minute * MINUTE_MS);
    const { bucket, tenant } = seed.of(i);
    await store.append([
      { series: bucketSeries(seed.bucket), day, records: encodeBucketMinute({ minute, ...bucket }) },
      {
        series: tenantSeries(seed.tenant.tenant, seed.tenant.group),
        day,
        records: encodeTenantMinute({ minute, ...tenant }),
      },
    ]);
  }
}
