/**
 * The official `openai` SDK's `files.*` and `batches.*` against the gateway
 * with the background lane on (an in-memory store, no runner: the tests
 * play its part): upload, create, retrieve, list, cancel, download results,
 * a tenant's isolation from another's, the caps, and malformed lines kept
 * as errored results instead of failing the batch.
 */
import OpenAI, { toFile } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LineResult } from '../../src/batches/batch.js';
import { type BatchRig, startBatchRig } from '../batches/batch-rig.js';
import { baseConfig, KEYS, startRig } from './helpers.js';

let rig: BatchRig;
beforeEach(async () => {
  rig = await startBatchRig(() => ({
    tiers: {
      free: { rpm: 600, priority: 'low', batches: { max_lines: 3, max_file_bytes: 2048 } },
      pro: { rpm: 6_000, priority: 'normal', batches: { max_enqueued_tokens: 150 } },
      enterprise: { priority: 'critical' },
    },
  }));
});
afterEach(async () => {
  await rig.close();
});

const chat = (id: string, text = 'Hello there') =>
  JSON.stringify({
    custom_id: id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] },
  });

async function upload(client: OpenAI, lines: string[], name = 'input.jsonl') {
  return client.files.create({
    file: await toFile(Buffer.from(`${lines.join('\n')}\n`), name),
    purpose: 'batch',
  });
}

async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

describe('OpenAI files and batches through the gateway', () => {
  it('uploads, creates, retrieves, lists and cancels a batch', async () => {
    const client = rig.openai(KEYS.pro);
    const file = await upload(client, [chat('a'), chat('b')]);
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'input.jsonl',
      status: 'processed',
    });
    expect(file.bytes).toBe(Buffer.byteLength(`${chat('a')}\n${chat('b')}\n`));
    expect(await client.files.retrieve(file.id)).toEqual(file);
    expect((await client.files.list()).data.map((f) => f.id)).toEqual([file.id]);
    expect(Buffer.from(await (await client.files.content(file.id)).arrayBuffer()).toString()).toBe(
      `${chat('a')}\n${chat('b')}\n`,
    );

    const now = Math.floor(rig.clock.now() / 1000);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'validating',
      endpoint: '/v1/chat/completions',
      input_file_id: file.id,
      completion_window: '24h',
      created_at: now,
      expires_at: now + 86_400,
      output_file_id: null,
      error_file_id: null,
      errors: null,
      metadata: { job: 'nightly' },
      request_counts: { total: 2, completed: 0, failed: 0 },
    });
    expect(batch.id).toMatch(/^batch_/);
    expect(rig.wakes()).toBe(1);
    const stored = await rig.store.batch(batch.id);
    expect(stored).toMatchObject({
      tenant: 'pro-co',
      api: 'openai',
      mode: 'drain',
      model: 'gpt-4o-mini',
      total: 2,
    });
    expect(stored?.inputTokens).toBeGreaterThan(0);

    expect(await client.batches.retrieve(batch.id)).toEqual(batch);
    expect((await client.batches.list()).data.map((b) => b.id)).toEqual([batch.id]);

    rig.clock.advance(5_000);
    const cancelled = await client.batches.cancel(batch.id);
    expect(cancelled.status).toBe('cancelling');
    expect(cancelled.cancelling_at).toBe(now + 5);
    expect((await rig.store.batch(batch.id))?.status).toBe('cancelling');
    expect(rig.wakes()).toBe(2);
    // Cancelling again keeps it cancelling; an ended batch cannot be cancelled.
    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');
    await rig.store.transition(batch.id, ['cancelling'], (b) => ({ ...b, status: 'cancelled' }));
    const refused = await failure(client.batches.cancel(batch.id));
    expect(refused.status).toBe(409);
    expect(refused.headers?.get('x-sluice-refusal')).toBe('batch_not_cancellable');
  });

  it('pages batches newest first with after and limit', async () => {
    const client = rig.openai(KEYS.enterprise);
    const file = await upload(client, [chat('a')]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      rig.clock.advance(1_000);
      const b = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      ids.unshift(b.id);
    }
    const first = await client.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual(ids.slice(0, 2));
    expect(first.has_more).toBe(true);
    const all: string[] = [];
    for await (const b of client.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual(ids);
  });

  it('keeps malformed lines as errored results and runs the rest', async () => {
    const client = rig.openai(KEYS.enterprise);
    const lines = [
      chat('ok-1'),
      '{not json',
      JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini' } }),
      chat('ok-1'),
      JSON.stringify({ custom_id: 'get', method: 'GET', url: '/v1/chat/completions', body: { model: 'm' } }),
      JSON.stringify({ custom_id: 'elsewhere', method: 'POST', url: '/v1/embeddings', body: { model: 'm' } }),
      JSON.stringify({ custom_id: 'no-body', method: 'POST', url: '/v1/chat/completions', body: 'hi' }),
      JSON.stringify({
        custom_id: 'no-model',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { messages: [] },
      }),
      '',
      chat('ok-2'),
    ];
    const file = await upload(client, lines);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch.status).toBe('validating');
    expect(batch.request_counts).toEqual({ total: 9, completed: 0, failed: 7 });
    const results = await rig.store.results(batch.id);
    expect(results.map((r) => [r.customId, r.outcome, r.status, r.error?.code])).toEqual([
      ['line-2', 'errored', 400, 'invalid_json_line'],
      ['line-3', 'errored', 400, 'missing_required_parameter'],
      ['line-4', 'errored', 400, 'duplicate_custom_id'],
      ['get', 'errored', 400, 'invalid_method'],
      ['elsewhere', 'errored', 400, 'mismatched_endpoint'],
      ['no-body', 'errored', 400, 'invalid_request'],
      ['no-model', 'errored', 400, 'missing_required_parameter'],
    ]);
    const claimed = await rig.store.claim(
      batch.id,
      { instance: 't', leaseMs: 1_000, max: 10 },
      rig.clock.now(),
    );
    expect(claimed.map((c) => [c.line.index, c.line.customId, c.line.url])).toEqual([
      [0, 'ok-1', '/v1/chat/completions'],
      [8, 'ok-2', '/v1/chat/completions'],
    ]);
  });

  it('downloads the output and error files rendered from the results, every custom_id once', async () => {
    const client = rig.openai(KEYS.enterprise);
    const file = await upload(client, [chat('a'), chat('b'), chat('c'), chat('d'), '[1]']);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const answer = (id: string) => ({ id: `chatcmpl-${id}`, object: 'chat.completion', choices: [] });
    const results: LineResult[] = [
      { index: 0, customId: 'a', outcome: 'succeeded', status: 200, requestId: 'req-a', body: answer('a') },
      {
        index: 1,
        customId: 'b',
        outcome: 'errored',
        status: 429,
        requestId: 'req-b',
        body: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null } },
      },
      { index: 2, customId: 'c', outcome: 'succeeded', status: 200, requestId: 'req-c', body: answer('c') },
      { index: 3, customId: 'd', outcome: 'expired', status: 0, requestId: '' },
    ];
    const done = await rig.finalize(batch.id, results);
    const retrieved = await client.batches.retrieve(batch.id);
    expect(retrieved).toMatchObject({
      status: 'completed',
      output_file_id: done.outputFileId,
      error_file_id: done.errorFileId,
      request_counts: { total: 5, completed: 2, failed: 3 },
    });
    const jsonl = async (id: string) =>
      (await (await client.files.content(id)).text())
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
    const output = await jsonl(retrieved.output_file_id as string);
    const errors = await jsonl(retrieved.error_file_id as string);
    expect(output).toEqual([
      {
        id: expect.stringMatching(/^batch_req_/),
        custom_id: 'a',
        response: { status_code: 200, request_id: 'req-a', body: answer('a') },
        error: null,
      },
      {
        id: expect.stringMatching(/^batch_req_/),
        custom_id: 'c',
        response: { status_code: 200, request_id: 'req-c', body: answer('c') },
        error: null,
      },
    ]);
    expect(errors.map((l) => [l.custom_id, l.response?.status_code ?? null, l.error?.code ?? null])).toEqual([
      ['b', 429, null],
      ['d', null, 'batch_expired'],
      ['line-5', null, 'invalid_json_line'],
    ]);
    const ids = [...output, ...errors].map((l) => l.custom_id).sort();
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'line-5']);
    expect(new Set([...output, ...errors].map((l) => l.id)).size).toBe(5);
  });

  it("keeps each tenant's files and batches its own: another's ids are 404s", async () => {
    const owner = rig.openai(KEYS.pro);
    const other = rig.openai(KEYS.enterprise);
    const file = await upload(owner, [chat('a')]);
    const batch = await owner.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    for (const call of [
      other.batches.retrieve(batch.id),
      other.batches.cancel(batch.id),
      other.files.retrieve(file.id),
      other.files.content(file.id),
      other.files.delete(file.id),
      other.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.error).toMatchObject({ type: 'invalid_request_error' });
    }
    expect((await other.batches.list()).data).toEqual([]);
    expect((await other.files.list()).data).toEqual([]);
    expect((await rig.store.batch(batch.id))?.status).toBe('validating');
    expect(await owner.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    expect((await failure(owner.files.retrieve(file.id))).status).toBe(404);
  });

  it('refuses an upload far over the cap by its announced length, and serves the client after', async () => {
    const free = rig.openai(KEYS.free);
    const error = await failure(
      free.files.create({ file: await toFile(Buffer.alloc(5_000_000, 'a'), 'big.jsonl'), purpose: 'batch' }),
    );
    expect(error.status).toBe(413);
    expect(error.headers?.get('x-sluice-refusal')).toBe('file_too_large');
    expect((await free.files.list()).data).toEqual([]);
  });

  it('refuses what is over the caps, in OpenAI format', async () => {
    const free = rig.openai(KEYS.free);
    const big = await failure(upload(free, [chat('a', 'x'.repeat(3_000))]));
    expect(big.status).toBe(413);
    expect(big.headers?.get('x-sluice-refusal')).toBe('file_too_large');
    expect(big.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });

    const four = await upload(free, [chat('a'), chat('b'), chat('c'), chat('d')]);
    const many = await failure(
      free.batches.create({
        input_file_id: four.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    expect(many.status).toBe(400);
    expect(many.headers?.get('x-sluice-refusal')).toBe('batch_too_many_lines');
    expect(many.message).toContain('at most 3');

    // pro: at most 150 enqueued input tokens over its unended batches.
    const pro = rig.openai(KEYS.pro);
    const file = await upload(pro, [chat('a', 'word '.repeat(100))]);
    const create = () =>
      pro.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
    const first = await create();
    const tokens = (await rig.store.batch(first.id))?.inputTokens ?? 0;
    expect(tokens).toBeGreaterThan(75);
    expect(tokens).toBeLessThanOrEqual(150);
    const queued = await failure(create());
    expect(queued.status).toBe(429);
    expect(queued.headers?.get('x-sluice-refusal')).toBe('batch_tokens_exceeded');
    expect(queued.headers?.get('x-should-retry')).toBe('false');
    // Once the first one ends, its tokens are free again.
    await rig.store.transition(first.id, ['validating'], (b) => ({ ...b, status: 'failed' }));
    expect((await create()).status).toBe('validating');

    const empty = await upload(pro, ['{oops', '[]']);
    const none = await failure(
      pro.batches.create({
        input_file_id: empty.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    expect(none.status).toBe(400);
    expect(none.headers?.get('x-sluice-refusal')).toBe('batch_empty');

    const wrong = await failure(
      pro.files.create({ file: await toFile(Buffer.from('{}'), 'x.jsonl'), purpose: 'assistants' }),
    );
    expect(wrong.headers?.get('x-sluice-refusal')).toBe('invalid_file');
    const window = await failure(
      pro.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '48h' as '24h',
      }),
    );
    expect(window.status).toBe(400);
  });
});

describe('without the background lane', () => {
  it('answers 404 on the batch and file paths, as for any unknown path', async () => {
    const plain = await startRig({ config: (url) => ({ ...baseConfig(url), batches: { enabled: false } }) });
    try {
      const client = plain.openai(KEYS.pro);
      const error = await failure(client.batches.list());
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.headers?.get('x-sluice-refusal')).toBe('not_found');
      expect((await failure(client.files.retrieve('file-x'))).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
