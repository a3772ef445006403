/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core):
 * the gateway runs with the simulator upstream, the test generates load,
 * and the page must ask for the key, show numbers that match `/metrics`
 * and change as traffic flows, show a bucket over 90 % in its act state,
 * sort its tenants table, list the response cache of the group that has
 * one, list the background lane's batches (a lane with a fixed snapshot),
 * and stay readable at 1280×800 and at 400 px.
 * Screenshots go to test-results/ (dashboard.png is the 1280×800 view).
 *
 * In CI (CI=true) this always runs; locally it is skipped only when
 * /usr/bin/chromium is missing.
 *
 * Real time on purpose (slow suite): the page runs in a real browser with
 * its own timers (reconnects, the stale marker) and the gateway pushes one
 * event a second; the test lets a few seconds of traffic pass so the charts
 * have points to draw. Polls wait up to 10 s (a busy CI machine).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../../src/batches/lane-snapshot.js';
import { MINUTE_MS } from '../../src/history/minute-records.js';
import { batchView, fixedLane } from '../batches/lane-views.js';
import { simOpenAiDeployment } from '../gateway/helpers.js';
import { seedHistory } from '../history/seed.js';
import {
  ADMIN_KEY,
  type DashboardRig,
  KEYS,
  metricSum,
  rigConfig,
  startDashboardRig,
  TINY_BUCKET,
  UPSTREAM_KEY,
} from './rig.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = 'test-results';
const canRun = existsSync(CHROMIUM) || process.env.CI === 'true';
/** Generous: a loaded CI machine may take a while to launch a browser and render. */
const POLL = { timeout: 10_000, interval: 100 };
/** A second model group, with a response cache; the rig's own group has none (its tests count upstream calls). */
const CACHED_GROUP = 'faq-mini';
/** Where the gateway keeps its history: seeded with an earlier hour of traffic for the 24 h view. */
const DATA_DIR = mkdtempSync(join(tmpdir(), 'sluice-browser-'));
/** A third group of 10 requests a minute, with mitigation, for the load panel. */
const BUSY_GROUP = 'busy-mini';

/** Page value vs metric: equal within 1 % (or 1), since both are read a moment apart. */
function close(page: number, metric: number): boolean {
  return Math.abs(page - metric) <= Math.max(1, metric * 0.01);
}

describe.skipIf(!canRun)('dashboard in Chromium', () => {
  let rig: DashboardRig;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    await seedEarlierHour();
    [rig, browser] = await Promise.all([
      startDashboardRig({
        sim: { faults: [{ kind: 'rate_limited', at: [3], retry_after_s: 0 }] },
        config: (simUrl) => {
          const base = { ...rigConfig(simUrl), data_dir: DATA_DIR };
          const deployment = simOpenAiDeployment(simUrl, { api_key: UPSTREAM_KEY });
          return {
            ...base,
            model_groups: {
              ...base.model_groups,
              [CACHED_GROUP]: {
                deployments: [{ ...deployment, id: 'sim-openai-faq' }],
                cache: { mode: 'exact', ttl_s: 60 },
              },
              // A small group that mitigates: the load panel's subject.
              [BUSY_GROUP]: {
                // Its own upstream key, and its declared limit kept (the simulator reports far more).
                deployments: [
                  {
                    ...deployment,
                    id: 'sim-openai-busy',
                    api_key: 'sk-upstream-busy',
                    limits: { rpm: 10 },
                    adopt_raised_limits: false,
                  },
                ],
                mitigation: { pause: { classes: ['low'] }, clamp_max_tokens: { classes: ['low'], to: 16 } },
              },
            },
          };
        },
      }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // A CSP violation or a script error shows up here (the 401 of the wrong-key attempt is expected).
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
    rmSync(DATA_DIR, { recursive: true, force: true });
  });

  /** Numbers the page shows, read from its `data-value` attributes. */
  const stat = (key: string) =>
    page.locator(`[data-stat="${key}"] .stat-value`).getAttribute('data-value').then(Number);

  async function load(pro: number, tiny: number): Promise<void> {
    const batch: Promise<number>[] = [];
    for (let i = 0; i < pro; i++) batch.push(rig.send(KEYS.pro, `question ${i} about the weather`));
    await Promise.all(batch);
    for (let i = 0; i < tiny; i++) await rig.send(KEYS.tiny);
  }

  it('refuses the data without the admin key', async () => {
    expect((await fetch(`${rig.url}/admin/v1/state`)).status).toBe(401);
    expect((await fetch(`${rig.url}/admin/v1/stream`)).status).toBe(401);
    await page.goto(`${rig.url}/dashboard`);
    await expect.poll(() => page.locator('#login').isVisible(), POLL).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);
    await page.fill('#admin-key', 'a-wrong-admin-key-000');
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.locator('#login-error').textContent(), POLL).toMatch(/admin key/);
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(await page.locator('[data-stat]').count()).toBe(0);
  });

  it('shows live numbers that match /metrics, and a bucket over 90 % as act', async () => {
    // 20 for the pro tenant, 11 for the tiny one: its 10/day tier admits 10, refuses the rest.
    await load(20, 11);
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), POLL).toBe('live');

    const compare = async () => {
      const metrics = await rig.metrics();
      const pairs: [string, number, number][] = [
        ['requests', await stat('requests'), metricSum(metrics, 'sluice_requests_total')],
        [
          'input',
          await stat('input-tokens'),
          metricSum(metrics, 'sluice_tokens_total', { direction: 'input' }),
        ],
        [
          'output',
          await stat('output-tokens'),
          metricSum(metrics, 'sluice_tokens_total', { direction: 'output' }),
        ],
        ['refused', await stat('refused'), metricSum(metrics, 'sluice_refusals_total')],
        ['429', await stat('upstream-429'), metricSum(metrics, 'sluice_upstream_rate_limited_total')],
      ];
      return pairs
        .filter(([, shown, metric]) => !close(shown, metric))
        .map(([name, s, m]) => `${name} ${s}≠${m}`);
    };
    await expect.poll(compare, POLL).toEqual([]);
    expect(await stat('requests')).toBe(31);
    expect(await stat('refused')).toBe(1);
    expect(await stat('upstream-429')).toBe(1);

    const tiny = page.locator(`.bucket[data-key="${TINY_BUCKET}"]`);
    await expect.poll(() => tiny.getAttribute('data-alert'), POLL).toBe('act');
    expect(await tiny.getAttribute('class')).toContain('alert-act');
    expect(Number(await tiny.getAttribute('data-utilization'))).toBeGreaterThanOrEqual(0.9);
    expect(await tiny.locator('.badge').textContent()).toBe('act');
    const metricUtilization = metricSum(await rig.metrics(), 'sluice_bucket_utilization', {
      bucket: TINY_BUCKET,
    });
    expect(Math.abs(Number(await tiny.getAttribute('data-utilization')) - metricUtilization)).toBeLessThan(
      0.02,
    );

    // The tenants table agrees with the per-tenant series of /metrics.
    const proRow = page.locator('#tenants tbody tr[data-key="pro-co"]');
    await expect
      .poll(
        async () => Number(await proRow.locator('td[data-col="requests"]').getAttribute('data-value')),
        POLL,
      )
      .toBe(metricSum(await rig.metrics(), 'sluice_requests_total', { tenant: 'pro-co' }));

    // Accuracy: tokens per request, retry outcomes and estimate error agree with /metrics (the simulator's
    // seeded 429 on the third request was retried and then served).
    const tokensRow = page.locator('#request-tokens tbody tr', { hasText: 'pro-co' });
    await expect
      .poll(
        async () => Number(await tokensRow.locator('td[data-col="requests"]').getAttribute('data-value')),
        POLL,
      )
      .toBe(
        metricSum(await rig.metrics(), 'sluice_request_tokens_count', {
          tenant: 'pro-co',
          direction: 'input',
        }),
      );
    const accuracy = page.locator('#deployments tbody tr[data-key="sim-openai"] td[data-col="accuracy"]');
    await expect
      .poll(async () => Number(await accuracy.getAttribute('data-retries-succeeded')), POLL)
      .toBe(metricSum(await rig.metrics(), 'sluice_retry_outcomes_total', { outcome: 'succeeded' }));
    expect(Number(await accuracy.getAttribute('data-retries-succeeded'))).toBeGreaterThanOrEqual(1);
    expect(Number(await accuracy.getAttribute('data-output-error'))).toBeGreaterThan(0);

    // Reserved vs on-demand: the rig's one deployment is reserved, so nothing spilled; its cost is /metrics'.
    const spill = page.locator('#spillover tbody tr[data-key="gpt-4o-mini"]');
    const cell = (col: string) => spill.locator(`td[data-col="${col}"]`);
    await expect
      .poll(async () => Number(await cell('reserved').getAttribute('data-value')), POLL)
      .toBeGreaterThan(0);
    expect(await cell('on-demand').getAttribute('data-value')).toBe('0');
    expect(await cell('share').textContent()).toBe('0 %');
    const cost = metricSum(await rig.metrics(), 'sluice_cost_usd_total', { capacity: 'reserved' });
    expect(cost).toBeGreaterThan(0);
    await expect
      .poll(async () => Math.abs(Number(await cell('reserved-cost').getAttribute('data-value')) - cost), POLL)
      .toBeLessThanOrEqual(0.0001);
    expect(await cell('on-demand-cost').textContent()).toBe('—');
    const deploymentCost = page.locator('#deployments tbody tr[data-key="sim-openai"]');
    expect(await deploymentCost.getAttribute('data-capacity')).toBe('reserved');
    expect(Math.abs(Number(await deploymentCost.getAttribute('data-cost-usd')) - cost)).toBeLessThanOrEqual(
      0.0001,
    );

    // More traffic: the page follows without a reload.
    const before = await stat('requests');
    await load(12, 0);
    await expect.poll(() => stat('requests'), POLL).toBe(before + 12);
    await expect.poll(compare, POLL).toEqual([]);

    // Charts drew (uPlot canvases) and got points.
    await expect
      .poll(() => page.locator('.chart:not([hidden]) canvas').count(), POLL)
      .toBeGreaterThanOrEqual(5);
  });

  it('charts each deployment against its own limits, and marks a limit its provider’s headers taught', async () => {
    await load(3, 0);
    for (const id of ['sim-openai', 'sim-openai-faq', 'sim-openai-busy']) {
      for (const what of ['requests', 'tokens'])
        await expect
          .poll(
            () => page.locator(`figure[data-deployment="${id}"][data-chart="${what}"] canvas`).count(),
            POLL,
          )
          .toBe(1);
    }
    // The busy deployment declares 10 rpm: its own limit line, not a sum with the others'.
    const busy = page.locator('figure[data-deployment="sim-openai-busy"][data-chart="requests"]');
    await expect.poll(() => busy.locator('.u-legend').innerText(), POLL).toContain('rpm limit');
    // `sim-openai` declares no limit: the simulator's headers taught its limits, and its charts mark when.
    const learned = page.locator('figure[data-deployment="sim-openai"]');
    await expect
      .poll(async () => {
        const counts = await learned.evaluateAll((figures) =>
          figures.map((f) => Number(f.getAttribute('data-markers') ?? 0)),
        );
        return counts.reduce((a, b) => a + b, 0);
      }, POLL)
      .toBeGreaterThanOrEqual(1);
  });

  it('switches the trends to the recorded 24 h and back to live', async () => {
    await page.locator('[data-range="24h"]').click();
    const history = page.locator('#history-trends');
    await expect.poll(() => history.getAttribute('data-points'), POLL).toBe('96');
    await expect
      .poll(() => page.locator('#history-note').innerText(), POLL)
      .toContain('one point per 15 min');
    await expect.poll(() => history.locator('canvas').count(), POLL).toBe(3);
    expect(await page.locator('#live-trends').isHidden()).toBe(true);
    await expect
      .poll(() => page.locator('#history-utilization .u-legend').innerText(), POLL)
      .toContain('sim-openai rpm');
    await page.screenshot({ path: `${RESULTS}/dashboard-history.png`, fullPage: false });
    await page.locator('[data-range="live"]').click();
    expect(await history.isHidden()).toBe(true);
    expect(await page.locator('#live-trends').isVisible()).toBe(true);
  });

  it('sorts tenants by any column', async () => {
    const ids = () =>
      page.locator('#tenants tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    const header = page.locator('#tenants th[data-col="refused"]');
    await header.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await ids()).toEqual(['tiny-co', 'pro-co']);
    await header.locator('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    expect(await ids()).toEqual(['pro-co', 'tiny-co']);
    // Spend per tenant, as /metrics counts it.
    expect(await page.locator('#tenants th[data-col="spendUsd"]').textContent()).toBe('Spend');
    const spend = page.locator('#tenants tbody tr[data-key="pro-co"] td[data-col="spendUsd"]');
    const metric = metricSum(await rig.metrics(), 'sluice_tenant_cost_usd_total', { tenant: 'pro-co' });
    expect(metric).toBeGreaterThan(0);
    await expect
      .poll(
        async () => Math.abs(Number(await spend.getAttribute('data-value')) - metric) <= metric * 0.01,
        POLL,
      )
      .toBe(true);
  });

  it('lists the response cache of the group that has one, as /metrics counts it', async () => {
    // One question four times (a miss, then three hits), once more with no-store (a bypass).
    for (let i = 0; i < 4; i++) expect(await rig.send(KEYS.pro, 'What is a cache?', CACHED_GROUP)).toBe(200);
    expect(await rig.send(KEYS.pro, 'What is a cache?', CACHED_GROUP, { 'cache-control': 'no-store' })).toBe(
      200,
    );
    const row = page.locator(`#response-cache tbody tr[data-key="${CACHED_GROUP}"]`);
    const cell = (col: string) => row.locator(`td[data-col="${col}"]`);
    const shown = async (col: string) => Number(await cell(col).getAttribute('data-value'));
    await expect.poll(() => shown('hit'), POLL).toBe(3);
    // Every event is within the panel's minute, so its counts are the counters' totals.
    const metrics = await rig.metrics();
    for (const outcome of ['hit', 'miss', 'stale', 'bypass']) {
      expect(await shown(outcome)).toBe(
        metricSum(metrics, 'sluice_cache_requests_total', { group: CACHED_GROUP, outcome }),
      );
    }
    expect(await shown('saved-tokens')).toBe(
      metricSum(metrics, 'sluice_cache_saved_tokens_total', { group: CACHED_GROUP }),
    );
    expect(await shown('saved-tokens')).toBeGreaterThan(0);
    expect(await shown('stale')).toBe(0);
    expect(await shown('bypass')).toBe(1);
    expect(await cell('hit-rate').textContent()).toBe('75 %');
    expect(await cell('mode').textContent()).toBe('exact');
    expect(await cell('similarity').textContent()).toBe('—');
    // The rig's own group has no cache: not a row.
    expect(await page.locator('#response-cache tbody tr').count()).toBe(1);
    expect(await page.locator('#response-cache-empty').isVisible()).toBe(false);
  });

  it('lists the background lane’s batches with their progress, pace, expected completion and what holds them', async () => {
    const panel = page.locator('#batches-panel');
    // The lane is on by default: the panel shows; taken away, it hides.
    await expect.poll(() => panel.isVisible(), POLL).toBe(true);
    rig.gateway.context.lane = undefined;
    await expect.poll(() => panel.isVisible(), POLL).toBe(false);
    const batch = (over: Parameters<typeof batchView>[1]) =>
      batchView(Date.now(), { tenant: 'pro-co', model: 'gpt-4o-mini', ...over });
    let batches: BatchView[] = [];
    // A pace of 26 lines a minute with 65 left: done in 150 s from whenever it is read.
    const lane = fixedLane(() => ({
      at: Date.now(),
      inFlight: 3,
      batches: batches.map((b) =>
        b.linesPerMinute > 0 ? { ...b, expectedCompletionAt: Date.now() + 150_000 } : b,
      ),
    }));
    rig.gateway.context.lane = lane;
    await expect.poll(() => panel.isVisible(), POLL).toBe(true);
    expect(await page.locator('#batches-empty').textContent()).toBe('No batches running.');
    expect(await page.locator('#batches tbody tr').count()).toBe(0);

    batches = [
      batch({
        id: 'batch_new',
        tenant: 'tiny-co',
        mode: 'forward',
        status: 'validating',
        total: 40,
        waiting: { code: 'budget_exceeded', message: 'Waiting for the spending budget of tenant tiny-co.' },
      }),
      batch({
        id: 'batch_old',
        createdAt: Date.now() - 3_600_000,
        succeeded: 30,
        errored: 4,
        expired: 1,
        linesPerMinute: 26,
      }),
    ];
    const rows = page.locator('#batches tbody tr');
    await expect.poll(() => rows.count(), POLL).toBe(2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')))).toEqual([
      'batch_old',
      'batch_new',
    ]);
    expect(await page.locator('#batches-empty').isVisible()).toBe(false);
    expect(await page.locator('#batches-summary').textContent()).toBe('2 active · 3 lines in flight');
    const old = page.locator('#batches tbody tr[data-key="batch_old"]');
    const cell = (col: string) => old.locator(`td[data-col="${col}"]`);
    expect(await cell('tenant').textContent()).toBe('pro-co');
    expect(await cell('mode').textContent()).toBe('drain');
    expect(await cell('status').textContent()).toBe('in progress');
    const progress = cell('progress');
    expect(await progress.getAttribute('data-done')).toBe('30');
    expect(await progress.getAttribute('data-failed')).toBe('5');
    expect(await progress.getAttribute('data-remaining')).toBe('65');
    expect(await progress.locator('small').textContent()).toBe('30 done · 5 failed · 65 left of 100');
    expect(await progress.locator('.batch-bar').getAttribute('aria-valuenow')).toBe('35');
    expect(await cell('lines-per-minute').getAttribute('data-value')).toBe('26');
    const expectedMs = Number(await cell('expected').getAttribute('data-value'));
    expect(expectedMs).toBeGreaterThan(140_000);
    expect(expectedMs).toBeLessThanOrEqual(150_000);
    expect(await cell('expected').textContent()).toMatch(/^in 2 m \d+ s$/);
    // Not moving: no expected completion.
    const fresh = page.locator('#batches tbody tr[data-key="batch_new"]');
    expect(await fresh.locator('td[data-col="expected"]').textContent()).toBe('—');
    expect(await fresh.locator('td[data-col="progress"]').getAttribute('data-remaining')).toBe('40');
    // Held back before the provider: the status says so, and its title why.
    const held = fresh.locator('td[data-col="status"]');
    expect(await held.textContent()).toBe('validating · waiting');
    expect(await held.getAttribute('title')).toBe('Waiting for the spending budget of tenant tiny-co.');
    // The same split as /metrics.
    const metrics = await rig.metrics();
    expect(metricSum(metrics, 'sluice_batch_lines', { batch: 'batch_old', state: 'done' })).toBe(30);
    expect(metricSum(metrics, 'sluice_batch_lines', { batch: 'batch_old', state: 'failed' })).toBe(5);
    // The lane stays seeded: the screenshots below show the panel.
  });

  it('shows each group’s load level and its mitigation turning on at act', async () => {
    const row = page.locator(`#load tbody tr[data-key="${BUSY_GROUP}"]`);
    await expect.poll(() => row.count(), POLL).toBe(1);
    expect(await row.getAttribute('data-level')).toBe('ok');
    expect(await row.locator('[data-col="mitigation"]').textContent()).toBe(
      'clamp max tokens off · 0 calls, pause off · 0 calls',
    );
    // 9 of its 9 usable requests a minute: act, and the group mitigates.
    for (let i = 0; i < 9; i++) expect(await rig.send(KEYS.pro, `busy ${i}`, BUSY_GROUP)).toBe(200);
    await rig.gateway.sampleBuckets();
    await expect.poll(() => row.getAttribute('data-level'), POLL).toBe('act');
    expect(await row.locator('[data-col="level"]').textContent()).toBe('act');
    expect(await row.locator('[data-col="cause"]').textContent()).toBe(
      'deployment:sim-openai-busy:requests:minute',
    );
    expect(await row.locator('[data-col="mitigation"]').textContent()).toBe(
      'clamp max tokens on · 0 calls, pause on · 0 calls',
    );
    expect(await page.locator('#load-summary').textContent()).toBe('1 group under load · 1 mitigating');
    // Its bucket says why 9 of a 10 RPM limit are usable.
    const bucket = page.locator('[data-key="deployment:sim-openai-busy:requests:minute"] .remaining');
    expect(await bucket.textContent()).toMatch(/ of 9 usable left \(10 % of 10 kept back\)$/);
    // The other groups stay ok.
    expect(await page.locator('#load tbody tr[data-key="gpt-4o-mini"]').getAttribute('data-level')).toBe(
      'ok',
    );
    await page.locator('#load-panel').screenshot({ path: `${RESULTS}/dashboard-load.png` });
  });

  it('renders at 1280×800 and in a 400 px window without errors', async () => {
    // A few seconds of traffic so the charts have something to draw.
    for (let i = 0; i < 3; i++) {
      await load(6, 0);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await page.locator('#tenants th[data-col="requests"] button').click();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.waitForTimeout(1_200);
    // Strings, not functions: this file is type-checked without the DOM library.
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${RESULTS}/dashboard.png` });
    await page.screenshot({ path: `${RESULTS}/dashboard-full.png`, fullPage: true });

    await page.setViewportSize({ width: 400, height: 800 });
    await page.waitForTimeout(500);
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(await page.locator(`.bucket[data-key="${TINY_BUCKET}"]`).isVisible()).toBe(true);
    await page.screenshot({ path: `${RESULTS}/dashboard-narrow.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});

/** Two hours ago, for 30 minutes: what an earlier run of this gateway would have recorded. */
function seedEarlierHour(): Promise<void> {
  return seedHistory(join(DATA_DIR, 'history'), Math.floor(Date.now() / MINUTE_MS) - 120, 30, {
    bucket: {
      key: 'deployment:sim-openai:requests:minute',
      scope: 'deployment',
      owner: 'sim-openai',
      dimension: 'requests',
      per: 'minute',
    },
    tenant: { tenant: 'pro-co', group: 'gpt-4o-mini' },
    of: (i) => ({
      bucket: { admitted: 300 + i * 10, refused: 0, peak: 0.5 + i / 100, limit: 600 },
      tenant: { requests: 300, refused: 0, inputTokens: 9_000, outputTokens: 3_000, costUsd: 0.0031 },
    }),
  });
}
