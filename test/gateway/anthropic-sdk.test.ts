/**
 * The official `@anthropic-ai/sdk` pointed at the gateway: messages (plain
 * and streamed), count_tokens, the model list in Anthropic's format, and the
 * gateway's own errors in Anthropic's envelope.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, KEYS, type Rig, startRig } from './helpers.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

describe('Anthropic-compatible endpoints through the gateway', () => {
  it('answers a message and settles with the reported usage', async () => {
    const message = await rig
      .anthropic()
      .messages.create({ model: 'claude-haiku', max_tokens: 64, messages: hello });
    expect(message.type).toBe('message');
    expect(message.content[0]?.type).toBe('text');
    expect(message.usage.output_tokens).toBe(8);
    const line = rig.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({
      path: '/v1/messages',
      tenant: 'pro-co',
      group: 'claude-haiku',
      deployment: 'sim-anthropic',
      output_tokens: 8,
      status: 200,
    });
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('streams events as they arrive', async () => {
    const stream = rig
      .anthropic()
      .messages.stream({ model: 'claude-haiku', max_tokens: 64, messages: hello });
    const kinds = new Set<string>();
    let text = '';
    for await (const event of stream) {
      kinds.add(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect([...kinds]).toEqual(
      expect.arrayContaining(['message_start', 'content_block_delta', 'message_stop']),
    );
    expect(text.trim().split(/\s+/)).toHaveLength(8);
    expect(final.usage.output_tokens).toBe(8);
    expect(rig.logs.findLast((l) => l.msg === 'request')).toMatchObject({ stream: true, output_tokens: 8 });
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it("counts tokens (routed, charged only on the tenant's count budget)", async () => {
    const before = await rig.gateway.governor.store.stats();
    const count = await rig.anthropic().messages.countTokens({ model: 'claude-haiku', messages: hello });
    expect(count.input_tokens).toBeGreaterThan(0);
    const after = await rig.gateway.governor.store.stats();
    expect(after.active).toBe(0);
    expect(after.settled - before.settled).toBe(after.reservations - before.reservations);
  });

  it('lists model groups in Anthropic’s format when asked with anthropic-version', async () => {
    const page = await rig.anthropic().models.list();
    // Every group a chat call reaches, natively or translated (gpt-4o-mini is an OpenAI deployment).
    expect(page.data.map((m) => m.id)).toEqual(['claude-haiku', 'gpt-4o-mini']);
    expect(page.data[0]?.type).toBe('model');
  });
});

describe('errors the gateway answers itself, in Anthropic’s format', () => {
  it('401 for an unknown x-api-key', async () => {
    const error = await rig
      .anthropic('sk-ant-unknown-key')
      .messages.create({ model: 'claude-haiku', max_tokens: 10, messages: hello })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const response = await fetch(`${rig.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'nope-nope-nope', 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('400 for bad JSON and 404 for an unknown model', async () => {
    const bad = await fetch(`${rig.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.pro, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const unknown = await rig
      .anthropic()
      .messages.create({ model: 'claude-99', max_tokens: 10, messages: hello })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });
});
