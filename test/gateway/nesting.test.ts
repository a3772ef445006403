/**
 * A body nested thousands of levels deep is valid JSON, but re-serializing
 * or walking it overflows the stack: the gateway bounds nesting on intake
 * and answers 400 in the caller's format, without reaching the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hello, KEYS, type Rig, startRig } from './helpers.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

function post(path: string, fields: Record<string, unknown>, nested: string, key = KEYS.pro) {
  const text = JSON.stringify(fields).replace(/}$/, `,"extra":${nested}}`);
  return fetch(`${rig.gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-api-key': key },
    body: text,
  });
}

describe('deeply nested bodies', () => {
  it.each([
    ['/v1/chat/completions', { model: 'gpt-4o-mini', messages: hello }],
    ['/v1/chat/completions', { model: 'gpt-4o-mini', messages: hello, stream: true }],
    ['/v1/messages', { model: 'claude-haiku', max_tokens: 16, messages: hello }],
  ])(
    '%s %j nested 10,000 levels deep: 400 in the caller’s format, nothing sent upstream',
    async (path, fields) => {
      const before = rig.sim.stats().requests;
      const response = await post(path, fields, deep(10_000));
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(response.status).toBe(400);
      // OpenAI's and Anthropic's envelopes both name the type `invalid_request_error`.
      expect(body.error.type).toBe('invalid_request_error');
      expect(response.headers.get('x-sluice-refusal')).toBe('json_too_deep');
      expect(body.error.message).toMatch(/nest/i);
      expect(rig.sim.stats().requests).toBe(before);
      expect((await rig.gateway.governor.store.stats()).active).toBe(0);
    },
  );

  it('still serves a body nested as deep as real requests get', async () => {
    const response = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: hello }, deep(60));
    expect(response.status).toBe(200);
  });
});
