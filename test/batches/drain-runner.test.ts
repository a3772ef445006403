/**
 * The drain runner at its boundary: a batch in a store, a `runLine` that
 * answers as scripted (a stand-in for the gateway's lifecycle), a manual
 * clock, ticks driven by the test. What it must do: write one result per
 * line, give back lines the governor could not serve yet and run them
 * again later, turn repeated upstream failures into errored results, end
 * batches (completed, cancelled, expired) with their files, and promote a
 * line for the minimum share only when the lane starves.
 */
import { describe, expect, it } from 'vitest';
import type { BatchRecord, LineResult } from '../../src/batches/batch.js';
import { DrainRunner } from '../../src/batches/drain/drain-runner.js';
import type { LineAnswer, LineRequest } from '../../src/batches/drain/line-request.js';
import { MinShare } from '../../src/batches/drain/min-share.js';
import { ManualClock } from '../../src/core/clock.js';
import { batchLines, batchRecord } from './batch-store-contract.js';
import { FakeBatchStore } from './fake-batch-store.js';

const ok = (request: LineRequest): LineAnswer => ({
  status: 200,
  requestId: `req-${String(request.body.messages)}`,
  body: { object: 'chat.completion', echo: request.body.messages },
  final: true,
});

function rig(answer: (request: LineRequest, attempt: number) => LineAnswer, minShare = 0) {
  const clock = new ManualClock();
  const store = new FakeBatchStore();
  const asked: LineRequest[] = [];
  const attempts = new Map<string, number>();
  const runner = new DrainRunner({
    store,
    clock,
    fileSize: (_b, results, part) =>
      results.filter((r) => (r.outcome === 'succeeded') === (part === 'output')).length,
    instance: 'test',
    settings: { concurrency: 4, lineLeaseMs: 60_000, pollMs: 3_600_000, backgroundClass: 'background' },
    runLine: async (request) => {
      asked.push(request);
      const key = JSON.stringify(request.body.messages);
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      return answer(request, n);
    },
    minShare: new MinShare({ minShare, requestRatePerMs: () => 0.01 }),
  });
  /** One tick and the lines it started, to their end. */
  const step = async () => {
    await runner.tick();
    await runner.settled();
  };
  return { clock, store, runner, asked, step };
}

async function results(store: FakeBatchStore, id: string): Promise<LineResult[]> {
  return store.results(id);
}

describe('drain runner', () => {
  it('runs every line once in the background class and completes the batch with its files', async () => {
    const { store, step, asked } = rig(ok);
    await store.createBatch(batchRecord('b1', 10), batchLines(10), []);
    for (let i = 0; i < 4; i++) await step();
    const done = (await store.batch('b1')) as BatchRecord;
    expect(done.status).toBe('completed');
    expect(done.outputFileId).toBeDefined();
    expect(done.errorFileId).toBeUndefined();
    const written = await results(store, 'b1');
    expect(written.map((r) => r.index)).toEqual([...Array(10).keys()]);
    expect(written.every((r) => r.outcome === 'succeeded' && r.status === 200)).toBe(true);
    expect(asked).toHaveLength(10);
    expect(asked.every((r) => r.priority === 'background' && r.tenant === 'acme')).toBe(true);
  });

  it('gives back a line the governor could not serve yet and runs it again after its backoff', async () => {
    const { store, step, clock, asked } = rig((request, attempt) =>
      attempt === 1
        ? {
            status: 503,
            requestId: 'x',
            body: { error: { message: 'no capacity' } },
            refusal: 'capacity_exhausted',
            retryAfterMs: 2_000,
            final: false,
          }
        : ok(request),
    );
    await store.createBatch(batchRecord('b2', 1), batchLines(1), []);
    await step();
    expect(await results(store, 'b2')).toEqual([]);
    await step(); // within the backoff: not claimed again
    expect(asked).toHaveLength(1);
    clock.advance(2_000);
    await step();
    await step();
    expect((await results(store, 'b2')).map((r) => r.outcome)).toEqual(['succeeded']);
    expect(((await store.batch('b2')) as BatchRecord).status).toBe('completed');
  });

  it('turns an upstream error that persists into an errored line with its body, never a failed batch', async () => {
    const { store, step, clock } = rig(() => ({
      status: 500,
      requestId: 'r',
      body: { error: { type: 'server_error', message: 'boom' } },
      final: false,
    }));
    await store.createBatch(batchRecord('b3', 1), batchLines(1), []);
    for (let i = 0; i < 5; i++) {
      await step();
      clock.advance(1_000);
    }
    const [line] = await results(store, 'b3');
    expect(line).toMatchObject({
      outcome: 'errored',
      status: 500,
      error: { code: 'server_error', message: 'boom' },
    });
    expect(((await store.batch('b3')) as BatchRecord).status).toBe('completed');
  });

  it('keeps a final 4xx as the line’s answer at once', async () => {
    const { store, step, asked } = rig(() => ({
      status: 403,
      requestId: 'r',
      body: { error: { code: 'model_not_allowed', message: 'not for you' } },
      refusal: 'model_not_allowed',
      final: true,
    }));
    await store.createBatch(batchRecord('b4', 2), batchLines(2), []);
    await step();
    expect((await results(store, 'b4')).map((r) => r.error?.code)).toEqual([
      'model_not_allowed',
      'model_not_allowed',
    ]);
    expect(asked).toHaveLength(2);
  });

  it('ends a cancelled batch: lines in flight are dropped, the rest cancelled, none runs after', async () => {
    // Lines hang until the test lets them go, so the cancel lands while they are in flight.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = new FakeBatchStore();
    const asked: LineRequest[] = [];
    const slow = new DrainRunner({
      store,
      clock: new ManualClock(),
      fileSize: () => undefined,
      instance: 'slow',
      settings: { concurrency: 4, lineLeaseMs: 60_000, pollMs: 3_600_000, backgroundClass: 'background' },
      runLine: async (request) => {
        asked.push(request);
        await gate;
        return ok(request);
      },
      minShare: new MinShare({ minShare: 0, requestRatePerMs: () => undefined }),
    });
    await store.createBatch(batchRecord('b5', 20), batchLines(20), []);
    await slow.tick();
    expect(slow.inFlight).toBe(4);
    await store.transition('b5', ['in_progress'], (b) => ({ ...b, status: 'cancelling' }));
    await slow.tick();
    release();
    await slow.settled();
    const ended = (await store.batch('b5')) as BatchRecord;
    expect(ended.status).toBe('cancelled');
    const outcomes = (await results(store, 'b5')).map((r) => r.outcome);
    expect(outcomes).toEqual(Array(20).fill('canceled'));
    expect(asked).toHaveLength(4);
    await slow.close();
  });

  it('expires a batch past its window', async () => {
    const { store, step, clock } = rig(ok);
    await store.createBatch(batchRecord('b6', 3), batchLines(3), []);
    clock.advance(86_400_000);
    await step();
    expect(((await store.batch('b6')) as BatchRecord).status).toBe('expired');
    expect((await results(store, 'b6')).map((r) => r.outcome)).toEqual(['expired', 'expired', 'expired']);
  });

  it('promotes one line per share interval only while background lines get no answer', async () => {
    // 0.01 requests/ms × 5 % = one promotion per 2,000 ms of starvation.
    const starved: LineAnswer = {
      status: 503,
      requestId: 'x',
      body: undefined,
      refusal: 'capacity_exhausted',
      retryAfterMs: 0,
      final: false,
    };
    const { store, step, clock, asked } = rig(
      (request) => (request.priority === undefined ? ok(request) : starved),
      0.05,
    );
    await store.createBatch(batchRecord('b7', 4), batchLines(4), []);
    for (let t = 0; t < 8; t++) {
      await step();
      clock.advance(500);
    }
    // 4 s of starvation: about two promoted lines answered, the rest still waiting in the background.
    const promoted = asked.filter((r) => r.priority === undefined).length;
    expect(promoted).toBeGreaterThanOrEqual(1);
    expect(promoted).toBeLessThanOrEqual(2);
    expect((await results(store, 'b7')).length).toBe(promoted);
  });
});

describe('minimum share', () => {
  it('starts the clock at the first line and promotes after one interval without progress', () => {
    const share = new MinShare({ minShare: 0.1, requestRatePerMs: () => 0.01 });
    expect(share.intervalMs('g')).toBe(1_000);
    expect(share.promote('g', 0)).toBe(false);
    expect(share.promote('g', 999)).toBe(false);
    expect(share.promote('g', 1_000)).toBe(true);
    share.progressed('g', 1_500);
    expect(share.promote('g', 2_400)).toBe(false);
    expect(share.promote('g', 2_500)).toBe(true);
  });

  it('never promotes with a share of 0', () => {
    const share = new MinShare({ minShare: 0, requestRatePerMs: () => 0.01 });
    expect(share.promote('g', 0)).toBe(false);
    expect(share.promote('g', 1e9)).toBe(false);
  });
});
