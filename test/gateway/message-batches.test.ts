/**
 * The official `@anthropic-ai/sdk`'s `messages.batches.*` against the
 * gateway with the background lane on (an in-memory store, no runner: the
 * tests play its part): create, retrieve, list, cancel, results through the
 * SDK's JSONL decoder, delete, a tenant's isolation, the caps, and invalid
 * requests kept as errored results instead of refusing the batch.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LineResult } from '../../src/batches/batch.js';
import { type BatchRig, startBatchRig } from '../batches/batch-rig.js';
import { baseConfig, KEYS, startRig } from './helpers.js';

let rig: BatchRig;
beforeEach(async () => {
  rig = await startBatchRig(() => ({
    tiers: {
      free: { rpm: 600, priority: 'low', batches: { max_lines: 2, max_file_bytes: 1024 } },
      pro: { rpm: 6_000, priority: 'normal' },
      enterprise: { priority: 'critical' },
    },
  }));
});
afterEach(async () => {
  await rig.close();
});

const request = (id: string, text = 'Hello there') => ({
  custom_id: id,
  params: { model: 'claude-haiku', max_tokens: 64, messages: [{ role: 'user' as const, content: text }] },
});

async function failure(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Anthropic.APIError);
  return error as InstanceType<typeof Anthropic.APIError>;
}

describe('Anthropic message batches through the gateway', () => {
  it('creates, retrieves, lists and cancels a batch', async () => {
    const client = rig.anthropic(KEYS.pro);
    const created = rig.clock.now();
    const batch = await client.messages.batches.create({ requests: [request('a'), request('b')] });
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: new Date(created).toISOString(),
      expires_at: new Date(created + 86_400_000).toISOString(),
      ended_at: null,
      cancel_initiated_at: null,
      archived_at: null,
      results_url: null,
    });
    expect(batch.id).toMatch(/^msgbatch_/);
    expect(await rig.store.batch(batch.id)).toMatchObject({
      tenant: 'pro-co',
      api: 'anthropic',
      status: 'in_progress',
      endpoint: '/v1/messages',
      model: 'claude-haiku',
      total: 2,
    });
    expect(rig.wakes()).toBe(1);
    expect(await client.messages.batches.retrieve(batch.id)).toEqual(batch);

    // The SDK needs a results_url to ask for results; a client asking anyway is told the batch has not ended.
    const early = await fetch(`${rig.gateway.url}/v1/messages/batches/${batch.id}/results`, {
      headers: { 'x-api-key': KEYS.pro, 'anthropic-version': '2023-06-01' },
    });
    expect(early.status).toBe(400);
    expect(early.headers.get('x-sluice-refusal')).toBe('batch_not_ended');
    expect(await early.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    rig.clock.advance(3_000);
    const canceling = await client.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).toBe(new Date(created + 3_000).toISOString());
    expect((await rig.store.batch(batch.id))?.status).toBe('cancelling');
    expect(rig.wakes()).toBe(2);
    const undeletable = await failure(client.messages.batches.delete(batch.id));
    expect(undeletable.status).toBe(400);
    expect(undeletable.headers?.get('x-sluice-refusal')).toBe('batch_not_ended');
  });

  it('pages batches with after_id, before_id and limit', async () => {
    const client = rig.anthropic(KEYS.enterprise);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      rig.clock.advance(1_000);
      ids.unshift((await client.messages.batches.create({ requests: [request('a')] })).id);
    }
    // An OpenAI batch of the same tenant is not on this list.
    const openai = rig.openai(KEYS.enterprise);
    const { toFile } = await import('openai');
    const line = JSON.stringify({
      custom_id: 'x',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [] },
    });
    const file = await openai.files.create({
      file: await toFile(Buffer.from(line), 'in.jsonl'),
      purpose: 'batch',
    });
    await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });

    const first = await client.messages.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual(ids.slice(0, 2));
    expect(first.has_more).toBe(true);
    expect(first.first_id).toBe(ids[0]);
    expect(first.last_id).toBe(ids[1]);
    const all: string[] = [];
    for await (const b of client.messages.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual(ids);
    const newer = await client.messages.batches.list({ before_id: ids[4], limit: 2 });
    expect(newer.data.map((b) => b.id)).toEqual(ids.slice(2, 4));
    expect(newer.has_more).toBe(true);
  });

  it('keeps invalid requests as errored results and runs the rest', async () => {
    const client = rig.anthropic(KEYS.pro);
    const batch = await client.messages.batches.create({
      requests: [
        request('good-1'),
        { custom_id: 'has space', params: request('x').params },
        request('good-1'),
        { custom_id: 'no-params' } as never,
        { custom_id: 'streamed', params: { ...request('s').params, stream: true } } as never,
        request('good-2'),
      ],
    });
    expect(batch.request_counts).toEqual({
      processing: 2,
      succeeded: 0,
      errored: 4,
      canceled: 0,
      expired: 0,
    });
    const results = await rig.store.results(batch.id);
    expect(results.map((r) => [r.index, r.customId, r.status, r.error?.code])).toEqual([
      [1, 'line-2', 400, 'invalid_custom_id'],
      [2, 'line-3', 400, 'duplicate_custom_id'],
      [3, 'no-params', 400, 'invalid_request'],
      [4, 'streamed', 400, 'invalid_request'],
    ]);
    const claimed = await rig.store.claim(
      batch.id,
      { instance: 't', leaseMs: 1_000, max: 10 },
      rig.clock.now(),
    );
    expect(claimed.map((c) => [c.line.index, c.line.customId, c.line.url])).toEqual([
      [0, 'good-1', '/v1/messages'],
      [5, 'good-2', '/v1/messages'],
    ]);
  });

  it('streams the results once ended, every custom_id once, through the SDK decoder', async () => {
    const client = rig.anthropic(KEYS.pro);
    const requests = Array.from({ length: 600 }, (_, i) => request(`r-${i}`));
    requests.push({ custom_id: 'bad id!', params: request('x').params });
    const batch = await client.messages.batches.create({ requests });
    const message = (i: number) => ({ id: `msg_${i}`, type: 'message', role: 'assistant', content: [] });
    const results: LineResult[] = requests.slice(0, 600).map((r, i) =>
      i % 3 === 0
        ? {
            index: i,
            customId: r.custom_id,
            outcome: 'succeeded',
            status: 200,
            requestId: `req-${i}`,
            body: message(i),
          }
        : i % 3 === 1
          ? {
              index: i,
              customId: r.custom_id,
              outcome: 'errored',
              status: 529,
              requestId: `req-${i}`,
              body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
            }
          : { index: i, customId: r.custom_id, outcome: 'canceled', status: 0, requestId: '' },
    );
    await rig.finalize(batch.id, results);
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 200,
      errored: 201,
      canceled: 200,
      expired: 0,
    });
    expect(ended.ended_at).not.toBeNull();
    expect(ended.results_url).toBe(`${rig.gateway.url}/v1/messages/batches/${batch.id}/results`);

    const seen = new Map<string, Anthropic.Messages.MessageBatchResult>();
    for await (const line of await client.messages.batches.results(batch.id)) {
      expect(seen.has(line.custom_id)).toBe(false);
      seen.set(line.custom_id, line.result);
    }
    expect(seen.size).toBe(601);
    expect(seen.get('r-0')).toEqual({ type: 'succeeded', message: message(0) });
    expect(seen.get('r-1')).toEqual({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req-1',
      },
    });
    expect(seen.get('r-2')).toEqual({ type: 'canceled' });
    expect(seen.get('line-601')).toMatchObject({
      type: 'errored',
      error: { type: 'error', error: { type: 'invalid_request_error' } },
    });

    expect(await client.messages.batches.delete(batch.id)).toEqual({
      id: batch.id,
      type: 'message_batch_deleted',
    });
    expect((await failure(client.messages.batches.retrieve(batch.id))).status).toBe(404);
  });

  it("keeps each tenant's batches its own: another's ids are 404s in Anthropic format", async () => {
    const owner = rig.anthropic(KEYS.pro);
    const other = rig.anthropic(KEYS.enterprise);
    const batch = await owner.messages.batches.create({ requests: [request('a')] });
    for (const call of [
      other.messages.batches.retrieve(batch.id),
      other.messages.batches.cancel(batch.id),
      other.messages.batches.delete(batch.id),
      other.messages.batches.results(batch.id),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect(error.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
    expect((await other.messages.batches.list()).data).toEqual([]);
    expect((await rig.store.batch(batch.id))?.status).toBe('in_progress');
    const unknown = await failure(owner.messages.batches.retrieve('msgbatch_nope'));
    expect(unknown.headers?.get('x-sluice-refusal')).toBe('batch_not_found');
  });

  it('refuses what is over the caps, in Anthropic format', async () => {
    const free = rig.anthropic(KEYS.free);
    const big = await failure(free.messages.batches.create({ requests: [request('a', 'x'.repeat(2_000))] }));
    expect(big.status).toBe(413);
    expect(big.headers?.get('x-sluice-refusal')).toBe('file_too_large');
    expect(big.error).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    const many = await failure(
      free.messages.batches.create({ requests: [request('a'), request('b'), request('c')] }),
    );
    expect(many.status).toBe(400);
    expect(many.headers?.get('x-sluice-refusal')).toBe('batch_too_many_lines');
    expect(many.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const none = await failure(free.messages.batches.create({ requests: [] }));
    expect(none.headers?.get('x-sluice-refusal')).toBe('batch_empty');
  });
});

describe('without the background lane', () => {
  it('answers 404 on /v1/messages/batches, and /v1/messages still proxies', async () => {
    const plain = await startRig({ config: (url) => ({ ...baseConfig(url), batches: { enabled: false } }) });
    try {
      const client = plain.anthropic(KEYS.pro);
      const error = await failure(client.messages.batches.list());
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect(error.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      const reply = await client.messages.create({
        model: 'claude-haiku',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(reply.type).toBe('message');
    } finally {
      await plain.close();
    }
  });
});
