/**
 * The enqueued-token limit as a bucket: a batch goes to the provider only
 * when its deployment's queue has room for it (cluster-wide, from the
 * store), waits with a reason otherwise, and a provider that still refuses
 * with `token_limit_exceeded` teaches the limit and never fails the batch.
 */
import { describe, expect, it } from 'vitest';
import { EnqueuedLimits, limitNamedIn } from '../../../src/batches/forward/enqueued-tokens.js';
import { simulatorsClosedAfterEach } from '../../simulator/started.js';
import {
  chatLine,
  createBatch,
  deploymentFor,
  harness,
  newStore,
  OPENAI_KEY,
  STORE_KINDS,
  storesClosedAfterEach,
} from './forward-setup.js';

storesClosedAfterEach();

const start = simulatorsClosedAfterEach();
const auth = { authorization: `Bearer ${OPENAI_KEY}` };

/** A batch of someone else's on the same key: it fills the provider's queue without Sluice knowing. */
async function foreignBatch(url: string, words: number): Promise<void> {
  const row = JSON.stringify({
    custom_id: 'f',
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'word '.repeat(words) }],
      max_tokens: 8,
    },
  });
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([`${row}\n`]), 'foreign.jsonl');
  const file = (await (
    await fetch(`${url}/v1/files`, { method: 'POST', headers: auth, body: form })
  ).json()) as {
    id: string;
  };
  const res = await fetch(`${url}/v1/batches`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    }),
  });
  expect(res.status).toBe(200);
}

async function providerStatuses(url: string): Promise<string[]> {
  const list = (await (await fetch(`${url}/v1/batches?limit=100`, { headers: auth })).json()) as {
    data: { status: string }[];
  };
  return list.data.map((b) => b.status).reverse();
}

describe.each(STORE_KINDS)('enqueued-token limit of forwarding deployments (%s store)', (kind) => {
  it('holds a second batch until the first ends, then sends it', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const h = harness(clock, [deploymentFor('openai', sim.url, { enqueuedTokens: 1_000 })], {
      store: newStore(kind),
    });
    const first = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a')],
      inputTokens: 600,
    });
    const second = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'b')],
      inputTokens: 600,
    });

    await h.runner.tick();
    expect((await h.store.batch(first.id))?.forward?.providerBatchId).toBeDefined();
    const waiting = await h.store.batch(second.id);
    expect(waiting?.status).toBe('validating');
    expect(waiting?.forward?.providerBatchId).toBeUndefined();
    expect(waiting?.forward?.waiting).toEqual({
      code: 'enqueued_token_limit',
      message:
        'Waiting for room at the provider: 600 of 1000 enqueued tokens are held on deployment oa; this batch needs 600.',
    });
    expect(await h.runner.enqueued()).toEqual([{ deployment: 'oa', tokens: 600, limit: 1_000 }]);

    clock.advance(0);
    await h.runner.tick();
    expect((await h.store.batch(second.id))?.forward?.providerBatchId).toBeUndefined();
    expect(await providerStatuses(sim.url)).toEqual(['in_progress']);

    sim.completeBatches();
    await h.runner.tick();
    expect((await h.store.batch(first.id))?.status).toBe('completed');
    const sent = await h.store.batch(second.id);
    expect(sent?.forward?.providerBatchId).toBeDefined();
    expect(sent?.forward?.waiting).toBeUndefined();
    expect(await h.runner.enqueued()).toEqual([{ deployment: 'oa', tokens: 600, limit: 1_000 }]);

    sim.completeBatches();
    await h.runner.tick();
    expect((await h.store.batch(second.id))?.status).toBe('completed');
    expect(await h.runner.enqueued()).toEqual([]);
  });

  it('a batch larger than the whole limit fails at once rather than wait forever', async () => {
    const { sim, clock } = await start();
    const h = harness(clock, [deploymentFor('openai', sim.url, { enqueuedTokens: 500 })], {
      store: newStore(kind),
    });
    const big = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a')],
      inputTokens: 501,
    });
    await h.runner.tick();
    const failed = await h.store.batch(big.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.errors?.[0]?.code).toBe('token_limit_exceeded');
    expect(await providerStatuses(sim.url)).toEqual([]);
  });

  it('learns the limit from token_limit_exceeded, waits, and sends again later without failing the batch', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000, queue_tokens_per_model: 500 } });
    const h = harness(clock, [deploymentFor('openai', sim.url)], {
      store: newStore(kind),
      refusedRetryMs: 60_000,
    });
    await foreignBatch(sim.url, 400);
    clock.advance(0);
    const batch = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a', 'word '.repeat(200))],
      inputTokens: 200,
    });

    await h.runner.tick();
    clock.advance(0); // the provider validates: its queue is full
    await h.runner.tick();
    const refused = await h.store.batch(batch.id);
    expect(refused?.status).toBe('validating');
    expect(refused?.forward?.providerBatchId).toBeUndefined();
    expect(refused?.forward?.waiting?.code).toBe('token_limit_exceeded');
    expect(await h.runner.enqueued()).toEqual([]);
    expect(await h.runner.enqueued([deploymentFor('openai', sim.url)])).toEqual([
      { deployment: 'oa', tokens: 0, limit: 500 },
    ]);

    sim.completeBatches(); // the foreign batch ends
    await h.runner.tick();
    expect(await providerStatuses(sim.url)).toEqual(['completed', 'failed']);

    clock.advance(60_000);
    await h.runner.tick();
    clock.advance(0);
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.status).toBe('in_progress');
    sim.completeBatches();
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.status).toBe('completed');
    expect((await h.store.results(batch.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['a', 'succeeded'],
    ]);
    expect(h.ended.map((e) => e.outcome)).toEqual(['completed']);
  });

  it('reads the limit a refusal names, else guesses below what was asked', () => {
    expect(
      limitNamedIn(
        'Enqueued token limit reached for gpt-4o-mini in organization org-x. Limit: 2,000,000 enqueued tokens. Please try again once some in_progress batches have been completed.',
      ),
    ).toBe(2_000_000);
    const limits = new EnqueuedLimits();
    expect(limits.limit('d', 1_000)).toBe(1_000);
    expect(limits.refused('d', { message: 'queue full', heldBesides: 300, batchTokens: 400 })).toBe(699);
    expect(limits.limit('d', 1_000)).toBe(699);
    expect(
      limits.refused('d', { message: 'Limit: 900 enqueued tokens', heldBesides: 0, batchTokens: 1 }),
    ).toBe(699);
  });
});
