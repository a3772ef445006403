/** The dashboard's accuracy figures, read back from a registry the gateway's metrics wrote. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { quantile, readAccuracyTotals } from '../../src/dashboard/accuracy-totals.js';
import { AccuracyMetrics } from '../../src/gateway/accuracy-metrics.js';
import { settledEvent } from '../runtime/events-kit.js';

describe('quantile', () => {
  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    const buckets = [
      { le: 10, count: 0 },
      { le: 20, count: 10 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ];
    expect(quantile(0.5, buckets)).toBe(15);
    expect(quantile(0.99, buckets)).toBe(20);
    expect(quantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBe(0);
  });
});

describe('readAccuracyTotals', () => {
  it('gives estimate error, retry outcomes, cache hit ratio and tokens-per-request quantiles', async () => {
    const registry = new Registry();
    const metrics = new AccuracyMetrics(registry);
    metrics.declare(['d1', 'd2']);
    // Reserved 100 in / 50 out, reported 80 in / 25 out: +25 % and +100 %.
    metrics.settled(settledEvent({ usage: { inputTokens: 80, outputTokens: 25 } }));
    metrics.settled(
      settledEvent({
        usage: { inputTokens: 80, outputTokens: 25 },
        delivered: { inputTokens: 80, outputTokens: 25, cacheReadTokens: 60, promptTokens: 80 },
      }),
    );
    metrics.retried({ deployment: 'd1', retries: 2, outcome: 'succeeded' });
    metrics.retried({ deployment: 'd1', retries: 3, outcome: 'failed' });
    metrics.retried({ deployment: 'd1', retries: 1, outcome: 'succeeded' });
    const totals = await readAccuracyTotals(registry);
    expect(totals.byDeployment.get('d1')).toEqual({
      inputError: 0.25,
      outputError: 1,
      retriesSucceeded: 2,
      retriesFailed: 1,
      cacheHitRatio: 0.75,
    });
    expect(totals.byDeployment.get('d2')).toMatchObject({ inputError: null, cacheHitRatio: null });
    // Both requests took 80 in (bucket 64–128) and 25 out (16–32): quantiles interpolate inside those.
    expect(totals.requestTokens).toEqual([
      {
        tenant: 'acme',
        group: 'g',
        requests: 2,
        input: { p50: 96, p95: 125, p99: 127 },
        output: { p50: 24, p95: 31, p99: 32 },
      },
    ]);
  });
});

describe('AccuracyMetrics', () => {
  it('leaves token counts and model lists out: they use no tokens', async () => {
    const registry = new Registry();
    const metrics = new AccuracyMetrics(registry);
    const countTokens = { provider: 'anthropic', model: 'claude-x', endpoint: 'count_tokens' } as const;
    metrics.settled(settledEvent({ target: countTokens, usage: { inputTokens: 0, outputTokens: 0 } }));
    const totals = await readAccuracyTotals(registry);
    expect(totals.requestTokens).toEqual([]);
    expect(totals.byDeployment.size).toBe(0);
  });
});
