/**
 * The official `openai` SDK pointed at the gateway (only base URL and key
 * change) in front of the simulator: every endpoint, streaming with and
 * without stream usage, the tenant's rate-limit headers, and the gateway's
 * own errors raised as the SDK's own error classes.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, KEYS, type Rig, startRig } from './helpers.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${rig.gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.pro}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('OpenAI-compatible endpoints through the gateway', () => {
  it('answers a chat completion and settles its reservation with the reported usage', async () => {
    const before = await rig.gateway.governor.store.stats();
    const completion = await rig.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 50,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content?.split(' ')).toHaveLength(8);
    expect(completion.usage?.completion_tokens).toBe(8);
    const after = await rig.gateway.governor.store.stats();
    expect(after.reservations - before.reservations).toBe(1);
    expect(after.settled - before.settled).toBe(1);
    expect(after.active).toBe(0);
    const line = rig.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({
      tenant: 'pro-co',
      group: 'gpt-4o-mini',
      deployment: 'sim-openai',
      priority: 'normal',
      status: 200,
      input_tokens: completion.usage?.prompt_tokens,
      output_tokens: 8,
      retries: 0,
    });
  });

  it('streams chunks as they arrive and hides the usage chunk it asked for on the caller’s behalf', async () => {
    const stream = await rig.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.choices.length).toBeGreaterThan(0);
      expect(chunk.usage ?? null).toBeNull();
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.trim().split(/\s+/)).toHaveLength(8);
    // The gateway still learned the real usage: the log line carries it.
    const line = rig.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({ stream: true, output_tokens: 8, status: 200 });
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('keeps the usage chunk when the caller asked for it', async () => {
    const stream = await rig.openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBe(8);
  });

  it('serves the Responses API, legacy completions and embeddings', async () => {
    const client = rig.openai();
    const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hello there' });
    expect(response.output_text.length).toBeGreaterThan(0);
    const completion = await client.completions.create({
      model: 'gpt-4o-mini',
      prompt: 'Hello',
      max_tokens: 5,
    });
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    const embedding = await client.embeddings.create({ model: 'gpt-4o-mini', input: 'Hello there' });
    expect(embedding.data[0]?.embedding.length).toBeGreaterThan(0);
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('lists the model groups this tenant may use', async () => {
    const models = await rig.openai().models.list();
    // Every group a chat call reaches, natively or translated (claude-haiku is an Anthropic deployment).
    expect(models.data.map((m) => m.id)).toEqual(['claude-haiku', 'gpt-4o-mini']);
  });

  it('sends the tenant’s own budget as x-ratelimit-* headers in OpenAI’s format', async () => {
    const { response } = await rig
      .openai(KEYS.free)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 10 })
      .withResponse();
    const h = response.headers;
    // free tier: 600 rpm, 600,000 tpm; a tier's budget is Sluice's own policy, handed out in full.
    expect(h.get('x-ratelimit-limit-requests')).toBe('600');
    expect(Number(h.get('x-ratelimit-remaining-requests'))).toBeLessThanOrEqual(599);
    expect(Number(h.get('x-ratelimit-remaining-requests'))).toBeGreaterThanOrEqual(590);
    expect(h.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+(\.\d+)?s|0s)$/);
    expect(h.get('x-ratelimit-limit-tokens')).toBe('600000');
    expect(Number(h.get('x-ratelimit-remaining-tokens'))).toBeLessThan(600_000);
    expect(h.get('x-ratelimit-reset-tokens')).toMatch(/\d(ms|s)$/);
    // The upstream key's own headers are not the tenant's business.
    expect(h.get('x-ratelimit-limit-project-tokens')).toBeNull();
    // Deployment names are the operator's: off unless server.deployment_header turns them on.
    expect(h.get('x-sluice-deployment')).toBeNull();
  });
});

describe('errors the gateway answers itself, in OpenAI’s format', () => {
  it('401 for an unknown key', async () => {
    const error = await failure(
      rig.openai('sk-not-a-tenant').chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.code).toBe('invalid_api_key');
    const missing = await fetch(`${rig.gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_api_key' },
    });
  });

  it('400 for a body that is not JSON, or has no model', async () => {
    const bad = await post('/v1/chat/completions', '{"model": "gpt-4o-mini", ');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-should-retry')).toBe('false');
    const body = (await bad.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/parse the JSON/);
    const noModel = await post('/v1/chat/completions', JSON.stringify({ messages: hello }));
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toMatch(/model/);
  });

  it('404 for a model no group declares', async () => {
    const error = await failure(rig.openai().chat.completions.create({ model: 'gpt-9', messages: hello }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.message).toMatch(/gpt-9/);
    // Embeddings cannot cross to another API family: for them an Anthropic group is not here.
    const wrongApi = await failure(rig.openai().embeddings.create({ model: 'claude-haiku', input: 'hi' }));
    expect(wrongApi.status).toBe(404);
    expect(wrongApi.message).toMatch(/served through the Anthropic API, not the OpenAI API/);
  });

  it('400 for a priority or wait header it cannot honour, naming what is allowed', async () => {
    const ask = JSON.stringify({ model: 'gpt-4o-mini', messages: hello });
    const before = rig.sim.stats().requests;
    const priority = await post('/v1/chat/completions', ask, { 'x-sluice-priority': 'urgent' });
    expect(priority.status).toBe(400);
    expect(priority.headers.get('x-should-retry')).toBe('false');
    const { error } = (await priority.json()) as { error: { type: string; message: string } };
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(/critical, high, normal, low/);
    for (const wait of ['soon', '-1']) {
      const response = await post('/v1/chat/completions', ask, { 'x-sluice-max-wait-ms': wait });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/max-wait/);
    }
    expect(rig.sim.stats().requests).toBe(before);
  });

  it('413 for a body over the size limit', async () => {
    const huge = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }],
    });
    const response = await post('/v1/chat/completions', huge);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
  });

  it('decodes a gzip or br body, and refuses other encodings, broken data and bombs in OpenAI’s format', async () => {
    const ask = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: hello }));
    const send = (body: Buffer, encoding: string) =>
      fetch(`${rig.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEYS.pro}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body,
      });
    for (const [encoding, body] of [
      ['gzip', gzipSync(ask)],
      ['br', brotliCompressSync(ask)],
    ] as const) {
      const response = await send(body, encoding);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
    }
    const unknown = await send(ask, 'zstd');
    expect(unknown.status).toBe(415);
    expect(unknown.headers.get('x-should-retry')).toBe('false');
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/zstd/);
    // A name that is a property of every object is still just an unknown encoding.
    expect((await send(ask, 'constructor')).status).toBe(415);
    const broken = await send(ask, 'gzip');
    expect(broken.status).toBe(400);
    // 11 MiB of spaces compress to a few KiB: over the 10 MiB limit once decoded.
    const bomb = await send(gzipSync(Buffer.alloc(11 * 1024 * 1024, 0x20)), 'gzip');
    expect(bomb.status).toBe(413);
  });

  it('404 in OpenAI’s format for an unknown path', async () => {
    const response = await post('/v1/nothing-here', '{}');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
