/**
 * Forward mode against the simulator's Anthropic Message Batches API: one
 * create with every request (models rewritten), results read back by
 * custom_id with the provider's errored requests kept as such, a crash
 * between the create and the store's write recovered from the batch list
 * without a second batch, and a cancel forwarded.
 */
import { describe, expect, it } from 'vitest';
import type { BatchStore } from '../../../src/batches/batch-store.js';
import { simulatorsClosedAfterEach } from '../../simulator/started.js';
import {
  ANTHROPIC_KEY,
  createBatch,
  deploymentFor,
  GROUP,
  harness,
  messageLine,
  newStore,
  STORE_KINDS,
  storesClosedAfterEach,
  withOverrides,
} from './forward-setup.js';

storesClosedAfterEach();

const start = simulatorsClosedAfterEach();

async function providerBatches(url: string): Promise<{ id: string; processing_status: string }[]> {
  const res = await fetch(`${url}/v1/messages/batches?limit=100`, {
    headers: { 'x-api-key': ANTHROPIC_KEY },
  });
  return ((await res.json()) as { data: never[] }).data;
}

describe.each(STORE_KINDS)('forward mode: Anthropic Message Batches (%s store)', (kind) => {
  it('sends one message batch and writes every custom_id once with errored requests mapped', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const h = harness(clock, [deploymentFor('anthropic', sim.url)], { store: newStore(kind) });
    const noMax = {
      ...messageLine(1, 'no-max'),
      body: { model: GROUP, messages: [{ role: 'user', content: 'x' }] },
    };
    const batch = await createBatch(h.store, clock, {
      api: 'anthropic',
      lines: [messageLine(0, 'r0'), noMax, messageLine(2, 'r2')],
    });

    await h.runner.tick();
    const sent = await h.store.batch(batch.id);
    expect(sent?.forward?.providerBatchId).toMatch(/^msgbatch_/);
    // Anthropic batches run from their create: the next poll says so.
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.status).toBe('in_progress');

    sim.completeBatches();
    await h.runner.tick();
    expect(h.ended).toEqual([{ batchId: batch.id, outcome: 'completed', errors: [] }]);
    expect((await h.store.batch(batch.id))?.status).toBe('completed');
    const results = await h.store.results(batch.id);
    expect(results.map((r) => [r.customId, r.outcome, r.status])).toEqual([
      ['r0', 'succeeded', 200],
      ['no-max', 'errored', 400],
      ['r2', 'succeeded', 200],
    ]);
    expect(results[0]?.body).toMatchObject({
      type: 'message',
      model: expect.stringMatching(/^claude-sonnet-4-5/),
    });
    expect(results[1]?.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(results[1]?.requestId).not.toBe('');
    expect(await providerBatches(sim.url)).toHaveLength(1);
  });

  it('adopts the message batch a dead sender created instead of creating a second', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const deployments = [deploymentFor('anthropic', sim.url)];
    const store = newStore(kind);
    const batch = await createBatch(store, clock, { api: 'anthropic', lines: [messageLine(0, 'y0')] });
    // Another Sluice batch of the same size, sent just after ours: the newest candidate, never mistaken for ours.
    const other = await createBatch(store, clock, { api: 'anthropic', lines: [messageLine(0, 'x0')] });
    const live = harness(clock, deployments, { store });
    const dying: BatchStore = withOverrides(store, {
      transition: async (...args: Parameters<BatchStore['transition']>) => {
        const [id, from, change] = args;
        return store.transition(id, from, (b) => {
          const next = change(b);
          if (id === batch.id && next.forward?.providerBatchId !== undefined)
            throw new Error('instance died');
          return next;
        });
      },
    });
    await harness(clock, deployments, { store: dying }).runner.tick();
    const held = (await store.batch(other.id))?.forward?.providerBatchId;
    expect(held).toBeDefined();
    expect((await store.batch(batch.id))?.forward?.providerBatchId).toBeUndefined();
    expect(await providerBatches(sim.url)).toHaveLength(2);

    clock.advance(120_000);
    await live.runner.tick();
    const adopted = (await store.batch(batch.id))?.forward?.providerBatchId;
    expect(adopted).toBeDefined();
    expect(adopted).not.toBe(held);
    expect(await providerBatches(sim.url)).toHaveLength(2);
    await live.runner.tick();
    expect((await store.results(batch.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['y0', 'succeeded'],
    ]);
    expect((await store.results(other.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['x0', 'succeeded'],
    ]);
  });

  it('forwards a cancel: the requests not run end canceled', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const h = harness(clock, [deploymentFor('anthropic', sim.url)], { store: newStore(kind) });
    const batch = await createBatch(h.store, clock, {
      api: 'anthropic',
      lines: [messageLine(0, 'r0'), messageLine(1, 'r1'), messageLine(2, 'r2')],
    });
    await h.runner.tick();
    clock.advance(1_000);
    await h.store.transition(batch.id, ['validating', 'in_progress'], (b) => ({
      ...b,
      status: 'cancelling',
    }));
    await h.runner.tick();
    const [provider] = await providerBatches(sim.url);
    expect(provider?.processing_status).toBe('canceling');
    clock.advance(0);
    await h.runner.tick();
    expect(h.ended).toEqual([{ batchId: batch.id, outcome: 'cancelled', errors: [] }]);
    expect((await h.store.results(batch.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['r0', 'succeeded'],
      ['r1', 'canceled'],
      ['r2', 'canceled'],
    ]);
  });
  it('waits when the provider queue of requests in processing is full, and sends once it has room', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000, queue_requests: 3 } });
    const h = harness(clock, [deploymentFor('anthropic', sim.url)], {
      store: newStore(kind),
      refusedRetryMs: 30_000,
    });
    const foreign = await fetch(`${sim.url}/v1/messages/batches`, {
      method: 'POST',
      headers: { 'x-api-key': ANTHROPIC_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: ['f0', 'f1'].map((id) => ({
          custom_id: id,
          params: { ...messageLine(0, id).body, model: 'x' },
        })),
      }),
    });
    expect(foreign.status).toBe(200);
    const batch = await createBatch(h.store, clock, {
      api: 'anthropic',
      lines: [messageLine(0, 'r0'), messageLine(1, 'r1')],
    });
    await h.runner.tick();
    const waiting = await h.store.batch(batch.id);
    expect(waiting?.status).toBe('validating');
    expect(waiting?.forward?.providerBatchId).toBeUndefined();
    expect(waiting?.forward?.submittingAt).toBeUndefined();
    expect(waiting?.forward?.waiting?.code).toBe('rate_limit_error');
    expect(h.errors).toHaveLength(1);

    sim.completeBatches();
    await h.runner.tick(); // too soon after the refusal
    expect(await providerBatches(sim.url)).toHaveLength(1);
    clock.advance(30_000);
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.forward?.providerBatchId).toBeDefined();
    sim.completeBatches();
    await h.runner.tick();
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.status).toBe('completed');
    expect((await h.store.results(batch.id)).map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
  });
});
