/**
 * The dashboard's server side on a real gateway: the admin key guards the
 * data (401 / 403), the page and its assets are served with sound headers,
 * the numbers equal `/metrics`, nothing secret leaks, and the live stream
 * sends a whole picture, then increments, then a goodbye on drain.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { DashboardSnapshot } from '../../src/dashboard/wire.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { DrainResult } from '../../src/gateway/drain.js';
import { batchView, fixedLane } from '../batches/lane-views.js';
import { advanceUntilSettled, waitUntil } from '../gateway/helpers.js';
import {
  ADMIN_KEY,
  type DashboardRig,
  KEYS,
  metricSum,
  readStream,
  rigConfig,
  startDashboardRig,
  TINY_BUCKET,
  UPSTREAM_KEY,
} from './rig.js';

let rigs: DashboardRig[] = [];
afterEach(async () => {
  await Promise.all(rigs.map((r) => r.close()));
  rigs = [];
});

async function rig(options: Parameters<typeof startDashboardRig>[0] = {}): Promise<DashboardRig> {
  const r = await startDashboardRig(options);
  rigs.push(r);
  return r;
}

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/**
 * Moves the gateway's clock one dashboard tick (1 s) at a time while the
 * stream is open, each time only after the page has read the event the last
 * tick sent (`seen` counts them): one event per tick, whatever the machine's
 * speed.
 */
async function tickUntilEnded<T>(clock: ManualClock, reading: Promise<T>, seen: () => number): Promise<T> {
  let ended = false;
  reading.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  for (let tick = 1; !ended; tick++) {
    await waitUntil(() => ended || seen() >= tick);
    if (!ended) await clock.advanceAsync(1_000);
  }
  return reading;
}

async function state(r: DashboardRig): Promise<DashboardSnapshot> {
  const res = await fetch(`${r.url}/admin/v1/state`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as DashboardSnapshot;
}

describe('admin API', () => {
  it('refuses the data without the admin key, whatever else is sent', async () => {
    const r = await rig();
    for (const path of ['/admin/v1/state', '/admin/v1/stream']) {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: 'Bearer not-the-admin-key-000' },
        { authorization: `Bearer ${KEYS.pro}` }, // a tenant key opens nothing here
        { 'x-sluice-admin-key': `${ADMIN_KEY}x` },
      ]) {
        const res = await fetch(`${r.url}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toMatchObject({ error: { code: 'invalid_admin_key' } });
      }
    }
    expect(
      (await fetch(`${r.url}/admin/v1/state`, { headers: { 'x-sluice-admin-key': ADMIN_KEY } })).status,
    ).toBe(200);
    expect((await fetch(`${r.url}/admin/v1/state`, { headers: admin })).status).toBe(200);
  });

  it('is off (403) when the config sets no admin key', async () => {
    const r = await rig({ config: (sim) => ({ ...rigConfig(sim), admin: undefined }) });
    const res = await fetch(`${r.url}/admin/v1/state`, { headers: admin });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'admin_disabled' } });
  });

  it('accepts the key as its SHA-256 only', async () => {
    const digest = createHash('sha256').update(ADMIN_KEY).digest('hex');
    const r = await rig({ config: (sim) => ({ ...rigConfig(sim), admin: { key_sha256: digest } }) });
    expect((await fetch(`${r.url}/admin/v1/state`, { headers: admin })).status).toBe(200);
  });

  it('serves the page without a key, and its assets with cache headers', async () => {
    const r = await rig();
    const page = await fetch(`${r.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toContain(ADMIN_KEY);
    const script = /src="(\/dashboard\/assets\/app\.js\?v=([0-9a-f]+))"/.exec(html);
    const styles = /href="(\/dashboard\/assets\/app\.css\?v=[0-9a-f]+)"/.exec(html);
    expect(script && styles).toBeTruthy();
    const js = await fetch(`${r.url}${script?.[1]}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toContain('uPlot');
    const css = await fetch(`${r.url}${styles?.[1]}`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    // Without the current hash it must revalidate; with a matching ETag nothing is sent again.
    const plain = await fetch(`${r.url}/dashboard/assets/app.js`);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const etag = plain.headers.get('etag') as string;
    expect(etag).toBe(`"${script?.[2]}"`);
    const again = await fetch(`${r.url}/dashboard/assets/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${r.url}/dashboard/`)).status).toBe(200);
  });

  it('shows the same totals as /metrics, and a bucket over 90 % in its act state', async () => {
    const r = await rig({ sim: { faults: [{ kind: 'rate_limited', at: [2], retry_after_s: 0 }] } });
    const statuses = await Promise.all(Array.from({ length: 6 }, () => r.send(KEYS.pro)));
    for (let i = 0; i < 11; i++) statuses.push(await r.send(KEYS.tiny));
    expect(statuses.filter((s) => s === 200).length).toBe(6 + 10);
    const [snapshot, metrics] = [await state(r), await r.metrics()];
    const t = snapshot.totals;
    expect(t.requests).toBe(metricSum(metrics, 'sluice_requests_total'));
    expect(t.requests).toBe(17);
    expect(t.inputTokens).toBe(metricSum(metrics, 'sluice_tokens_total', { direction: 'input' }));
    expect(t.outputTokens).toBe(metricSum(metrics, 'sluice_tokens_total', { direction: 'output' }));
    expect(t.outputTokens).toBeGreaterThan(0);
    expect(t.refused).toBe(metricSum(metrics, 'sluice_refusals_total'));
    expect(t.refusalsByCode).toEqual({ tenant_rate_limited: 1 });
    expect(t.upstream429).toBe(metricSum(metrics, 'sluice_upstream_rate_limited_total'));
    expect(t.upstream429).toBe(1);
    expect(t.admitted).toBe(metricSum(metrics, 'sluice_admission_wait_seconds_count'));
    const pro = snapshot.tenants.find((x) => x.id === 'pro-co');
    expect(pro?.requests).toBe(metricSum(metrics, 'sluice_requests_total', { tenant: 'pro-co' }));
    expect(pro?.waitP99Ms).not.toBeNull();
    const tiny = snapshot.buckets.find((b) => b.key === TINY_BUCKET);
    expect(tiny).toMatchObject({ scope: 'tenant', owner: 'tiny-co', tier: 'tiny', alert: 'act' });
    expect(tiny?.utilization).toBeCloseTo(
      metricSum(metrics, 'sluice_bucket_utilization', { bucket: TINY_BUCKET }),
      2,
    );
    expect(tiny?.utilization).toBeGreaterThanOrEqual(0.9);
    const deployment = snapshot.deployments.find((d) => d.id === 'sim-openai');
    expect(deployment?.rateLimited).toBe(1);
    expect(deployment?.lastHeaders.length).toBeGreaterThan(0);
    expect(deployment?.upstream).toBe(`${new URL(r.sim.url).origin}/v1`);
  });

  it('shows the background lane’s batches as /metrics splits their lines, and none while the lane is off', async () => {
    const r = await rig();
    // The lane is on by default and idle; taken away, the section is null.
    expect((await state(r)).batches).toMatchObject({ available: true, rows: [] });
    r.gateway.context.lane = undefined;
    expect((await state(r)).batches).toBeNull();
    const at = 1_764_800_000_000;
    const view = batchView(at, {
      id: 'batch_1',
      tenant: 'pro-co',
      api: 'anthropic',
      total: 50,
      succeeded: 20,
      errored: 2,
      linesPerMinute: 12,
    });
    r.gateway.context.lane = fixedLane(() => ({ at, batches: [view], inFlight: 4 }));
    const [snapshot, metrics] = [await state(r), await r.metrics()];
    expect(snapshot.batches).toMatchObject({
      available: true,
      inFlight: 4,
      rows: [{ id: 'batch_1', tenant: 'pro-co', done: 20, failed: 2, remaining: 28, linesPerMinute: 12 }],
    });
    const row = snapshot.batches?.rows[0];
    for (const [state, n] of [
      ['done', row?.done],
      ['failed', row?.failed],
      ['remaining', row?.remaining],
    ] as const)
      expect(metricSum(metrics, 'sluice_batch_lines', { batch: 'batch_1', state })).toBe(n);
    expect(metricSum(metrics, 'sluice_batch_lines_in_flight')).toBe(snapshot.batches?.inFlight);
  });

  it('never sends keys or prompt text', async () => {
    const r = await rig();
    const prompt = 'PROMPT-TEXT-that-must-stay-private';
    expect(await r.send(KEYS.pro, prompt)).toBe(200);
    const { events } = await readStream(r.url, admin, (e) => e.length >= 1);
    const texts = [JSON.stringify(await state(r)), ...events.map((e) => e.data)];
    for (const text of texts) {
      for (const secret of [ADMIN_KEY, KEYS.pro, KEYS.tiny, UPSTREAM_KEY, prompt])
        expect(text).not.toContain(secret);
    }
  });

  it('streams a whole picture first, then increments, then a goodbye on drain', async () => {
    const clock = new ManualClock();
    const r = await rig({ clock });
    await r.send(KEYS.pro);
    let closing: Promise<DrainResult> | undefined;
    let seen = 0;
    const reading = readStream(r.url, admin, (events) => {
      const snapshots = events.filter((e) => e.event === 'snapshot');
      seen = snapshots.length;
      // After three snapshots, drain the gateway and read on until the stream ends.
      if (snapshots.length === 3 && !closing) closing = r.gateway.close({ timeoutMs: 5_000 });
      return false;
    });
    const { status, events, ended } = await tickUntilEnded(clock, reading, () => seen);
    expect(status).toBe(200);
    expect(ended).toBe(true);
    const snapshots = events
      .filter((e) => e.event === 'snapshot')
      .map((e) => JSON.parse(e.data) as DashboardSnapshot);
    expect(snapshots).toHaveLength(3);
    expect(snapshots[0]?.seriesMode).toBe('replace');
    expect(snapshots.slice(1).every((s) => s.seriesMode === 'append')).toBe(true);
    // Points are never sent twice.
    const times = snapshots.flatMap((s) => s.series.t);
    expect(new Set(times).size).toBe(times.length);
    expect(events.at(-1)).toEqual({ event: 'bye', data: JSON.stringify({ reason: 'shutting_down' }) });
    // An open page does not hold the drain: it ends before its bound, on the gateway's clock.
    const drained = await advanceUntilSettled(clock, closing as Promise<DrainResult>);
    expect(drained.waitedMs).toBeLessThan(5_000);
    rigs = [];
    await r.sim.close();
  });

  it('reads the gateway once a second of the gateway’s clock', async () => {
    const clock = new ManualClock();
    const r = await rig({ clock });
    await clock.advanceAsync(3_000);
    const { series } = await state(r);
    // Three seconds completed; a tick read the limits (600 rpm declared) at the start of the last two.
    expect(series.t).toHaveLength(3);
    expect(series.limits.requests).toEqual([null, 600, 600]);
  });

  it('ends streams opened with a key a reload replaced, keeps them when the key stays', async () => {
    const clock = new ManualClock();
    const r = await rig({ clock });
    const reload = (key: string) => {
      const config = parseConfig({ ...rigConfig(r.sim.url), admin: { key } }, 'reload', {});
      expect(r.gateway.reload(config)).toMatchObject({ ok: true });
    };
    let reloads = 0;
    let seen = 0;
    const reading = readStream(r.url, admin, (events) => {
      const snapshots = events.filter((e) => e.event === 'snapshot').length;
      seen = snapshots;
      // Same key, new config object: the page stays connected. Then a new key: it is let go.
      if (snapshots === 1 && reloads === 0) {
        reloads++;
        reload(ADMIN_KEY);
      } else if (snapshots === 3 && reloads === 1) {
        reloads++;
        reload('a-brand-new-admin-key-000');
      }
      return false;
    });
    const { events, ended } = await tickUntilEnded(clock, reading, () => seen);
    expect(ended).toBe(true);
    expect(events.filter((e) => e.event === 'snapshot').length).toBe(3);
    expect(events.at(-1)).toEqual({ event: 'bye', data: JSON.stringify({ reason: 'admin_key_changed' }) });
    expect((await fetch(`${r.url}/admin/v1/state`, { headers: admin })).status).toBe(401);
  });
});

describe('admin key in the config', () => {
  const base = rigConfig('http://127.0.0.1:9');
  const parse = (admin: unknown) => () => parseConfig({ ...base, admin }, 'test', {});

  it('must be long enough, one of key or key_sha256, and not a tenant key', () => {
    expect(parse({ key: 'short' })).toThrow(/admin\.key: an admin key needs at least 16 characters/);
    expect(parse({})).toThrow(/exactly one of key or key_sha256/);
    expect(parse({ key: ADMIN_KEY, key_sha256: 'a'.repeat(64) })).toThrow(/exactly one/);
    expect(parse({ key: `${KEYS.pro}` })).toThrow(/admin\.key: the admin key must not be a tenant key/);
    expect(parse({ key: ADMIN_KEY, extra: 1 })).toThrow(/extra/);
    expect(parse({ key_sha256: 'a'.repeat(64) })).not.toThrow();
  });
});
