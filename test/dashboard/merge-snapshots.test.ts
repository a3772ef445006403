/**
 * The dashboard over `--workers N`: a worker's snapshot merged with the
 * others'. Counts sum, the shared store's readings stay the answering
 * worker's, per-deployment judgements take the worst worker, quantiles the
 * largest (an upper bound), series align on time.
 */
import { describe, expect, it } from 'vitest';
import { mergeSnapshots } from '../../src/dashboard/merge-snapshots.js';
import type {
  BatchRow,
  DashboardSnapshot,
  DeploymentRow,
  Series,
  TenantRow,
  Totals,
} from '../../src/dashboard/wire.js';

const T0 = 1_764_800_000_000;

function series(
  t: number[],
  requests: (number | null)[],
  waitP99: (number | null)[],
  queue: number[],
): Series {
  const none = t.map(() => null);
  return {
    resolutionMs: 1_000,
    smoothingMs: 10_000,
    countWindowMs: 60_000,
    deployments: {},
    t,
    requests,
    inputTokens: requests.map((r) => (r === null ? null : r * 10)),
    outputTokens: none,
    cacheReadTokens: none,
    limits: { requests: t.map(() => 600), inputTokens: none, outputTokens: none, tokens: none },
    queue: { critical: queue, low: queue },
    waitP50Ms: { critical: waitP99, low: none },
    waitP99Ms: { critical: waitP99, low: none },
    upstream429: t.map(() => 0),
    refusals: {},
  };
}

function deployment(over: Partial<DeploymentRow>): DeploymentRow {
  return {
    id: 'sim',
    group: 'gpt-4o-mini',
    provider: 'openai',
    model: 'gpt-4o-mini',
    upstream: 'http://127.0.0.1/v1',
    weight: 1,
    capacity: 'on_demand',
    price: null,
    costUsd: null,
    circuit: 'closed',
    adaptiveFactor: 1,
    limits: [{ dimension: 'requests', window: 'minute', limit: 600 }],
    admittedLastMinute: 0,
    responses: 0,
    rateLimited: 0,
    failures: 0,
    lastHeaders: [],
    lastHeadersAgoMs: null,
    estimateError: { input: null, output: null },
    retries: { succeeded: 0, failed: 0 },
    cacheHitRatio: null,
    ...over,
  };
}

function tenant(requests: number, waitP99Ms: number | null): TenantRow {
  return {
    id: 'acme',
    tier: null,
    priority: 'normal',
    requests,
    inputTokens: requests * 10,
    outputTokens: requests,
    refused: 1,
    // One worker served it priced (the first snapshot's), the other not.
    spendUsd: requests === 100 ? 0.25 : null,
    waitP50Ms: waitP99Ms,
    waitP99Ms,
  };
}

function totals(requests: number, codes: Record<string, number>): Totals {
  return {
    requests,
    admitted: requests,
    inputTokens: requests * 10,
    outputTokens: requests,
    cacheReadTokens: 0,
    refused: Object.values(codes).reduce((a, b) => a + b, 0),
    refusalsByCode: codes,
    upstreamResponses: requests,
    upstream429: 0,
  };
}

function snapshot(over: Partial<DashboardSnapshot>): DashboardSnapshot {
  return {
    version: 1,
    now: T0 + 5_000,
    startedAt: T0,
    windowMs: 900_000,
    limitChanges: [],
    thresholds: { warn: 0.8, act: 0.95 },
    store: { kind: 'memory', mode: 'memory', available: true },
    draining: false,
    inFlight: 0,
    priorities: ['critical', 'low'],
    queues: [
      { priority: 'critical', depth: 0 },
      { priority: 'low', depth: 0 },
    ],
    buckets: [],
    deployments: [],
    spillover: [],
    responseCache: [],
    tenants: [],
    requestTokens: [],
    batches: null,
    load: [],
    totals: totals(0, {}),
    cacheReported: false,
    seriesMode: 'replace',
    series: series([T0], [null], [null], [0]),
    ...over,
  };
}

describe('mergeSnapshots', () => {
  it('takes each group’s worst load level over the workers, an action on anywhere, and sums the calls', () => {
    const row = (level: 'ok' | 'act', on: boolean, calls: number, paused: number) => ({
      group: 'chat',
      level,
      cause: level === 'act' ? 'queue' : null,
      utilization: level === 'act' ? 0.5 : 0.2,
      queueWaitMs: level === 'act' ? 16_000 : 0,
      mitigating: on,
      actions: [{ action: 'pause', on, calls }],
      paused,
    });
    const merged = mergeSnapshots(snapshot({ load: [row('ok', false, 3, 0)] }), [
      snapshot({ load: [row('act', true, 4, 2)] }),
    ]);
    expect(merged.load).toEqual([
      {
        group: 'chat',
        level: 'act',
        cause: 'queue',
        utilization: 0.5,
        queueWaitMs: 16_000,
        mitigating: true,
        actions: [{ action: 'pause', on: true, calls: 7 }],
        paused: 2,
      },
    ]);
  });

  it('sums what each worker counts and keeps the answering worker’s reading of the shared store', () => {
    const bucket = {
      key: 'deployment:sim:requests:minute',
      scope: 'deployment' as const,
      owner: 'sim',
      tier: null,
      dimension: 'requests',
      window: 'minute',
      limit: 600,
      capacity: 540,
      used: 300,
      remaining: 240,
      utilization: 0.55,
      resetInMs: 0,
      pausedForMs: 0,
      alert: 'ok' as const,
    };
    const own = snapshot({
      inFlight: 3,
      queues: [
        { priority: 'critical', depth: 1 },
        { priority: 'low', depth: 5 },
      ],
      buckets: [bucket],
      deployments: [deployment({ responses: 100, admittedLastMinute: 60, lastHeadersAgoMs: 900 })],
      tenants: [tenant(100, 120)],
      totals: totals(100, { tenant_rate_limited: 2 }),
    });
    const other = snapshot({
      startedAt: T0 - 2_000,
      inFlight: 4,
      queues: [
        { priority: 'critical', depth: 0 },
        { priority: 'low', depth: 7 },
      ],
      buckets: [{ ...bucket, used: 999 }],
      deployments: [
        deployment({
          responses: 80,
          admittedLastMinute: 40,
          circuit: 'half_open',
          adaptiveFactor: 0.5,
          lastHeadersAgoMs: 100,
          lastHeaders: [
            { dimension: 'requests', window: 'minute', limit: 600, remaining: 10, resetInMs: 1, scope: null },
          ],
        }),
      ],
      tenants: [tenant(80, 450)],
      totals: totals(80, { tenant_rate_limited: 1, deadline: 3 }),
    });
    const merged = mergeSnapshots(own, [other]);
    expect(merged.startedAt).toBe(T0 - 2_000);
    expect(merged.inFlight).toBe(7);
    expect(merged.queues).toEqual([
      { priority: 'critical', depth: 1 },
      { priority: 'low', depth: 12 },
    ]);
    expect(merged.buckets).toEqual([bucket]);
    const sim = merged.deployments[0] as DeploymentRow;
    expect(sim.responses).toBe(180);
    expect(sim.admittedLastMinute).toBe(100);
    expect(sim.circuit).toBe('half_open');
    expect(sim.adaptiveFactor).toBe(0.5);
    expect(sim.lastHeadersAgoMs).toBe(100);
    expect(sim.lastHeaders).toHaveLength(1);
    const acme = merged.tenants[0] as TenantRow;
    expect(acme.requests).toBe(180);
    expect(acme.refused).toBe(2);
    expect(acme.waitP99Ms).toBe(450);
    expect(acme.spendUsd).toBe(0.25);
    expect(merged.totals.requests).toBe(180);
    expect(merged.totals.refusalsByCode).toEqual({ tenant_rate_limited: 3, deadline: 3 });
    expect(merged.totals.refused).toBe(6);
  });

  it('aligns series on time: rates and queues add, waits take the largest, limits stay the answering worker’s', () => {
    const own = snapshot({
      seriesMode: 'append',
      series: series([T0 + 1_000, T0 + 2_000], [60, null], [100, null], [1, 2]),
    });
    const other = snapshot({
      series: series([T0, T0 + 1_000, T0 + 2_000], [30, 40, 50], [null, 300, 20], [4, 4, 4]),
    });
    const merged = mergeSnapshots(own, [other]);
    expect(merged.seriesMode).toBe('append');
    expect(merged.series.t).toEqual([T0 + 1_000, T0 + 2_000]);
    expect(merged.series.requests).toEqual([100, 50]);
    expect(merged.series.inputTokens).toEqual([1_000, 500]);
    expect(merged.series.waitP99Ms.critical).toEqual([300, 20]);
    expect(merged.series.queue.low).toEqual([5, 6]);
    expect(merged.series.limits.requests).toEqual([600, 600]);
  });

  it('adds each deployment’s traffic over workers, keeps its shared limit once, and one marker per change', () => {
    const t = [T0 + 1_000, T0 + 2_000];
    const base = series(t, [1, 1], [null, null], [0, 0]);
    const change = { at: T0 + 1_500, deployment: 'd1', name: 'tpm', from: 40_000, to: 68_000 };
    const own = snapshot({
      series: { ...base, deployments: { 'd1/requests': [3, 4], 'd1/tpm': [40_000, 68_000] } },
      limitChanges: [change],
    });
    const other = snapshot({
      series: { ...base, deployments: { 'd1/requests': [5, 6], 'd1/tpm': [40_000, 68_000] } },
      limitChanges: [{ ...change, at: T0 + 1_600 }],
    });
    const merged = mergeSnapshots(own, [other]);
    expect(merged.series.deployments).toEqual({ 'd1/requests': [8, 10], 'd1/tpm': [40_000, 68_000] });
    expect(merged.limitChanges).toEqual([change]);
  });

  it('is the snapshot itself when no other worker answers', () => {
    const own = snapshot({ inFlight: 2 });
    expect(mergeSnapshots(own, [])).toBe(own);
  });
});

function batchRow(over: Partial<BatchRow> & { id: string }): BatchRow {
  return {
    tenant: 'acme',
    api: 'openai',
    mode: 'drain',
    model: 'gpt-4o-mini',
    status: 'in_progress',
    createdAt: T0,
    total: 100,
    done: 0,
    failed: 0,
    remaining: 100,
    linesPerMinute: 0,
    expectedCompletionInMs: null,
    waiting: null,
    ...over,
  };
}

describe('mergeSnapshots: background batches', () => {
  it('merges batches by id with the largest counts, the freshest pace, and sums lines in flight', () => {
    const early = batchRow({ id: 'b1', done: 30, failed: 2, remaining: 68, linesPerMinute: 20 });
    const late = batchRow({
      id: 'b1',
      done: 34,
      failed: 1,
      remaining: 65,
      linesPerMinute: 24,
      expectedCompletionInMs: 162_500,
    });
    const onlyThere = batchRow({ id: 'b0', createdAt: T0 - 1_000, total: 5, remaining: 5 });
    const merged = mergeSnapshots(snapshot({ batches: { available: true, inFlight: 3, rows: [late] } }), [
      snapshot({ batches: { available: true, inFlight: 4, rows: [onlyThere, early] } }),
      snapshot({ batches: { available: false, inFlight: 0, rows: [] } }),
    ]);
    expect(merged.batches).toEqual({
      available: true,
      inFlight: 7,
      rows: [
        onlyThere,
        {
          ...late,
          done: 34,
          failed: 2,
          remaining: 64,
          linesPerMinute: 24,
          expectedCompletionInMs: 162_500,
        },
      ],
    });
  });

  it('is off when the lane is off on every worker', () => {
    expect(mergeSnapshots(snapshot({}), [snapshot({})]).batches).toBeNull();
  });
});
