/**
 * The dashboard's time-series recorder, on a manual clock: rates per
 * minute, the ring's bounds, append-only series, wait quantiles, sampled
 * lines, and counting that follows the metrics' rules.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import { TimeSeriesRecorder } from '../../src/dashboard/recorder.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import {
  type CacheEvent,
  cacheEvent,
  type SettledEvent,
  settledEvent,
  upstreamEvent,
} from '../runtime/events-kit.js';

const PRIORITIES = ['critical', 'high', 'normal', 'low'];

function setup(options: { windowMs?: number } = {}) {
  // On a second boundary, so slot arithmetic in the tests is exact.
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const recorder = new TimeSeriesRecorder({ clock, priorities: PRIORITIES, ...options });
  const observer = recorder.observer() as GovernorEvents;
  const admit = (waitedMs = 0, priority = 'normal', tenant = 'acme', deployment = 'd1') =>
    observer.admitted({ tenant, priority, group: 'g', deployment, waitedMs, cost: costOf(10, 5) });
  return { clock, recorder, observer, admit };
}

describe('TimeSeriesRecorder', () => {
  it('reports requests as what the trailing 60 s admitted, without the second in progress', () => {
    const { clock, recorder, admit } = setup();
    for (let s = 0; s < 80; s++) {
      for (let i = 0; i < 5; i++) admit();
      clock.advance(1_000);
    }
    const { series } = recorder.series();
    expect(series.t).toHaveLength(80);
    expect(series.t[0]).toBe(Date.UTC(2026, 0, 1, 12, 0, 0));
    expect(series.countWindowMs).toBe(60_000);
    // What a per-minute limit counts: 5, 10, … as the first minute fills, then 300 a minute.
    expect(series.requests.slice(0, 3)).toEqual([5, 10, 15]);
    expect(series.requests.slice(59).every((v) => v === 300)).toBe(true);
    admit();
    expect(recorder.series().series.t).toHaveLength(80);
  });

  it('reads 5 refusals as 5, not a 10 s average scaled to a minute', () => {
    const { clock, recorder, observer } = setup();
    clock.advance(30_000);
    for (let i = 0; i < 5; i++)
      observer.refused({
        tenant: 'acme',
        priority: 'normal',
        group: 'g',
        code: 'queue_full',
        status: 503,
        waitedMs: 0,
        limitedBy: undefined,
      });
    clock.advance(1_000);
    const { series } = recorder.series();
    expect(Math.max(...(series.refusals.queue_full ?? []).map(Number))).toBe(5);
  });

  it('keeps each deployment’s traffic against its own limits, and the limits its provider changed', () => {
    const { clock, recorder, observer } = setup();
    recorder.sampleDeploymentLimits([
      { id: 'openai-1', limits: { rpm: 120, tpm: 40_000 } },
      { id: 'claude-1', limits: { rpm: 50, itpm: 30_000, otpm: 8_000 } },
    ]);
    observer.admitted({
      tenant: 'acme',
      priority: 'normal',
      group: 'g',
      deployment: 'openai-1',
      waitedMs: 0,
      cost: costOf(100, 50),
    });
    observer.settled(settledEvent({ deployment: 'openai-1', delivered: costOf(100, 50) }));
    clock.advance(1_000);
    observer.limit({
      deployment: 'openai-1',
      bucket: 'deployment:openai-1:tokens:minute',
      name: 'tpm',
      from: 40_000,
      to: 68_000,
    });
    recorder.sampleDeploymentLimits([{ id: 'openai-1', limits: { rpm: 120, tpm: 68_000 } }]);
    clock.advance(1_000);
    const { series } = recorder.series();
    expect(series.deployments['openai-1/requests']).toEqual([1, 1]);
    expect(series.deployments['openai-1/inputTokens']).toEqual([100, 100]);
    expect(series.deployments['openai-1/tpm']).toEqual([40_000, 68_000]);
    expect(series.deployments['claude-1/itpm']).toEqual([30_000, 30_000]);
    // No sum of the two deployments' limits anywhere: each keeps its own.
    expect(series.deployments['claude-1/tpm']).toBeUndefined();
    expect(recorder.limitChangesInWindow()).toEqual([
      { at: Date.UTC(2026, 0, 1, 12, 0, 1), deployment: 'openai-1', name: 'tpm', from: 40_000, to: 68_000 },
    ]);
  });

  it('appends: each point is sent once, none skipped', () => {
    const { clock, recorder, admit } = setup();
    let { series, next } = recorder.series();
    const seen = [...series.t];
    for (let s = 0; s < 50; s++) {
      admit();
      clock.advance(s % 3 === 0 ? 2_500 : 700);
      ({ series, next } = recorder.series(next));
      seen.push(...series.t);
    }
    const sorted = [...seen].sort((a, b) => a - b);
    expect(seen).toEqual(sorted);
    expect(new Set(seen).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect((seen[i] as number) - (seen[i - 1] as number)).toBe(1_000);
  });

  it('keeps at most the window, forgetting slots the ring reused', () => {
    const { clock, recorder, admit } = setup({ windowMs: 60_000 });
    for (let s = 0; s < 150; s++) {
      if (s < 10) for (let i = 0; i < 10; i++) admit();
      clock.advance(1_000);
    }
    const { series } = recorder.series();
    expect(series.t.length).toBeLessThanOrEqual(60);
    // The burst of the first 10 s is more than a window ago: nothing of it may show.
    expect(series.requests.every((v) => v === 0)).toBe(true);
  });

  it('leaves a gap-free zero line when nothing happens, and no points before start', () => {
    const { clock, recorder } = setup();
    clock.advance(5_000);
    const { series } = recorder.series();
    expect(series.t).toHaveLength(5);
    expect(series.requests).toEqual([0, 0, 0, 0, 0]);
    expect(series.waitP50Ms.normal).toEqual([null, null, null, null, null]);
  });

  it('gives wait quantiles per class, never under the truth nor over the longest wait', () => {
    const { clock, recorder, admit } = setup();
    for (let ms = 1; ms <= 100; ms++) admit(ms, 'low');
    admit(0, 'critical');
    clock.advance(1_000);
    const { series } = recorder.series();
    const p50 = series.waitP50Ms.low?.[0] as number;
    const p99 = series.waitP99Ms.low?.[0] as number;
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(50 * 1.25);
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(100);
    expect(series.waitP99Ms.critical?.[0]).toBe(0);
    expect(series.waitP50Ms.normal?.[0]).toBeNull();
    expect(recorder.tenantWait('acme', 0.99)).toBeLessThanOrEqual(100);
    expect(recorder.tenantWait('nobody', 0.99)).toBeNull();
  });

  it('keeps the deepest queue of each second and carries limit readings over a skipped second', () => {
    const { clock, recorder } = setup();
    const queues = (normal: number) =>
      PRIORITIES.map((priority) => ({ priority, depth: priority === 'normal' ? normal : 0 }));
    const lines = { requests: 120, inputTokens: undefined, outputTokens: undefined, tokens: 40_000 };
    recorder.sampleQueues(queues(3));
    recorder.sampleQueues(queues(7));
    recorder.sampleQueues(queues(2));
    recorder.sampleLimits(lines);
    clock.advance(1_000);
    recorder.sampleQueues(queues(1)); // a second with a queue reading but no limit reading
    clock.advance(1_000);
    const { series } = recorder.series();
    expect(series.queue.normal).toEqual([7, 1]);
    expect(series.limits.requests).toEqual([120, 120]);
    expect(series.limits.tokens).toEqual([40_000, 40_000]);
    expect(series.limits.inputTokens).toEqual([null, null]);
  });

  it('counts tokens, cache reads, 429s and refusals as the metrics do', () => {
    const { clock, recorder, observer } = setup();
    const settled = (usage: SettledEvent['usage'], delivered?: SettledEvent['delivered']) =>
      observer.settled(settledEvent({ usage, delivered: delivered ?? usage ?? costOf(100, 50) }));
    settled(undefined); // a whole answer without a count: the estimate is what is known
    settled({ inputTokens: 30, outputTokens: 20 });
    expect(recorder.cacheReported).toBe(false);
    // The adapters' ProviderUsage rides through the `settled` event.
    settled({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 600 } as SettledEvent['usage']);
    observer.upstream(upstreamEvent({ status: 429, errorKind: 'rate_limited' }));
    observer.upstream(upstreamEvent({ status: 500, errorKind: 'server_error' }));
    for (const code of ['queue_full', 'queue_full', 'tenant_rate_limited'] as const) {
      observer.refused({
        tenant: 'acme',
        priority: 'normal',
        group: 'g',
        code,
        status: 503,
        waitedMs: 0,
        limitedBy: undefined,
      });
    }
    clock.advance(1_000);
    const { series } = recorder.series();
    // What the trailing 60 s held: the counts themselves.
    expect(series.inputTokens).toEqual([100 + 30 + 10]);
    expect(series.outputTokens).toEqual([50 + 20 + 5]);
    expect(series.cacheReadTokens).toEqual([600]);
    expect(series.upstream429).toEqual([1]);
    expect(series.refusals).toEqual({ queue_full: [2], tenant_rate_limited: [1] });
    expect(recorder.cacheReported).toBe(true);
    expect(recorder.cacheReadTokens).toBe(600);
  });

  it('counts what each deployment admitted in the last minute', () => {
    const { clock, recorder, admit } = setup();
    for (let s = 0; s < 90; s++) {
      admit(0, 'normal', 'acme', 'd1');
      if (s % 2 === 0) admit(0, 'normal', 'acme', 'd2');
      clock.advance(1_000);
    }
    // Now is second 90 (nothing yet); the minute is seconds 31 … 90.
    expect(recorder.admittedLastMinute('d1')).toBe(59);
    expect(recorder.admittedLastMinute('d2')).toBe(29); // even seconds 32 … 88
    expect(recorder.admittedLastMinute('unknown')).toBe(0);
  });

  it('counts the last minute per requested group and deployment, for the spillover share', () => {
    const { clock, observer, recorder } = setup();
    const admit = (group: string, deployment: string) =>
      observer.admitted({
        tenant: 'acme',
        priority: 'normal',
        group,
        deployment,
        waitedMs: 0,
        cost: costOf(1, 1),
      });
    for (let s = 0; s < 90; s++) {
      admit('gpt', 'ptu');
      if (s >= 45) admit('gpt', 'paygo'); // reserved is full from second 45 on
      if (s % 10 === 0) admit('mini', 'ptu'); // a fallback group's calls on the same deployment
      clock.advance(1_000);
    }
    // Now is second 90; the minute is seconds 31 … 90.
    expect(recorder.routesLastMinute()).toEqual([
      { group: 'gpt', deployment: 'ptu', admitted: 59 },
      { group: 'mini', deployment: 'ptu', admitted: 5 },
      { group: 'gpt', deployment: 'paygo', admitted: 45 },
    ]);
    clock.advance(120_000);
    expect(recorder.routesLastMinute().map((r) => r.admitted)).toEqual([0, 0, 0]);
  });

  it('counts the response cache per group over the last minute: outcomes, tokens saved, semantic similarity', () => {
    const { clock, observer, recorder } = setup();
    const cache = (e: Partial<CacheEvent>) => observer.cache(cacheEvent(e));
    cache({ group: 'faq', outcome: 'hit', savedTokens: 120, similarity: 0.96 });
    cache({ group: 'faq', outcome: 'hit', savedTokens: 80, similarity: 0.9 });
    cache({ group: 'faq', outcome: 'miss' });
    clock.advance(1_000);
    // An exact hit says nothing about similarity: it must not pull the semantic mean to 1.
    cache({ group: 'faq', outcome: 'hit', savedTokens: 50 });
    cache({ group: 'faq', outcome: 'stale', savedTokens: 30 });
    cache({ group: 'faq', outcome: 'bypass' });
    cache({ group: 'docs', outcome: 'miss' });
    expect(recorder.responseCacheLastMinute()).toEqual([
      {
        group: 'faq',
        outcomes: { hit: 3, miss: 1, stale: 1, bypass: 1 },
        savedTokens: 280,
        similaritySum: 0.96 + 0.9,
        similarHits: 2,
      },
      {
        group: 'docs',
        outcomes: { hit: 0, miss: 1, stale: 0, bypass: 0 },
        savedTokens: 0,
        similaritySum: 0,
        similarHits: 0,
      },
    ]);
  });

  it('rolls the response cache minute over: a second leaves as the minute moves past it', () => {
    const { clock, observer, recorder } = setup();
    for (let s = 0; s < 90; s++) {
      observer.cache(cacheEvent({ outcome: 'hit', savedTokens: 10 }));
      if (s % 3 === 0) observer.cache(cacheEvent({ outcome: 'miss' }));
      clock.advance(1_000);
    }
    // Now is second 90 (nothing yet); the minute is seconds 31 … 90: 59 hits, misses at 33, 36 … 87.
    const [minute] = recorder.responseCacheLastMinute();
    expect(minute?.outcomes).toEqual({ hit: 59, miss: 19, stale: 0, bypass: 0 });
    expect(minute?.savedTokens).toBe(590);
    clock.advance(58_000); // second 148: the minute is 89 … 148
    expect(recorder.responseCacheLastMinute()[0]?.outcomes.hit).toBe(1);
    clock.advance(1_000);
    expect(recorder.responseCacheLastMinute()).toEqual([
      {
        group: 'g',
        outcomes: { hit: 0, miss: 0, stale: 0, bypass: 0 },
        savedTokens: 0,
        similaritySum: 0,
        similarHits: 0,
      },
    ]);
  });

  it('counts exactly the cache events of the last 60 seconds, whatever the pauses between them', () => {
    const outcome = fc.constantFrom<CacheEvent['outcome']>('hit', 'miss', 'stale', 'bypass');
    // Pauses up to 20 min: beyond the 15-minute ring, so slots are reused.
    const step = fc.record({ outcome, savedTokens: fc.nat(500), pauseMs: fc.nat(1_200_000) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.nat(120_000), (steps, finalPauseMs) => {
        const { clock, observer, recorder } = setup();
        const seen: { slot: number; outcome: CacheEvent['outcome']; savedTokens: number }[] = [];
        for (const { outcome, savedTokens, pauseMs } of steps) {
          clock.advance(pauseMs % 7 === 0 ? pauseMs : pauseMs % 5_000);
          observer.cache(cacheEvent({ outcome, savedTokens }));
          seen.push({ slot: Math.floor(clock.now() / 1_000), outcome, savedTokens });
        }
        clock.advance(finalPauseMs);
        const current = Math.floor(clock.now() / 1_000);
        const recent = seen.filter((e) => e.slot > current - 60);
        const expected = { hit: 0, miss: 0, stale: 0, bypass: 0 };
        for (const e of recent) expected[e.outcome]++;
        const [minute] = recorder.responseCacheLastMinute();
        if (steps.length === 0) expect(minute).toBeUndefined();
        else {
          expect(minute?.outcomes).toEqual(expected);
          expect(minute?.savedTokens).toBe(recent.reduce((n, e) => n + e.savedTokens, 0));
        }
      }),
    );
  });

  it('drops an event stamped before the slot the ring already moved on to', () => {
    const { clock, recorder, admit } = setup({ windowMs: 10_000 });
    const start = clock.now();
    admit();
    clock.set(start + 12_000);
    admit();
    clock.set(start + 2_000); // the clock went back: same ring position as the newer slot
    admit();
    clock.set(start + 13_000);
    expect(recorder.admittedLastMinute('d1')).toBe(1);
  });
});
