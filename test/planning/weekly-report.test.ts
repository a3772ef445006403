/**
 * The weekly review (issue 21) on recorded synthetic traffic: per limit the
 * peak, p95, minutes at or above 80 % and 90 %, what it admitted and
 * refused, which limit bound most often, tenants' calls and spend, the
 * suggestions its rules give; the workloads `plan --from-history` derives;
 * and both commands end to end on history files a gateway would write.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BucketSeries, History, TenantSeries } from '../../src/history/history-read.js';
import { type BucketMinute, MINUTE_MS, type TenantMinute } from '../../src/history/minute-records.js';
import { weeklyReport } from '../../src/planning/weekly-report.js';
import { reportMarkdown } from '../../src/planning/weekly-report-render.js';
import { workloadsFromHistory } from '../../src/planning/workload-from-history.js';
import { seedHistory } from '../history/seed.js';

const WEEK = 7 * 1_440;
const FROM = 29_000_000; // an epoch minute

/** `n` minutes from `start` (offset in the week), each made by `of(i)`. */
function minutes<M>(start: number, n: number, of: (minute: number, i: number) => M): M[] {
  return Array.from({ length: n }, (_, i) => of(FROM + start + i, i));
}

function bucket(key: string, scope: BucketSeries['scope'], owner: string, ms: BucketMinute[]): BucketSeries {
  return { key, scope, owner, dimension: 'requests', per: 'minute', minutes: ms };
}

/**
 * Group `chat` has deployments `a` and `b` (100 rpm each). `a` ran at 95 %
 * for two hours and refused 3 calls a minute for 5 of them; `b` idled at
 * 20 % beside it. Tenant `acme` (50 rpm) was refused 7 times.
 */
function syntheticWeek(): History {
  const a = minutes(600, 120, (minute, i) => ({
    minute,
    admitted: 95,
    refused: i < 5 ? 3 : 0,
    peak: 0.95,
    limit: 100,
  }));
  // Two quieter hours later in the week: the p95 stays at 95 %.
  const aQuiet = minutes(3_000, 30, (minute) => ({
    minute,
    admitted: 40,
    refused: 0,
    peak: 0.4,
    limit: 100,
  }));
  const b = minutes(600, 120, (minute) => ({ minute, admitted: 20, refused: 0, peak: 0.2, limit: 100 }));
  const acme = minutes(600, 1, (minute) => ({ minute, admitted: 50, refused: 7, peak: 1, limit: 50 }));
  const calls: TenantMinute[] = minutes(600, 120, (minute) => ({
    minute,
    requests: 115,
    refused: 20,
    inputTokens: 115 * 3_000,
    outputTokens: 115 * 500,
    costUsd: 1.5,
  }));
  const tenants: TenantSeries[] = [{ tenant: 'acme', group: 'chat', minutes: calls }];
  return {
    fromMinute: FROM,
    toMinute: FROM + WEEK - 1,
    buckets: [
      bucket('deployment:a:requests:minute', 'deployment', 'a', [...a, ...aQuiet]),
      bucket('deployment:b:requests:minute', 'deployment', 'b', b),
      bucket('tenant:acme:requests:minute', 'tenant', 'acme', acme),
    ],
    tenants,
  };
}

const GROUPS = { chat: ['a', 'b'] };

describe('weekly report', () => {
  it('reads each limit’s week, names the one that bound most, and what tenants spent', () => {
    const report = weeklyReport(syntheticWeek(), GROUPS);
    expect(report.minutes).toBe(WEEK);
    const a = report.buckets.find((x) => x.owner === 'a');
    expect(a).toMatchObject({
      limitName: 'rpm',
      limit: 100,
      peak: 0.95,
      p95: 0.95,
      activeMinutes: 150,
      minutesAbove80: 120,
      minutesAbove90: 120,
      admitted: 120 * 95 + 30 * 40,
      refused: 15,
    });
    expect(a?.mean).toBeCloseTo((120 * 0.95 + 30 * 0.4) / 150, 9);
    expect(report.buckets[0]?.owner).toBe('acme'); // fullest first: 100 %
    expect(report.binding?.key).toBe('deployment:a:requests:minute'); // 15 refusals beat acme's 7
    expect(report.tenants).toEqual([
      {
        tenant: 'acme',
        group: 'chat',
        requests: 120 * 115,
        refused: 120 * 20,
        inputTokens: 120 * 115 * 3_000,
        outputTokens: 120 * 115 * 500,
        costUsd: expect.closeTo(180, 6),
      },
    ]);
    expect(report.totals).toEqual({ requests: 13_800, costUsd: expect.closeTo(180, 6) });
  });

  it('suggests raising a hot limit, rebalancing an unequal group, and batching a bursty one', () => {
    const report = weeklyReport(syntheticWeek(), GROUPS);
    expect(report.suggestions.map((s) => [s.kind, s.about])).toEqual([
      ['raise', 'tenant:acme:requests:minute'],
      ['raise', 'deployment:a:requests:minute'],
      ['rebalance', 'chat'],
    ]);
    expect(report.suggestions[1]?.text).toContain('120 minutes at or above 90 %');
    expect(report.suggestions[2]?.text).toContain('move weight from a to b');

    // The same peaks, but the group's active minutes mostly quiet: bursts, not load.
    const bursty = syntheticWeek();
    const quiet = minutes(5_000, 600, (minute) => ({
      minute,
      admitted: 5,
      refused: 0,
      peak: 0.05,
      limit: 100,
    }));
    const buckets = bursty.buckets.map((b) =>
      b.scope === 'tenant' ? b : { ...b, minutes: [...b.minutes, ...quiet] },
    );
    const kinds = weeklyReport({ ...bursty, buckets }, GROUPS).suggestions.map((s) => s.kind);
    expect(kinds).toContain('batch');
    expect(kinds).not.toContain('rebalance');
  });

  it('renders Markdown tables a review can paste', () => {
    const text = reportMarkdown(weeklyReport(syntheticWeek(), GROUPS), 'test');
    expect(text).toContain('## Which limit bound most often');
    expect(text).toContain('deployment a, rpm 100: 15 calls refused, 120 minutes at or above 90 %.');
    expect(text).toContain(
      '| deployment | a | rpm 100 | 95 % | 95 % | 84 % | 150 | 120 | 120 | 12,600 | 15 |',
    );
    expect(text).toContain('| acme | chat | 13,800 | 2,400 | 41,400,000 | 6,900,000 | $180.00 |');
    expect(text).toContain('- **rebalance**: in group chat');
    expect(weeklyReport({ ...syntheticWeek(), buckets: [], tenants: [] }, GROUPS).buckets).toEqual([]);
  });

  it('derives each group’s workload from the busy minutes, refused calls counted as demand', () => {
    const [chat] = workloadsFromHistory(syntheticWeek());
    expect(chat).toMatchObject({
      group: 'chat',
      requestsPerMinute: 135,
      inputTokens: { mean: 3_000, p95: 3_000 },
      outputTokens: { mean: 500, p95: 500 },
      busyMinutes: 120,
      requests: 13_800,
      refused: 2_400,
    });
  });
});

describe('sluice report and plan --from-history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('read the history files of a gateway’s data_dir', async () => {
    const config = join(dir, 'sluice.yaml');
    writeFileSync(
      config,
      [
        'model_groups:',
        '  claude:',
        '    deployments:',
        // A key from the environment, unset here: neither command needs it.
        `      - { id: a, provider: anthropic, base_url: https://api.anthropic.com, api_key: \${ANTHROPIC_API_KEY}, model: claude-sonnet-4, limits: { rpm: 2000, itpm: 160000, otpm: 32000 }, price: { input_per_mtok: 3, output_per_mtok: 15 } }`,
        'tenants: [{ id: acme, key: sk-acme-123456 }]',
        '',
      ].join('\n'),
    );
    // An hour ago, for 30 minutes: seed 004's demand, 100 calls a minute of 3,000 in and 500 out.
    await seedHistory(join(dir, 'sluice-data', 'history'), Math.floor(Date.now() / MINUTE_MS) - 60, 30, {
      bucket: {
        key: 'deployment:a:input_tokens:minute',
        scope: 'deployment',
        owner: 'a',
        dimension: 'input_tokens',
        per: 'minute',
      },
      tenant: { tenant: 'acme', group: 'claude' },
      of: () => ({
        bucket: { admitted: 100, refused: 40, peak: 1, limit: 160_000 },
        tenant: { requests: 100, refused: 0, inputTokens: 300_000, outputTokens: 50_000, costUsd: 1.65 },
      }),
    });
    const { ANTHROPIC_API_KEY: _, ...env } = process.env;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: join(__dirname, '../..'),
        encoding: 'utf8',
        timeout: 20_000,
        env,
      });

    const markdown = run('report', '--week', '--config', config);
    expect(markdown.status).toBe(0);
    expect(markdown.stdout).toContain(
      'deployment a, itpm 160,000: 1,200 calls refused, 30 minutes at or above 90 %.',
    );
    expect(markdown.stdout).toContain('| acme | claude | 3,000 | 0 | 9,000,000 | 1,500,000 | $49.50 |');
    const json = JSON.parse(run('report', '--week', '--json', '--config', config).stdout);
    expect(json.binding).toMatchObject({ key: 'deployment:a:input_tokens:minute', refused: 1_200 });

    const planned = run('plan', '--from-history', '--json', '--config', config);
    expect(planned.status).toBe(1);
    expect(JSON.parse(planned.stdout)).toEqual([
      expect.objectContaining({ fits: false, binding: ['itpm', 'otpm'] }),
    ]);
    const text = run('plan', '--from-history', '--config', config);
    expect(text.stdout).toContain('3,000 calls served and 0 refused in 30 busy minutes');
    expect(text.stdout).toContain('Does not fit: itpm (208 %), otpm (174 %).');
    const neither = run('plan', '--config', config);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain('either --workload');
  });
});
