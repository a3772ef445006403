/**
 * Forward mode against the simulator's OpenAI Files and Batch APIs: a batch
 * goes up as one provider batch with models rewritten, comes back with
 * every custom_id once (the provider's errored lines kept as such), is
 * recovered without a second provider batch after a crash between the
 * provider's create and the store's write, and is cancelled at the provider.
 */
import { describe, expect, it } from 'vitest';
import type { BatchStore } from '../../../src/batches/batch-store.js';
import { simulatorsClosedAfterEach } from '../../simulator/started.js';
import {
  chatLine,
  createBatch,
  deploymentFor,
  GROUP,
  harness,
  newStore,
  OPENAI_KEY,
  STORE_KINDS,
  storesClosedAfterEach,
  withOverrides,
} from './forward-setup.js';

storesClosedAfterEach();

const start = simulatorsClosedAfterEach();

async function providerGet(url: string, path: string): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${OPENAI_KEY}` } });
  return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
}

async function providerBatches(url: string): Promise<{ id: string; status: string; metadata: unknown }[]> {
  return ((await providerGet(url, '/v1/batches?limit=100')) as { data: never[] }).data;
}

describe.each(STORE_KINDS)('forward mode: OpenAI Batch API (%s store)', (kind) => {
  it('sends the batch once, rewrites models, and writes every custom_id once with errored lines mapped', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const h = harness(clock, [deploymentFor('openai', sim.url)], { store: newStore(kind) });
    const broken = { ...chatLine(2, 'broken'), body: { model: GROUP, max_tokens: 8 } };
    const malformed = {
      index: 3,
      customId: 'malformed',
      outcome: 'errored' as const,
      status: 400,
      requestId: '',
      error: { code: 'invalid_json_line', message: 'not JSON' },
    };
    const batch = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a'), chatLine(1, 'b'), broken, chatLine(4, 'c')],
      known: [malformed],
    });

    await h.runner.tick();
    const sent = await h.store.batch(batch.id);
    expect(sent?.status).toBe('validating');
    expect(sent?.forward).toMatchObject({ deployment: 'oa', enqueuedTokens: 100, submittingAt: clock.now() });
    const providerId = sent?.forward?.providerBatchId as string;
    expect(providerId).toMatch(/^batch_/);

    // The provider's input: the lines not known already, each naming the deployment's model.
    const input = (await providerGet(
      sim.url,
      `/v1/files/${sent?.forward?.providerFileId}/content`,
    )) as string;
    const rows = input
      .trim()
      .split('\n')
      .map((r) => JSON.parse(r));
    expect(rows.map((r) => r.custom_id)).toEqual(['a', 'b', 'broken', 'c']);
    expect(rows.every((r) => r.body.model === 'gpt-4o-mini' && r.method === 'POST')).toBe(true);
    expect((await providerBatches(sim.url))[0]?.metadata).toEqual({ sluice_batch_id: batch.id });

    clock.advance(0); // the provider validates
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.status).toBe('in_progress');
    await h.runner.tick();
    expect(h.ended).toEqual([]);

    sim.completeBatches();
    await h.runner.tick();
    expect(h.ended).toEqual([{ batchId: batch.id, outcome: 'completed', errors: [] }]);
    const done = await h.store.batch(batch.id);
    expect(done?.status).toBe('completed');
    expect(done?.times.finalizing).toBeDefined();
    const results = await h.store.results(batch.id);
    expect(results.map((r) => [r.customId, r.outcome, r.status])).toEqual([
      ['a', 'succeeded', 200],
      ['b', 'succeeded', 200],
      ['broken', 'errored', 400],
      ['malformed', 'errored', 400],
      ['c', 'succeeded', 200],
    ]);
    const first = results[0]?.body as { model: string; object: string };
    expect(first).toMatchObject({ object: 'chat.completion', model: expect.stringMatching(/^gpt-4o-mini/) });
    expect(results[0]?.requestId).not.toBe('');
    expect(results[0]?.tokens).toBeGreaterThan(0);
    expect(results[2]?.body).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(await providerBatches(sim.url)).toHaveLength(1);

    // Ticks after the end change nothing: no second provider batch, no second end.
    await h.runner.tick();
    expect(h.ended).toHaveLength(1);
    expect(await providerBatches(sim.url)).toHaveLength(1);
  });

  it('recovers a batch its sender created at the provider but died before recording, without a second', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const deployments = [deploymentFor('openai', sim.url)];
    const store = newStore(kind);
    const batch = await createBatch(store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a'), chatLine(1, 'b')],
    });
    // The first instance dies right after the provider's create: its write of the provider id never lands.
    const dying: BatchStore = withOverrides(store, {
      transition: async (...args: Parameters<BatchStore['transition']>) => {
        const [id, from, change] = args;
        return store.transition(id, from, (b) => {
          const next = change(b);
          if (next.forward?.providerBatchId !== undefined) throw new Error('instance died');
          return next;
        });
      },
    });
    const first = harness(clock, deployments, { store: dying });
    await first.runner.tick();
    expect(first.errors).toHaveLength(1);
    expect(await providerBatches(sim.url)).toHaveLength(1);
    const marked = await store.batch(batch.id);
    expect(marked?.forward?.submittingAt).toBe(clock.now());
    expect(marked?.forward?.providerBatchId).toBeUndefined();

    const restarted = harness(clock, deployments, { store });
    // Within the submit timeout the mark may be a live sender's: nobody touches it.
    await restarted.runner.tick();
    expect((await store.batch(batch.id))?.forward?.providerBatchId).toBeUndefined();
    const held = await restarted.runner.enqueued();
    expect(held).toEqual([{ deployment: 'oa', tokens: 100, limit: undefined }]);

    clock.advance(120_000);
    await restarted.runner.tick();
    const adopted = await store.batch(batch.id);
    const providers = await providerBatches(sim.url);
    expect(providers).toHaveLength(1);
    expect(adopted?.forward?.providerBatchId).toBe(providers[0]?.id);

    sim.completeBatches();
    await restarted.runner.tick();
    await restarted.runner.tick();
    expect((await store.batch(batch.id))?.status).toBe('completed');
    expect((await store.results(batch.id)).map((r) => r.customId)).toEqual(['a', 'b']);
    expect(await providerBatches(sim.url)).toHaveLength(1);
  });

  it('sends again when the mark is stale and the provider has no batch for it', async () => {
    const { sim, clock } = await start();
    const deployments = [deploymentFor('openai', sim.url)];
    const h = harness(clock, deployments, { store: newStore(kind) });
    const batch = await createBatch(h.store, clock, { api: 'openai', lines: [chatLine(0, 'a')] });
    // A sender died between its mark and the provider's create.
    await h.store.transition(batch.id, ['validating'], (b) => ({
      ...b,
      forward: { deployment: 'oa', enqueuedTokens: b.inputTokens, submittingAt: clock.now() },
    }));
    clock.advance(120_000);
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.forward?.submittingAt).toBeUndefined();
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.forward?.providerBatchId).toBeDefined();
    expect(await providerBatches(sim.url)).toHaveLength(1);
  });

  it('forwards a cancel and ends the lines the provider never ran as canceled', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const h = harness(clock, [deploymentFor('openai', sim.url)], { store: newStore(kind) });
    const batch = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a'), chatLine(1, 'b'), chatLine(2, 'c')],
    });
    await h.runner.tick();
    clock.advance(0);
    await h.runner.tick();
    clock.advance(1_000); // one line answered at the provider
    await h.store.transition(batch.id, ['in_progress'], (b) => ({
      ...b,
      status: 'cancelling',
      times: { ...b.times, cancelling: clock.now() },
    }));
    await h.runner.tick();
    const providerId = (await h.store.batch(batch.id))?.forward?.providerBatchId as string;
    expect((await h.store.batch(batch.id))?.forward?.cancelSent).toBe(true);
    expect(((await providerGet(sim.url, `/v1/batches/${providerId}`)) as { status: string }).status).toMatch(
      /^cancel/,
    );
    clock.advance(0);
    await h.runner.tick();
    expect(h.ended).toEqual([{ batchId: batch.id, outcome: 'cancelled', errors: [] }]);
    expect((await h.store.batch(batch.id))?.status).toBe('cancelled');
    expect((await h.store.results(batch.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['a', 'succeeded'],
      ['b', 'canceled'],
      ['c', 'canceled'],
    ]);
  });
  it('fails the batch with the errors of a provider batch that failed validation', async () => {
    const { sim, clock } = await start();
    const h = harness(clock, [deploymentFor('openai', sim.url)], { store: newStore(kind) });
    const wrongUrl = { ...chatLine(1, 'b'), url: '/v1/embeddings' };
    const batch = await createBatch(h.store, clock, { api: 'openai', lines: [chatLine(0, 'a'), wrongUrl] });
    await h.runner.tick();
    clock.advance(0);
    await h.runner.tick();
    const failed = await h.store.batch(batch.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.errors?.[0]?.code).toBe('mismatched_endpoint');
    expect(h.ended).toEqual([{ batchId: batch.id, outcome: 'failed', errors: failed?.errors }]);
    expect(await h.runner.enqueued()).toEqual([]);
  });

  it('ends a batch cancelled or expired before it was sent without asking the provider', async () => {
    const { sim, clock } = await start();
    const h = harness(clock, [deploymentFor('openai', sim.url, { enqueuedTokens: 100 })], {
      store: newStore(kind),
    });
    const first = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a')],
      inputTokens: 100,
    });
    const cancelled = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'b')],
      inputTokens: 100,
    });
    const expiring = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'c')],
      inputTokens: 100,
    });
    await h.runner.tick();
    expect((await h.store.batch(first.id))?.forward?.providerBatchId).toBeDefined();
    expect((await h.store.batch(cancelled.id))?.forward?.waiting?.code).toBe('enqueued_token_limit');
    await h.store.transition(cancelled.id, ['validating'], (b) => ({ ...b, status: 'cancelling' }));
    await h.store.transition(expiring.id, ['validating'], (b) => ({ ...b, expiresAt: clock.now() }));
    await h.runner.tick();
    expect((await h.store.batch(cancelled.id))?.status).toBe('cancelled');
    expect((await h.store.batch(expiring.id))?.status).toBe('expired');
    expect((await h.store.results(cancelled.id)).map((r) => r.outcome)).toEqual(['canceled']);
    expect((await h.store.results(expiring.id)).map((r) => r.outcome)).toEqual(['expired']);
    expect(await providerBatches(sim.url)).toHaveLength(1);
  });
  it('holds a batch its tenant may not spend yet in validating, with the reason, and sends it once allowed', async () => {
    const { sim, clock } = await start();
    let hold: { code: string; message: string } | undefined = {
      code: 'budget_exceeded',
      message: 'Waiting for the spending budget of tenant acme: $5.00 per day.',
    };
    const asked: string[] = [];
    const h = harness(clock, [deploymentFor('openai', sim.url)], {
      store: newStore(kind),
      tenantHold: async (batch, deployment) => {
        asked.push(`${batch.tenant}@${deployment.id}`);
        return hold;
      },
    });
    const batch = await createBatch(h.store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a')],
      inputTokens: 100,
    });
    await h.runner.tick();
    const waiting = await h.store.batch(batch.id);
    expect(waiting?.status).toBe('validating');
    expect(waiting?.forward?.waiting).toEqual(hold);
    expect(await providerBatches(sim.url)).toHaveLength(0);
    hold = undefined;
    await h.runner.tick();
    expect((await h.store.batch(batch.id))?.forward?.providerBatchId).toBeDefined();
    expect(await providerBatches(sim.url)).toHaveLength(1);
    expect(asked).toEqual([`${batch.tenant}@oa`, `${batch.tenant}@oa`]);
  });

  it('writes results exactly once when an instance dies partway through writing them', async () => {
    const { sim, clock } = await start();
    const deployments = [deploymentFor('openai', sim.url)];
    const store = newStore(kind);
    const batch = await createBatch(store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a'), chatLine(1, 'b'), chatLine(2, 'c')],
    });
    let written = 0;
    const dying: BatchStore = withOverrides(store, {
      complete: async (...args: Parameters<BatchStore['complete']>) => {
        if (++written === 2) throw new Error('instance died');
        return store.complete(...args);
      },
    });
    const first = harness(clock, deployments, { store: dying });
    await first.runner.tick();
    clock.advance(0);
    sim.completeBatches();
    await first.runner.tick();
    expect(first.errors).toHaveLength(1);
    expect((await store.results(batch.id)).map((r) => r.customId)).toEqual(['a']);
    expect((await store.batch(batch.id))?.status).toBe('validating');

    const restarted = harness(clock, deployments, { store });
    await restarted.runner.tick();
    expect((await store.batch(batch.id))?.status).toBe('completed');
    expect((await store.results(batch.id)).map((r) => [r.customId, r.outcome])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    expect(restarted.ended).toHaveLength(1);
    const times = (await store.batch(batch.id))?.times;
    expect(times?.in_progress).toBe(clock.now());
    expect(times?.completed).toBe(clock.now());
  });
  it('an instance acting on a stale read of the batch does not send it a second time', async () => {
    const { sim, clock } = await start();
    const deployments = [deploymentFor('openai', sim.url)];
    const store = newStore(kind);
    const batch = await createBatch(store, clock, {
      api: 'openai',
      lines: [chatLine(0, 'a'), chatLine(1, 'b')],
    });
    // Both instances read the batch unsent; the second acts on that read after the first sent it.
    const read = await store.activeBatches();
    const stale: BatchStore = withOverrides(store, { activeBatches: async () => read });
    const h = harness(clock, deployments, { store: stale });
    await h.another({ instance: 'x' }).tick();
    await h.another({ instance: 'y' }).tick();
    const providers = await providerBatches(sim.url);
    expect(providers).toHaveLength(1);
    expect((await store.batch(batch.id))?.forward?.providerBatchId).toBe(providers[0]?.id);
  });
});
