/**
 * The dashboard's 1 h / 24 h / 7 d views (issue 21): the recorded history
 * downsampled (per minute, per 15 minutes, per hour; counts summed, the
 * highest utilization kept), and `GET /admin/v1/history` through a real
 * gateway whose calls were recorded on its own clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { historyView } from '../../src/dashboard/history-view.js';
import type { HistoryView } from '../../src/dashboard/wire.js';
import type { History } from '../../src/history/history-read.js';
import { MINUTE_MS } from '../../src/history/minute-records.js';
import { waitUntil } from '../gateway/helpers.js';
import { ADMIN_KEY, KEYS, rigConfig, startDashboardRig } from './rig.js';

const NOW = Date.UTC(2026, 4, 4, 10, 30, 20);
const minuteAt = (ms: number) => Math.floor(ms / MINUTE_MS);

function recorded(): History {
  // Two minutes 40 and 41 minutes ago, and one three hours ago.
  const minutes = [NOW - 40 * MINUTE_MS, NOW - 41 * MINUTE_MS, NOW - 3 * 3_600_000].map(minuteAt);
  return {
    fromMinute: minuteAt(NOW) - 7 * 1_440,
    toMinute: minuteAt(NOW),
    buckets: [
      {
        key: 'deployment:d1:requests:minute',
        scope: 'deployment',
        owner: 'd1',
        dimension: 'requests',
        per: 'minute',
        minutes: minutes.map((minute, i) => ({
          minute,
          admitted: 10,
          refused: i,
          peak: 0.5 + i / 10,
          limit: 100,
        })),
      },
    ],
    tenants: [
      {
        tenant: 'acme',
        group: 'g',
        minutes: minutes.map((minute) => ({
          minute,
          requests: 10,
          refused: 1,
          inputTokens: 100,
          outputTokens: 10,
          costUsd: 0.5,
        })),
      },
    ],
  };
}

describe('history views', () => {
  it('draws an hour per minute, a day per 15 minutes, a week per hour', () => {
    const hour = historyView(recorded(), '1h', NOW);
    expect(hour.t).toHaveLength(60);
    expect(hour.to).toBe(Date.UTC(2026, 4, 4, 10, 31));
    const d1 = hour.buckets[0];
    expect(d1).toMatchObject({ owner: 'd1', limitName: 'rpm', limit: 100 });
    // The two recorded minutes of the hour, each its own point; the rest empty.
    expect(d1?.admitted.filter((v) => v !== null)).toEqual([10, 10]);
    expect(d1?.peak.filter((v) => v !== null)).toEqual([0.6, 0.5]);

    const day = historyView(recorded(), '24h', NOW);
    expect(day.t).toHaveLength(96);
    expect(day.stepMs).toBe(15 * MINUTE_MS);
    const dayD1 = day.buckets[0];
    // Minutes 40 and 41 ago share a 15-minute point: summed, the higher peak kept.
    expect(dayD1?.admitted.filter((v) => v !== null)).toEqual([10, 20]);
    expect(dayD1?.peak.filter((v) => v !== null)).toEqual([0.7, 0.6]);
    expect(day.tenants[0]?.costUsd.filter((v) => v !== null)).toEqual([0.5, 1]);

    const week = historyView(recorded(), '7d', NOW);
    expect(week.t).toHaveLength(168);
    expect(week.tenants[0]?.requests.reduce((n: number, v) => n + (v ?? 0), 0)).toBe(30);
  });
});

describe('GET /admin/v1/history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-dash-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers what the gateway recorded, downsampled to the range, with the admin key only', async () => {
    const clock = new ManualClock(NOW);
    const rig = await startDashboardRig({
      clock,
      config: (simUrl) => ({ ...rigConfig(simUrl), data_dir: dir }),
    });
    try {
      for (let i = 0; i < 3; i++) expect(await rig.send(KEYS.pro)).toBe(200);
      const get = (range: string, key = ADMIN_KEY) =>
        fetch(`${rig.url}/admin/v1/history?range=${range}`, { headers: { authorization: `Bearer ${key}` } });
      // The minute is written once it ends.
      await clock.advanceAsync(MINUTE_MS);
      let view: HistoryView | undefined;
      await waitUntil(async () => {
        view = (await (await get('1h')).json()) as HistoryView;
        return view.tenants.length > 0;
      });
      const served = (v: HistoryView) =>
        v.tenants.flatMap((t) => t.requests).reduce((n: number, x) => n + (x ?? 0), 0);
      expect(served(view as HistoryView)).toBe(3);
      const bucket = view?.buckets.find((b) => b.key === 'deployment:sim-openai:requests:minute');
      expect(bucket?.admitted.reduce((n: number, x) => n + (x ?? 0), 0)).toBe(3);
      // The limit in force when recorded: the simulator's headers raised the declared 600 to 1,000.
      expect(bucket).toMatchObject({ scope: 'deployment', limitName: 'rpm', limit: 1_000 });

      const week = (await (await get('7d')).json()) as HistoryView;
      expect(week.t).toHaveLength(168);
      expect(served(week)).toBe(3);
      expect((await get('2h')).status).toBe(400);
      expect((await get('1h', 'wrong-key-0000000000000')).status).toBe(401);
    } finally {
      await rig.close();
    }
  });

  it('is 404 when the gateway records no history', async () => {
    const rig = await startDashboardRig({
      config: (simUrl) => ({ ...rigConfig(simUrl), history: { enabled: false } }),
    });
    try {
      const res = await fetch(`${rig.url}/admin/v1/history?range=24h`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'history_disabled' } });
    } finally {
      await rig.close();
    }
  });
});
