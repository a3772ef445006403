/**
 * The official `openai` SDK against the simulator's Files and Batch APIs:
 * upload, create, poll over simulated time, download results, cancel,
 * the enqueued-token limit, malformed input and list pagination.
 */
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { simulatorsClosedAfterEach } from '../started.js';

const start = simulatorsClosedAfterEach();

function client(url: string) {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
}

function chatLine(customId: string, text = 'Hello there', model = 'gpt-4o-mini') {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: text }], max_tokens: 10 },
  });
}

async function upload(openai: OpenAI, lines: readonly string[]) {
  return openai.files.create({
    file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'input.jsonl'),
    purpose: 'batch',
  });
}

function jsonl(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('OpenAI Batch API with the official SDK', () => {
  it('runs a batch line by line over simulated time and answers every custom_id once', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 }, defaults: { rpm: 2 } });
    const openai = client(sim.url);
    const ids = ['a', 'b', 'c', 'd'];
    const file = await upload(openai, [
      ...ids.map((id) => chatLine(id)),
      chatLine('bad-body', '', 'gpt-4o-mini').replace('"messages"', '"nomessages"'),
    ]);
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'input.jsonl',
      status: 'processed',
    });
    expect((await openai.files.retrieve(file.id)).bytes).toBe(file.bytes);

    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');
    clock.advance(0);
    expect((await openai.batches.retrieve(created.id)).status).toBe('in_progress');
    clock.advance(2_000);
    const midway = await openai.batches.retrieve(created.id);
    expect(midway.status).toBe('in_progress');
    // One line per pace step after validation: two lines at +2 s.
    expect(midway.request_counts).toEqual({ total: 5, completed: 2, failed: 0 });
    expect(sim.stats().batches.queued_tokens).not.toEqual({});

    clock.advance(10_000);
    const done = await openai.batches.retrieve(created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 5, completed: 4, failed: 1 });
    expect(done.finalizing_at).not.toBeNull();
    expect(done.completed_at).not.toBeNull();

    const output = jsonl(await (await openai.files.content(done.output_file_id as string)).text());
    expect(output.map((l) => l.custom_id)).toEqual(ids);
    const first = output[0] as {
      id: string;
      response: { status_code: number; request_id: string; body: OpenAI.ChatCompletion };
      error: null;
    };
    expect(first.id).toMatch(/^batch_req_/);
    expect(first.error).toBeNull();
    expect(first.response.status_code).toBe(200);
    expect(first.response.body.object).toBe('chat.completion');
    expect(first.response.body.usage?.prompt_tokens).toBeGreaterThan(0);
    const lineUsage = output.map(
      (l) => (l as unknown as { response: { body: OpenAI.ChatCompletion } }).response.body.usage,
    );
    expect(done.usage?.input_tokens).toBe(lineUsage.reduce((sum, u) => sum + (u?.prompt_tokens ?? 0), 0));
    expect(done.usage?.output_tokens).toBe(
      lineUsage.reduce((sum, u) => sum + (u?.completion_tokens ?? 0), 0),
    );

    const errors = jsonl(await (await openai.files.content(done.error_file_id as string)).text());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ custom_id: 'bad-body', response: { status_code: 400 }, error: null });
    expect(sim.stats().batches.queued_tokens).toEqual({});
    // Batch lines are not counted against the synchronous limits.
    expect(sim.stats().admitted).toBe(0);
    expect(sim.stats().limits).toEqual({});
  });

  it('completes batches at once through the control endpoint', async () => {
    const { sim } = await start({ batches: { pace_ms_per_line: 60_000 } });
    const openai = client(sim.url);
    const file = await upload(
      openai,
      ['x', 'y'].map((id) => chatLine(id)),
    );
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const control = await fetch(`${sim.url}/_sim/batches/complete`, { method: 'POST' });
    expect(await control.json()).toEqual({ completed: 1 });
    const done = await openai.batches.retrieve(batch.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    expect(sim.stats().batches.batches).toEqual({ 'openai.completed': 1 });
  });

  it('cancels a running batch: cancelling, then cancelled with the unanswered lines in the error file', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000 } });
    const openai = client(sim.url);
    const file = await upload(
      openai,
      ['p', 'q', 'r'].map((id) => chatLine(id)),
    );
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(0);
    clock.advance(1_000);
    const cancelling = await openai.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    clock.advance(0);
    const cancelled = await openai.batches.retrieve(batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancelled_at).not.toBeNull();
    const output = jsonl(await (await openai.files.content(cancelled.output_file_id as string)).text());
    const errors = jsonl(await (await openai.files.content(cancelled.error_file_id as string)).text());
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual(['p', 'q', 'r']);
    expect(errors.every((l) => (l.error as { code: string }).code === 'batch_cancelled')).toBe(true);
  });

  it('expires a batch still running after 24 h: answered lines in the output, the rest batch_expired', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 10 * 3_600_000 } });
    const openai = client(sim.url);
    const file = await upload(
      openai,
      ['e1', 'e2', 'e3', 'e4'].map((id) => chatLine(id)),
    );
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(30 * 3_600_000);
    const expired = await openai.batches.retrieve(batch.id);
    expect(expired.status).toBe('expired');
    expect(expired.expired_at).toBe(expired.created_at + 86_400);
    expect(expired.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
    const errors = jsonl(await (await openai.files.content(expired.error_file_id as string)).text());
    expect(errors.map((l) => [l.custom_id, (l.error as { code: string }).code])).toEqual([
      ['e3', 'batch_expired'],
      ['e4', 'batch_expired'],
    ]);
  });

  it('fails a batch over the enqueued-token limit with token_limit_exceeded', async () => {
    const { sim, clock } = await start({ batches: { pace_ms_per_line: 1_000, queue_tokens_per_model: 100 } });
    const openai = client(sim.url);
    const small = await upload(openai, [chatLine('s1', 'word '.repeat(10))]);
    const big = await upload(openai, [chatLine('b1', 'word '.repeat(80))]);
    const first = await openai.batches.create({
      input_file_id: small.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(0);
    const second = await openai.batches.create({
      input_file_id: big.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(0);
    expect((await openai.batches.retrieve(first.id)).status).toBe('in_progress');
    const refused = await openai.batches.retrieve(second.id);
    expect(refused.status).toBe('failed');
    expect(refused.failed_at).not.toBeNull();
    expect(refused.errors?.data?.[0]).toMatchObject({ code: 'token_limit_exceeded', line: null });
    expect(refused.errors?.data?.[0]?.message).toMatch(
      /^Enqueued token limit reached for gpt-4o-mini in organization org-simulated\. Limit: 100 enqueued tokens\./,
    );
  });

  it('fails validation of malformed lines with errors naming each line', async () => {
    const { sim, clock } = await start();
    const openai = client(sim.url);
    const file = await upload(openai, [
      chatLine('ok'),
      '{not json',
      chatLine('ok'),
      JSON.stringify({ method: 'POST' }),
    ]);
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(0);
    const failed = await openai.batches.retrieve(batch.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.map((e) => [e.code, e.line])).toEqual([
      ['invalid_json_line', 2],
      ['duplicate_custom_id', 3],
      ['missing_required_parameter', 4],
    ]);
    expect(failed.output_file_id).toBeNull();
  });

  it('refuses a non-JSONL upload and an unknown file, and deletes files', async () => {
    const { sim } = await start();
    const openai = client(sim.url);
    await expect(
      openai.files.create({ file: await toFile(Buffer.from('x'), 'input.txt'), purpose: 'batch' }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(
      openai.batches.create({
        input_file_id: 'file-missing',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const file = await upload(openai, [chatLine('a')]);
    expect(await openai.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(openai.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('lists batches newest first with after/limit cursor pagination', async () => {
    const { sim } = await start();
    const openai = client(sim.url);
    const file = await upload(openai, [chatLine('a')]);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const b = await openai.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      created.push(b.id);
    }
    const page = await openai.batches.list({ limit: 2 });
    expect(page.data.map((b) => b.id)).toEqual([created[4], created[3]]);
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const b of openai.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual([...created].reverse());
  });
});
