/**
 * The background lane in `/metrics`: per active batch its lines by state,
 * pace and expected completion, active batches by mode and status, lines
 * in flight, read from the lane's snapshot at each scrape (a fake lane with
 * a fixed snapshot on a real gateway); ended batches drop out; and the
 * lines counter the drain runner's `onLine` feeds.
 */
import { AggregatorRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { BatchRecord, LineResult } from '../../src/batches/batch.js';
import type { LaneSnapshot } from '../../src/batches/lane-snapshot.js';
import { BatchMetrics } from '../../src/gateway/batch-metrics.js';
import { batchView, fixedLane } from '../batches/lane-views.js';
import { sample, scrape, start } from './metrics-rig.js';
import { json } from './scripted-upstream.js';

const NOW = 1_700_000_000_000;

const view = (over: Parameters<typeof batchView>[1]) => batchView(NOW, over);

/** A gateway whose lane (when given a first snapshot) answers whatever the test last `set`. */
async function gatewayWithLane(first: LaneSnapshot | undefined) {
  const { gateway } = await start(({ res }) => json(res, 500, {}));
  let current = first;
  // The gateway's own lane is replaced by a fixed one, or taken away (the lane off).
  gateway.context.lane = first ? fixedLane(() => current as LaneSnapshot) : undefined;
  return {
    gateway,
    set(next: LaneSnapshot) {
      current = next;
    },
  };
}

describe('background lane metrics', () => {
  it('shows each active batch’s lines, pace and expected completion from the lane’s snapshot', async () => {
    const { gateway } = await gatewayWithLane({
      at: NOW,
      batches: [
        view({
          id: 'batch_a',
          succeeded: 40,
          errored: 3,
          canceled: 1,
          expired: 1,
          linesPerMinute: 30,
          expectedCompletionAt: NOW + 110_000,
        }),
        view({ id: 'batch_b', tenant: 'globex', mode: 'forward', status: 'validating', total: 10 }),
      ],
      inFlight: 7,
    });
    const text = await scrape(gateway);
    const lines = (batch: string, state: string) => sample(text, 'sluice_batch_lines', { batch, state });
    expect(lines('batch_a', 'done')).toBe(40);
    expect(lines('batch_a', 'failed')).toBe(5);
    expect(lines('batch_a', 'remaining')).toBe(55);
    expect(sample(text, 'sluice_batch_lines', { batch: 'batch_a', tenant: 'acme', mode: 'drain' })).toBe(40);
    expect(lines('batch_b', 'remaining')).toBe(10);
    expect(sample(text, 'sluice_batch_lines', { batch: 'batch_b', tenant: 'globex', mode: 'forward' })).toBe(
      0,
    );
    expect(sample(text, 'sluice_batch_lines_per_minute', { batch: 'batch_a', tenant: 'acme' })).toBe(30);
    expect(sample(text, 'sluice_batch_lines_per_minute', { batch: 'batch_b' })).toBe(0);
    expect(sample(text, 'sluice_batch_expected_completion_seconds', { batch: 'batch_a' })).toBe(110);
    // Not moving: no expected completion rather than a made-up one.
    expect(sample(text, 'sluice_batch_expected_completion_seconds', { batch: 'batch_b' })).toBeUndefined();
    expect(sample(text, 'sluice_batches_active', { mode: 'drain', status: 'in_progress' })).toBe(1);
    expect(sample(text, 'sluice_batches_active', { mode: 'forward', status: 'validating' })).toBe(1);
    expect(sample(text, 'sluice_batches_active', { mode: 'forward', status: 'cancelling' })).toBe(0);
    expect(sample(text, 'sluice_batch_lines_in_flight')).toBe(7);
  });

  it('shows forward mode’s enqueued tokens and their limit per deployment', async () => {
    const { gateway } = await gatewayWithLane({
      at: NOW,
      batches: [],
      inFlight: 0,
      enqueued: [
        { deployment: 'openai-1', tokens: 1_200_000, limit: 2_000_000 },
        { deployment: 'anthropic-1', tokens: 0, limit: undefined },
      ],
    });
    const text = await scrape(gateway);
    expect(sample(text, 'sluice_batch_enqueued_tokens', { deployment: 'openai-1' })).toBe(1_200_000);
    expect(sample(text, 'sluice_batch_enqueued_tokens_limit', { deployment: 'openai-1' })).toBe(2_000_000);
    expect(sample(text, 'sluice_batch_enqueued_tokens', { deployment: 'anthropic-1' })).toBe(0);
    // No limit known: no limit series rather than a made-up one.
    expect(sample(text, 'sluice_batch_enqueued_tokens_limit', { deployment: 'anthropic-1' })).toBeUndefined();
  });

  it('drops a batch once it ended, and follows its progress between scrapes', async () => {
    const running = view({ id: 'batch_a', succeeded: 10, linesPerMinute: 10 });
    const { gateway, set } = await gatewayWithLane({
      at: NOW,
      batches: [running, view({ id: 'batch_b' })],
      inFlight: 2,
    });
    expect(sample(await scrape(gateway), 'sluice_batch_lines', { batch: 'batch_b' })).toBeDefined();
    set({
      at: NOW + 60_000,
      batches: [{ ...running, succeeded: 70, linesPerMinute: 60, expectedCompletionAt: NOW + 90_000 }],
      inFlight: 0,
    });
    const text = await scrape(gateway);
    expect(text).not.toContain('batch="batch_b"');
    expect(sample(text, 'sluice_batch_lines', { batch: 'batch_a', state: 'done' })).toBe(70);
    expect(sample(text, 'sluice_batch_lines', { batch: 'batch_a', state: 'remaining' })).toBe(30);
    expect(sample(text, 'sluice_batch_expected_completion_seconds', { batch: 'batch_a' })).toBe(30);
    expect(sample(text, 'sluice_batches_active', { mode: 'drain', status: 'in_progress' })).toBe(1);
    expect(sample(text, 'sluice_batch_lines_in_flight')).toBe(0);
  });

  it('has no batch series while the lane is off', async () => {
    const { gateway } = await gatewayWithLane(undefined);
    const text = await scrape(gateway);
    for (const name of ['sluice_batch_lines', 'sluice_batches_active', 'sluice_batch_lines_total'])
      expect(sample(text, name)).toBeUndefined();
    expect(sample(text, 'sluice_batch_lines_in_flight')).toBe(0);
  });

  it('counts lines the drain runner answered by tenant, outcome and promotion', async () => {
    const { gateway } = await gatewayWithLane({ at: NOW, batches: [], inFlight: 0 });
    // Declared at zero for the configured tenants while the lane is on.
    let text = await scrape(gateway);
    expect(
      sample(text, 'sluice_batch_lines_total', { tenant: 'acme', outcome: 'succeeded', promoted: 'false' }),
    ).toBe(0);
    expect(
      sample(text, 'sluice_batch_lines_total', { tenant: 'acme', outcome: 'errored', promoted: 'false' }),
    ).toBe(0);
    const batch = { id: 'batch_a', tenant: 'acme' } as BatchRecord;
    const line = (outcome: LineResult['outcome']): LineResult => ({
      index: 0,
      customId: 'r1',
      outcome,
      status: outcome === 'succeeded' ? 200 : 429,
      requestId: 'req_1',
    });
    const metrics = gateway.metrics;
    metrics.countBatchLine(batch, line('succeeded'), false);
    metrics.countBatchLine(batch, line('succeeded'), false);
    metrics.countBatchLine(batch, line('succeeded'), true);
    metrics.countBatchLine(batch, line('errored'), false);
    text = await scrape(gateway);
    const count = (outcome: string, promoted: string) =>
      sample(text, 'sluice_batch_lines_total', { tenant: 'acme', outcome, promoted });
    expect(count('succeeded', 'false')).toBe(2);
    expect(count('succeeded', 'true')).toBe(1);
    expect(count('errored', 'false')).toBe(1);
    // An empty lane: no batch series, the active counts at zero.
    expect(sample(text, 'sluice_batch_lines')).toBeUndefined();
    expect(sample(text, 'sluice_batches_active', { mode: 'drain', status: 'in_progress' })).toBe(0);
  });

  it('leaves the batches out of a scrape when the lane cannot be read, and still answers', async () => {
    const { gateway } = await start(({ res }) => json(res, 500, {}));
    gateway.context.lane = fixedLane(() => {
      throw new Error('store down');
    });
    const res = await fetch(gateway.metricsUrl as string);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'sluice_batch_lines')).toBeUndefined();
    expect(sample(text, 'sluice_requests_total', { tenant: 'acme' })).toBe(0);
  });

  it('merges over --workers N: one worker’s reading of each batch, lines in flight and counts summed', async () => {
    // Two workers read the one store a moment apart; each runs its own lines.
    const readings: LaneSnapshot[] = [
      { at: NOW, batches: [view({ id: 'batch_a', succeeded: 40, errored: 2 })], inFlight: 3 },
      { at: NOW + 50, batches: [view({ id: 'batch_a', succeeded: 41, errored: 2 })], inFlight: 5 },
    ];
    const workers = await Promise.all(
      readings.map(async (reading, i) => {
        const registry = new Registry();
        const metrics = new BatchMetrics(registry, async () => reading);
        for (let n = 0; n <= i; n++)
          metrics.countLine({ tenant: 'acme' } as BatchRecord, { outcome: 'succeeded' } as LineResult, false);
        return registry.getMetricsAsJSON();
      }),
    );
    const text = await AggregatorRegistry.aggregate(workers).metrics();
    const lines = (state: string) => sample(text, 'sluice_batch_lines', { batch: 'batch_a', state });
    // Done, failed and remaining come from one reading, so they still add up to the batch's lines.
    expect([lines('done'), lines('failed'), lines('remaining')]).toEqual([40, 2, 58]);
    expect(sample(text, 'sluice_batches_active', { mode: 'drain', status: 'in_progress' })).toBe(1);
    expect(sample(text, 'sluice_batch_lines_in_flight')).toBe(8);
    expect(sample(text, 'sluice_batch_lines_total', { tenant: 'acme', outcome: 'succeeded' })).toBe(3);
  });
});
