/**
 * History records (issue 21): what one instance appends for a minute reads
 * back the same, two writers of one minute merge (counts summed, the
 * higher peak kept with its limit), and a torn record is skipped.
 */
import { describe, expect, it } from 'vitest';
import {
  type BucketMinute,
  bucketSeries,
  decodeBucketMinutes,
  decodeTenantMinutes,
  encodeBucketMinute,
  encodeTenantMinute,
  parseSeries,
  type TenantMinute,
  tenantSeries,
} from '../../src/history/minute-records.js';

const DAY = 20_500; // a UTC day number
const at = (minuteOfDay: number) => DAY * 1_440 + minuteOfDay;

describe('history records', () => {
  it('reads back what was written, minute by minute', () => {
    const written: BucketMinute[] = [
      { minute: at(0), admitted: 3, refused: 0, peak: 0.25, limit: 600 },
      { minute: at(1439), admitted: 0, refused: 2, peak: 1.042, limit: 600 },
    ];
    const read = new Map<number, BucketMinute>();
    decodeBucketMinutes(DAY, written.map(encodeBucketMinute).join(''), read);
    expect([...read.values()]).toEqual(written);
  });

  it('merges two writers of one minute: counts summed, the higher peak with its limit', () => {
    const a = encodeBucketMinute({ minute: at(5), admitted: 10, refused: 1, peak: 0.5, limit: 100 });
    const b = encodeBucketMinute({ minute: at(5), admitted: 7, refused: 0, peak: 0.8, limit: 90 });
    const read = new Map<number, BucketMinute>();
    decodeBucketMinutes(DAY, a + b, read);
    expect(read.get(at(5))).toEqual({ minute: at(5), admitted: 17, refused: 1, peak: 0.8, limit: 90 });

    const t: TenantMinute = {
      minute: at(5),
      requests: 2,
      refused: 1,
      inputTokens: 300,
      outputTokens: 40,
      costUsd: 0.001234,
    };
    const tenants = new Map<number, TenantMinute>();
    decodeTenantMinutes(DAY, encodeTenantMinute(t) + encodeTenantMinute(t), tenants);
    expect(tenants.get(at(5))).toMatchObject({ requests: 4, refused: 2, inputTokens: 600, outputTokens: 80 });
    expect(tenants.get(at(5))?.costUsd).toBeCloseTo(0.002468, 9);
  });

  it('skips a torn record and keeps the rest', () => {
    const whole = encodeBucketMinute({ minute: at(7), admitted: 1, refused: 0, peak: 0.1, limit: 10 });
    const read = new Map<number, BucketMinute>();
    decodeBucketMinutes(DAY, `${whole}8,1,0;9,x,0,0,1;`, read);
    expect([...read.keys()]).toEqual([at(7)]);
  });

  it('names series so a reader needs no configuration', () => {
    const bucket = {
      key: 'deployment:d-1:tokens:minute',
      scope: 'deployment' as const,
      owner: 'd-1',
      dimension: 'tokens',
      per: 'minute',
    };
    expect(parseSeries(bucketSeries(bucket))).toEqual({ kind: 'bucket', bucket });
    expect(parseSeries(tenantSeries('acme', 'gpt-4o'))).toEqual({
      kind: 'tenant',
      tenant: 'acme',
      group: 'gpt-4o',
    });
    expect(parseSeries('x:whatever')).toBeUndefined();
  });
});
