/** Shaping the gateway's state into the page's JSON: alert names, tiers, totals, and nothing secret. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { AccuracyTotals } from '../../src/dashboard/accuracy-totals.js';
import type { CounterTotals } from '../../src/dashboard/counter-totals.js';
import { TimeSeriesRecorder } from '../../src/dashboard/recorder.js';
import { publicUrl, type SnapshotSources, shapeSnapshot } from '../../src/dashboard/snapshot.js';
import type { Series } from '../../src/dashboard/wire.js';
import type { BucketReading } from '../../src/gateway/state.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import { batchView } from '../batches/lane-views.js';
import { type CacheEvent, cacheEvent } from '../runtime/events-kit.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function reading(key: string, scope: BucketReading['scope'], owner: string, used: number): BucketReading {
  return {
    key,
    scope,
    owner,
    dimension: 'requests',
    window: 'minute',
    limit: 100,
    capacity: 90,
    used,
    remaining: 90 - used,
    utilization: used / 90,
    resetMs: used * 666.67,
    pausedUntil: scope === 'deployment' ? NOW + 4_000 : 0,
  };
}

const EMPTY_SERIES: Series = {
  resolutionMs: 1_000,
  smoothingMs: 10_000,
  countWindowMs: 60_000,
  deployments: {},
  t: [],
  requests: [],
  inputTokens: [],
  outputTokens: [],
  cacheReadTokens: [],
  limits: { requests: [], inputTokens: [], outputTokens: [], tokens: [] },
  queue: {},
  waitP50Ms: {},
  waitP99Ms: {},
  upstream429: [],
  refusals: {},
};

const COUNTERS: CounterTotals = {
  requestsByTenant: new Map([
    ['acme', 10],
    ['', 2], // unauthenticated requests count in the total, not under a tenant
  ]),
  tokensByTenant: new Map([['acme', { input: 500, output: 120 }]]),
  refusalsByTenant: new Map([['acme', 3]]),
  refusalsByCode: new Map([
    ['tenant_rate_limited', 2],
    ['queue_full', 1],
  ]),
  upstreamByDeployment: new Map([['d1', { responses: 9, failures: 1 }]]),
  rateLimitedByDeployment: new Map([['d1', 2]]),
  admitted: 9,
  costByDeployment: new Map(),
  costByGroup: new Map(),
  mitigatedByGroup: new Map([['chat', new Map([['downgrade', 12]])]]),
  spendByTenant: new Map([['acme', 1.5]]),
};

const ACCURACY: AccuracyTotals = {
  byDeployment: new Map([
    [
      'd1',
      { inputError: 0.123456, outputError: 3, retriesSucceeded: 4, retriesFailed: 1, cacheHitRatio: 0.75 },
    ],
  ]),
  requestTokens: [
    {
      tenant: 'acme',
      group: 'gpt',
      requests: 7,
      input: { p50: 40, p95: 90, p99: 120 },
      output: { p50: 8, p95: 30, p99: 60 },
    },
  ],
};

function sources(overrides: Partial<SnapshotSources> = {}): SnapshotSources {
  return {
    now: NOW,
    startedAt: NOW - 60_000,
    windowMs: 900_000,
    limitChanges: [],
    thresholds: { warn: 0.8, act: 0.9 },
    store: {
      kind: 'redis',
      mode: 'local',
      available: false,
      lastError: 'connect ECONNREFUSED redis://:hunter2@10.0.0.5',
    },
    draining: false,
    inFlight: 1,
    priorities: ['critical', 'normal'],
    queues: [
      { priority: 'critical', depth: 0 },
      { priority: 'normal', depth: 4 },
    ],
    readings: [
      reading('deployment:d1:requests:minute', 'deployment', 'd1', 45),
      reading('tenant:acme:requests:minute', 'tenant', 'acme', 85.5),
    ],
    alertLevel: (key) => (key.startsWith('tenant') ? 2 : 0),
    deployments: [
      {
        id: 'd1',
        group: 'gpt',
        provider: 'azure',
        model: 'gpt-4o',
        baseUrl: 'https://user:s3cret@example.openai.azure.com/openai?api-key=abc',
        weight: 1,
        capacity: 'on_demand',
        price: undefined,
        pools: [],
        circuit: 'half_open',
        adaptiveFactor: 0.7,
        buckets: [
          {
            key: 'deployment:d1:requests:minute',
            scope: 'deployment',
            owner: 'd1',
            dimension: 'requests',
            window: 'minute',
            limit: 70,
            capacity: 63,
          },
          {
            key: 'deployment:d1:concurrency',
            scope: 'deployment',
            owner: 'd1',
            dimension: 'concurrency',
            window: undefined,
            limit: 8,
            capacity: 8,
          },
        ],
      },
    ],
    lastObservations: () => ({
      at: NOW - 1_500,
      observations: [
        { dimension: 'requests', window: 'minute', limit: 100, remaining: 40, resetAt: NOW + 2_000 },
      ],
    }),
    admittedLastMinute: () => 12,
    routesLastMinute: [],
    cachedGroups: [],
    responseCacheLastMinute: [],
    tenants: [
      {
        id: 'acme',
        tier: 'pro',
        priority: 'normal',
        maxWaitMs: 1_000,
        weight: 1,
        modelGroups: undefined,
        buckets: [],
      },
    ],
    tenantWait: (_tenant, q) => (q === 0.5 ? 2 : 80),
    lane: { on: false },
    load: [
      {
        load: {
          group: 'chat',
          level: 'act',
          cause: 'deployment:d1:requests:minute',
          utilization: 0.95432,
          queueWaitMs: 1234.4,
          mitigating: true,
        },
        mitigation: { downgradeTiers: ['free'], pauseClasses: ['low'] },
        active: ['downgrade', 'pause'],
        paused: 2,
      },
      {
        load: {
          group: 'mini',
          level: 'ok',
          cause: undefined,
          utilization: 0.1,
          queueWaitMs: 0,
          mitigating: false,
        },
        mitigation: undefined,
        active: [],
        paused: 0,
      },
    ],
    counters: COUNTERS,
    accuracy: ACCURACY,
    cacheReadTokens: 0,
    cacheReported: false,
    seriesMode: 'replace',
    series: EMPTY_SERIES,
    ...overrides,
  };
}

describe('shapeSnapshot', () => {
  it('shows each group’s load level, what holds it up, and its mitigation actions with the calls each changed', () => {
    expect(shapeSnapshot(sources()).load).toEqual([
      {
        group: 'chat',
        level: 'act',
        cause: 'deployment:d1:requests:minute',
        utilization: 0.954,
        queueWaitMs: 1234,
        mitigating: true,
        actions: [
          { action: 'downgrade', on: true, calls: 12 },
          { action: 'pause', on: true, calls: 0 },
        ],
        paused: 2,
      },
      {
        group: 'mini',
        level: 'ok',
        cause: null,
        utilization: 0.1,
        queueWaitMs: 0,
        mitigating: false,
        actions: [],
        paused: 0,
      },
    ]);
  });

  it('names alert levels, finds tiers, and says how long a pause lasts', () => {
    const snapshot = shapeSnapshot(sources());
    const [deployment, tenant] = snapshot.buckets;
    expect(deployment).toMatchObject({ alert: 'ok', tier: null, pausedForMs: 4_000, utilization: 0.5 });
    expect(tenant).toMatchObject({ alert: 'act', tier: 'pro', utilization: 0.95, remaining: 4.5 });
  });

  it('sums totals from the metric counters', () => {
    expect(shapeSnapshot(sources()).totals).toEqual({
      requests: 12,
      admitted: 9,
      inputTokens: 500,
      outputTokens: 120,
      cacheReadTokens: 0,
      refused: 3,
      refusalsByCode: { tenant_rate_limited: 2, queue_full: 1 },
      upstreamResponses: 9,
      upstream429: 2,
    });
  });

  it('shows deployments with their lowered limits and last headers', () => {
    const [d] = shapeSnapshot(sources()).deployments;
    expect(d).toMatchObject({
      circuit: 'half_open',
      adaptiveFactor: 0.7,
      limits: [{ dimension: 'requests', window: 'minute', limit: 70 }],
      admittedLastMinute: 12,
      responses: 9,
      rateLimited: 2,
      failures: 1,
      lastHeadersAgoMs: 1_500,
      lastHeaders: [
        { dimension: 'requests', window: 'minute', limit: 100, remaining: 40, resetInMs: 2_000, scope: null },
      ],
      estimateError: { input: 0.1235, output: 3 },
      retries: { succeeded: 4, failed: 1 },
      cacheHitRatio: 0.75,
    });
  });

  it('shows tokens per request by tenant and group, and no accuracy for a deployment without reports', () => {
    const snapshot = shapeSnapshot(
      sources({ accuracy: { byDeployment: new Map(), requestTokens: ACCURACY.requestTokens } }),
    );
    expect(snapshot.requestTokens).toEqual(ACCURACY.requestTokens);
    expect(snapshot.deployments[0]).toMatchObject({
      estimateError: { input: null, output: null },
      retries: { succeeded: 0, failed: 0 },
      cacheHitRatio: null,
    });
  });

  it('shows tenants by id and tier with their counters and waits', () => {
    expect(shapeSnapshot(sources()).tenants).toEqual([
      {
        id: 'acme',
        tier: 'pro',
        priority: 'normal',
        requests: 10,
        inputTokens: 500,
        outputTokens: 120,
        refused: 3,
        spendUsd: 1.5,
        waitP50Ms: 2,
        waitP99Ms: 80,
      },
    ]);
  });

  it('splits each group that can spill between reserved and on-demand, with the cost of each', () => {
    const deployment = (id: string, group: string, capacity: 'reserved' | 'on_demand', priced: boolean) => ({
      id,
      group,
      provider: 'azure' as const,
      model: 'gpt-4o',
      baseUrl: 'https://example.openai.azure.com/openai',
      weight: 1,
      capacity,
      price: priced ? { inputPerMTok: 2.5, outputPerMTok: 10 } : undefined,
      pools: [],
      circuit: 'closed' as const,
      adaptiveFactor: 1,
      buckets: [],
    });
    const snapshot = shapeSnapshot(
      sources({
        deployments: [
          deployment('ptu', 'gpt', 'reserved', true),
          deployment('paygo', 'gpt', 'on_demand', true),
          deployment('ptu-idle', 'idle', 'reserved', false),
          deployment('mini', 'mini', 'on_demand', true),
        ],
        // `mini` falls back to `gpt`: its calls that reached `ptu` make it a group that can spill.
        routesLastMinute: [
          { group: 'gpt', deployment: 'ptu', admitted: 30 },
          { group: 'gpt', deployment: 'paygo', admitted: 10 },
          { group: 'mini', deployment: 'mini', admitted: 5 },
          { group: 'mini', deployment: 'ptu', admitted: 15 },
          { group: 'solo', deployment: 'elsewhere', admitted: 7 },
        ],
        counters: {
          ...COUNTERS,
          costByDeployment: new Map([
            ['ptu', 1.234567],
            ['paygo', 0.5],
          ]),
          costByGroup: new Map([['gpt', { reserved: 1.234567, onDemand: 0.5 }]]),
        },
      }),
    );
    expect(snapshot.spillover).toEqual([
      {
        group: 'gpt',
        reservedLastMinute: 30,
        onDemandLastMinute: 10,
        spilloverShare: 0.25,
        reservedCostUsd: 1.2346,
        onDemandCostUsd: 0.5,
      },
      {
        group: 'idle',
        reservedLastMinute: 0,
        onDemandLastMinute: 0,
        spilloverShare: null,
        reservedCostUsd: null,
        onDemandCostUsd: null,
      },
      {
        group: 'mini',
        reservedLastMinute: 15,
        onDemandLastMinute: 5,
        spilloverShare: 0.25,
        reservedCostUsd: null,
        onDemandCostUsd: null,
      },
    ]);
    const byId = new Map(snapshot.deployments.map((d) => [d.id, d]));
    expect(byId.get('ptu')).toMatchObject({
      capacity: 'reserved',
      price: { inputPerMTok: 2.5, outputPerMTok: 10 },
      costUsd: 1.2346,
    });
    // Priced but no traffic yet: zero; no price: no cost at all.
    expect(byId.get('mini')).toMatchObject({ capacity: 'on_demand', costUsd: 0 });
    expect(byId.get('ptu-idle')).toMatchObject({ price: null, costUsd: null });
  });

  it('lists the response cache of each group that has one, events in and rows out, as the minute rolls', () => {
    const clock = new ManualClock(NOW);
    const recorder = new TimeSeriesRecorder({ clock, priorities: ['normal'] });
    const observer = recorder.observer() as GovernorEvents;
    const cache = (e: Partial<CacheEvent>) => observer.cache(cacheEvent(e));
    const rows = () =>
      shapeSnapshot(
        sources({
          // `plain` has no cache (its events, if any came, are not a row); `cold` has one but no calls yet.
          cachedGroups: [
            { group: 'faq', mode: 'semantic' },
            { group: 'docs', mode: 'exact' },
            { group: 'cold', mode: 'exact' },
          ],
          responseCacheLastMinute: recorder.responseCacheLastMinute(),
        }),
      ).responseCache;
    cache({ group: 'faq', outcome: 'hit', savedTokens: 300, similarity: 0.97 });
    cache({ group: 'faq', outcome: 'hit', savedTokens: 100, similarity: 0.95 });
    cache({ group: 'faq', outcome: 'miss' });
    clock.advance(30_000);
    cache({ group: 'faq', outcome: 'stale', savedTokens: 40 });
    cache({ group: 'docs', outcome: 'hit', savedTokens: 60 });
    cache({ group: 'docs', outcome: 'miss' });
    cache({ group: 'docs', outcome: 'miss' });
    cache({ group: 'docs', outcome: 'bypass' });
    cache({ group: 'plain', outcome: 'miss' });
    const cold = {
      group: 'cold',
      mode: 'exact',
      outcomes: { hit: 0, miss: 0, stale: 0, bypass: 0 },
      hitRate: null,
      savedTokens: 0,
      meanSimilarity: null,
    };
    expect(rows()).toEqual([
      {
        group: 'faq',
        mode: 'semantic',
        outcomes: { hit: 2, miss: 1, stale: 1, bypass: 0 },
        // Stale answers are served, but they are not what the hit rate measures.
        hitRate: 0.6667,
        savedTokens: 440,
        meanSimilarity: 0.96,
      },
      {
        group: 'docs',
        mode: 'exact',
        outcomes: { hit: 1, miss: 2, stale: 0, bypass: 1 },
        hitRate: 0.3333,
        savedTokens: 60,
        meanSimilarity: null,
      },
      cold,
    ]);
    // 60 s after the first second: its hits and miss have left the minute, the later calls have not.
    clock.advance(30_000);
    expect(rows()[0]).toEqual({
      group: 'faq',
      mode: 'semantic',
      outcomes: { hit: 0, miss: 0, stale: 1, bypass: 0 },
      hitRate: null,
      savedTokens: 40,
      meanSimilarity: null,
    });
    expect(rows()[1]?.outcomes).toEqual({ hit: 1, miss: 2, stale: 0, bypass: 1 });
    clock.advance(30_000);
    expect(rows().map((r) => r.hitRate)).toEqual([null, null, null]);
    expect(rows().map((r) => r.savedTokens)).toEqual([0, 0, 0]);
  });

  it('lists no response cache when no group caches, whatever events came', () => {
    const snapshot = shapeSnapshot(
      sources({
        responseCacheLastMinute: [
          {
            group: 'gpt',
            outcomes: { hit: 3, miss: 1, stale: 0, bypass: 0 },
            savedTokens: 90,
            similaritySum: 0,
            similarHits: 0,
          },
        ],
      }),
    );
    expect(snapshot.responseCache).toEqual([]);
  });

  it('never carries credentials: not from upstream URLs, not from store errors', () => {
    const text = JSON.stringify(shapeSnapshot(sources()));
    expect(text).not.toMatch(/s3cret|api-key|abc|hunter2|10\.0\.0\.5/);
    expect(text).toContain('https://example.openai.azure.com/openai');
  });
});

const batch = (over: Parameters<typeof batchView>[1]) => batchView(NOW, over);

describe('shapeSnapshot: background batches', () => {
  it('has no batches section while the lane is off', () => {
    expect(shapeSnapshot(sources()).batches).toBeNull();
  });

  it('lists each active batch oldest first, its lines split in three, its pace, when it should be done, and what holds it', () => {
    const shaped = shapeSnapshot(
      sources({
        lane: {
          on: true,
          snapshot: {
            at: NOW,
            inFlight: 6,
            batches: [
              batch({
                id: 'batch_new',
                tenant: 'globex',
                mode: 'forward',
                status: 'validating',
                total: 10,
                waiting: {
                  code: 'budget_exceeded',
                  message: 'Waiting for the spending budget of tenant globex.',
                },
              }),
              batch({
                id: 'batch_old',
                api: 'anthropic',
                createdAt: NOW - 3_600_000,
                succeeded: 40,
                errored: 3,
                canceled: 1,
                expired: 1,
                linesPerMinute: 27.345,
                expectedCompletionAt: NOW + 122_222.4,
              }),
            ],
          },
        },
      }),
    );
    expect(shaped.batches).toEqual({
      available: true,
      inFlight: 6,
      rows: [
        {
          id: 'batch_old',
          tenant: 'acme',
          api: 'anthropic',
          mode: 'drain',
          model: 'gpt',
          status: 'in_progress',
          createdAt: NOW - 3_600_000,
          total: 100,
          done: 40,
          failed: 5,
          remaining: 55,
          linesPerMinute: 27.3,
          expectedCompletionInMs: 122_222,
          waiting: null,
        },
        {
          id: 'batch_new',
          tenant: 'globex',
          api: 'openai',
          mode: 'forward',
          model: 'gpt',
          status: 'validating',
          createdAt: NOW - 600_000,
          total: 10,
          done: 0,
          failed: 0,
          remaining: 10,
          linesPerMinute: 0,
          expectedCompletionInMs: null,
          waiting: 'Waiting for the spending budget of tenant globex.',
        },
      ],
    });
  });

  it('says the batches are unavailable when the lane could not be read, and empty when none run', () => {
    expect(shapeSnapshot(sources({ lane: { on: true, snapshot: undefined } })).batches).toEqual({
      available: false,
      inFlight: 0,
      rows: [],
    });
    expect(
      shapeSnapshot(sources({ lane: { on: true, snapshot: { at: NOW, inFlight: 0, batches: [] } } })).batches,
    ).toEqual({ available: true, inFlight: 0, rows: [] });
  });
});

describe('publicUrl', () => {
  it('keeps origin and path only', () => {
    expect(publicUrl('https://u:p@api.example.com:8443/v1/?key=x#frag')).toBe(
      'https://api.example.com:8443/v1/',
    );
    expect(publicUrl('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(publicUrl('not a url')).toBe('');
  });
});
