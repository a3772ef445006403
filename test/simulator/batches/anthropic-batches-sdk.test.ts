/**
 * The official `@anthropic-ai/sdk` against the simulator's Message Batches
 * API: create, poll over simulated time, stream results, cancel, list
 * pagination both ways, delete, the queue limit and the batch RPM.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { simulatorsClosedAfterEach } from '../started.js';

const start = simulatorsClosedAfterEach();

function client(url: string) {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: url, maxRetries: 0 });
}

function request(customId: string, text = 'Hello there') {
  return {
    custom_id: customId,
    params: {
      model: 'claude-sonnet-4-5',
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: text }],
    },
  };
}

async function results(anthropic: Anthropic, id: string) {
  const out: Anthropic.Messages.Batches.MessageBatchIndividualResponse[] = [];
  for await (const r of await anthropic.messages.batches.results(id)) out.push(r);
  return out;
}

describe('Anthropic Message Batches with the official SDK', () => {
  it('processes a batch over simulated time and streams one result per custom_id', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 }, defaults: { rpm: 2 } });
    const anthropic = client(sim.url);
    const invalid = {
      custom_id: 'no-max',
      params: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] },
    };
    const batch = await anthropic.messages.batches.create({
      requests: [request('r1'), request('r2'), request('r3'), invalid as never],
    });
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: null,
      ended_at: null,
    });
    expect(Date.parse(batch.expires_at) - Date.parse(batch.created_at)).toBe(86_400_000);
    await expect(anthropic.messages.batches.results(batch.id)).rejects.toThrow(/results_url/);

    clock.advance(2_000);
    const midway = await anthropic.messages.batches.retrieve(batch.id);
    expect(midway.request_counts).toMatchObject({ processing: 2, succeeded: 2 });
    clock.advance(10_000);
    const ended = await anthropic.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 3,
      errored: 1,
      canceled: 0,
      expired: 0,
    });
    expect(ended.results_url).toBe(`${sim.url}/v1/messages/batches/${batch.id}/results`);

    const all = await results(anthropic, batch.id);
    expect(all.map((r) => r.custom_id)).toEqual(['r1', 'r2', 'r3', 'no-max']);
    const first = all[0]?.result;
    if (first?.type !== 'succeeded') throw new Error('first result should have succeeded');
    expect(first.message.type).toBe('message');
    expect(first.message.usage.service_tier).toBe('batch');
    expect(all[3]?.result).toMatchObject({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
        request_id: expect.stringMatching(/^req_/),
      },
    });
    // Batch requests are not counted against the synchronous limits.
    expect(sim.stats().admitted).toBe(0);
    expect(sim.stats().limits).toEqual({});
  });

  it('cancels: canceling, then ended with the unanswered requests canceled', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const anthropic = client(sim.url);
    const batch = await anthropic.messages.batches.create({
      requests: ['a', 'b', 'c'].map((id) => request(id)),
    });
    clock.advance(1_000);
    const canceling = await anthropic.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    await expect(anthropic.messages.batches.delete(batch.id)).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
    clock.advance(0);
    const ended = await anthropic.messages.batches.retrieve(batch.id);
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 0,
      canceled: 2,
      expired: 0,
    });
    const all = await results(anthropic, batch.id);
    expect(all.map((r) => [r.custom_id, r.result.type])).toEqual([
      ['a', 'succeeded'],
      ['b', 'canceled'],
      ['c', 'canceled'],
    ]);
    expect(await anthropic.messages.batches.delete(batch.id)).toEqual({
      id: batch.id,
      type: 'message_batch_deleted',
    });
    await expect(anthropic.messages.batches.retrieve(batch.id)).rejects.toBeInstanceOf(
      Anthropic.NotFoundError,
    );
  });

  it('ends a batch still processing after 24 h with the rest of its requests expired', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 10 * 3_600_000 } });
    const anthropic = client(sim.url);
    const batch = await anthropic.messages.batches.create({
      requests: ['x', 'y', 'z'].map((id) => request(id)),
    });
    clock.advance(30 * 3_600_000);
    const ended = await anthropic.messages.batches.retrieve(batch.id);
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 0,
      canceled: 0,
      expired: 1,
    });
    expect(ended.ended_at).toBe(ended.expires_at);
    expect((await results(anthropic, batch.id)).map((r) => r.result.type)).toEqual([
      'succeeded',
      'succeeded',
      'expired',
    ]);
  });

  it('refuses a batch that would overflow the queue of requests in processing with 429', async () => {
    const { sim } = await start({ batches: { pace_ms_per_line: 1_000, queue_requests: 3 } });
    const anthropic = client(sim.url);
    await anthropic.messages.batches.create({ requests: [request('a'), request('b')] });
    const refused = await anthropic.messages.batches
      .create({ requests: [request('c'), request('d')] })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
    });
    expect(sim.completeBatches()).toBe(1);
    await expect(
      anthropic.messages.batches.create({ requests: [request('c'), request('d')] }),
    ).resolves.toMatchObject({
      processing_status: 'in_progress',
    });
  });

  it('limits the batch endpoints to their own RPM, with retry-after', async () => {
    const { sim, clock } = await start({ batches: { anthropic_rpm: 2 } });
    const anthropic = client(sim.url);
    const batch = await anthropic.messages.batches.create({ requests: [request('a')] });
    await anthropic.messages.batches.retrieve(batch.id);
    clock.advance(20_000);
    const refused = await anthropic.messages.batches.retrieve(batch.id).catch((e) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after')).toBe('40');
    clock.advance(40_000);
    await expect(anthropic.messages.batches.retrieve(batch.id)).resolves.toMatchObject({ id: batch.id });
  });

  it('refuses duplicate custom_ids and an empty request list with 400', async () => {
    const { sim } = await start();
    const anthropic = client(sim.url);
    await expect(
      anthropic.messages.batches.create({ requests: [request('a'), request('a')] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(anthropic.messages.batches.create({ requests: [] })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
  });

  it('lists newest first, paging with after_id and before_id', async () => {
    const { sim } = await start();
    const anthropic = client(sim.url);
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push((await anthropic.messages.batches.create({ requests: [request('a')] })).id);
    const newestFirst = [...created].reverse();
    const page = await anthropic.messages.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 2));
    expect(page).toMatchObject({ has_more: true, first_id: newestFirst[0], last_id: newestFirst[1] });
    const all: string[] = [];
    for await (const b of anthropic.messages.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual(newestFirst);
    const newer = await anthropic.messages.batches.list({ limit: 2, before_id: newestFirst[3] });
    expect(newer.data.map((b) => b.id)).toEqual(newestFirst.slice(1, 3));
    expect(newer.has_more).toBe(true);
  });
});
