/**
 * Where the week of history lives (issue 21), the same for files (beside
 * the memory store) and Redis (shared): appended chunks read back per
 * series and day, several writers of one series merge, days past the
 * retention are gone, and the bytes a bucket-day costs are bounded.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { FileHistoryStore } from '../../src/history/file-history-store.js';
import { readHistory } from '../../src/history/history-read.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { bucketSeries, DAY_MS, encodeBucketMinute, MINUTE_MS } from '../../src/history/minute-records.js';
import { RedisHistoryStore } from '../../src/history/redis-history-store.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from '../stores/redis/redis-server.js';

const redis = redisForFile();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const BUCKET = {
  key: 'deployment:d-1:requests:minute',
  scope: 'deployment' as const,
  owner: 'd-1',
  dimension: 'requests',
  per: 'minute',
};
const START = Date.UTC(2026, 3, 6, 0, 0, 0);
const DAY = START / DAY_MS;

/** A full day of one bucket: a record every minute. */
function fullDay(day: number): string {
  let records = '';
  for (let m = 0; m < 1_440; m++)
    records += encodeBucketMinute({
      minute: day * 1_440 + m,
      admitted: 1_234,
      refused: 12,
      peak: 0.987,
      limit: 10_000,
    });
  return records;
}

type Factory = (clock: ManualClock, writer: string) => Promise<HistoryStore>;

async function fileStores(): Promise<Factory> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-history-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return async (_clock, writer) => new FileHistoryStore({ dir, writer, retentionDays: 7 });
}

function redisStores(prefix: string): Factory {
  const client = adminClient(redis().url);
  cleanups.push(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });
  return async (clock) => new RedisHistoryStore({ client, prefix, retentionDays: 7, clock });
}

describe.each([
  ['files', fileStores],
  ['Redis', async () => redisStores(testPrefix('hist'))],
] as const)('history in %s', (_name, factoryOf) => {
  it('reads back what two writers appended, merged per minute', async () => {
    const clock = new ManualClock(START + 3 * MINUTE_MS);
    const factory = await factoryOf();
    const [a, b] = [await factory(clock, 'a'), await factory(clock, 'b')];
    const series = bucketSeries(BUCKET);
    const minute = (m: number, admitted: number, peak: number) =>
      encodeBucketMinute({ minute: DAY * 1_440 + m, admitted, refused: 0, peak, limit: 100 });
    await a.append([{ series, day: DAY, records: minute(0, 5, 0.2) }]);
    await a.append([{ series, day: DAY, records: minute(1, 6, 0.3) }]);
    await b.append([{ series, day: DAY, records: minute(1, 4, 0.6) }]);
    const history = await readHistory(a, START, START + 2 * MINUTE_MS);
    expect(history.buckets).toHaveLength(1);
    expect(history.buckets[0]).toMatchObject({ ...BUCKET });
    expect(history.buckets[0]?.minutes.map((m) => [m.admitted, m.peak])).toEqual([
      [5, 0.2],
      [10, 0.6],
    ]);
  });

  it('keeps only the retention: a day eight days back is gone', async () => {
    const clock = new ManualClock(START);
    const factory = await factoryOf();
    const store = await factory(clock, 'a');
    const series = bucketSeries(BUCKET);
    const record = (day: number) =>
      encodeBucketMinute({ minute: day * 1_440, admitted: 1, refused: 0, peak: 0.5, limit: 100 });
    await store.append([{ series, day: DAY, records: record(DAY) }]);
    clock.set(START + 8 * DAY_MS + MINUTE_MS);
    await store.append([{ series, day: DAY + 8, records: record(DAY + 8) }]);
    if (store instanceof RedisHistoryStore) {
      // Redis drops it by TTL on its own clock: the old day's key was set to expire 8 days after the day began.
      const client = adminClient(redis().url);
      const [oldKey] = await client.keys(`*:hist:{h}:${DAY}:*`);
      const ttl = await client.pttl(oldKey as string);
      client.disconnect();
      expect(ttl).toBeGreaterThan(8 * DAY_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(8 * DAY_MS);
    } else {
      expect((await store.read(DAY, DAY + 8)).map((c) => c.day)).toEqual([DAY + 8]);
    }
  });
});

describe('history storage cost', () => {
  it('sets one key per series and day in Redis, expiring with the retention, at under 40 KB a bucket-day', async () => {
    const prefix = testPrefix('hist-size');
    const client = adminClient(redis().url);
    cleanups.push(async () => {
      await deleteKeys(client, prefix);
      client.disconnect();
    });
    const clock = new ManualClock(START + 12 * 3_600_000);
    const store = new RedisHistoryStore({ client, prefix, retentionDays: 7, clock });
    // Appended a minute at a time, as the recorder does (Redis grows a string ahead of its appends).
    const series = bucketSeries(BUCKET);
    for (const records of fullDay(DAY).split(';').filter(Boolean))
      await store.append([{ series, day: DAY, records: `${records};` }]);
    const keys = await client.keys(`${prefix}:hist:*`);
    expect(keys).toHaveLength(2); // the day's series list and the series
    const seriesKey = keys.find((k) => k.endsWith(BUCKET.key)) as string;
    // Expires at the end of day + 7: 7.5 days from noon of the day.
    const ttl = await client.pttl(seriesKey);
    expect(ttl).toBeGreaterThan(7.5 * DAY_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(7.5 * DAY_MS);
    const growing = Number(await client.memory('USAGE', seriesKey));
    // The next day's first flush compacts the day that ended to its length.
    clock.set(START + DAY_MS + MINUTE_MS);
    await store.append([{ series, day: DAY + 1, records: '0,1,0,1,1;' }]);
    const bytes = Number(await client.memory('USAGE', seriesKey));
    console.info(
      `history: a full bucket-day (1,440 records) takes ${bytes} bytes in Redis (${growing} while written)`,
    );
    expect(bytes).toBeLessThan(40 * 1024);
    expect(growing).toBeLessThan(80 * 1024);
    expect(await client.pttl(seriesKey)).toBeGreaterThan(6 * DAY_MS);
  });

  it('writes one file per writer and day, bounded the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-history-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = new FileHistoryStore({ dir, writer: 'w', retentionDays: 7 });
    await store.append([{ series: bucketSeries(BUCKET), day: DAY, records: fullDay(DAY) }]);
    expect(await readdir(dir)).toEqual([`${DAY}-w.log`]);
  });
});
