/**
 * Paths no route serves (and routed paths called with the wrong method) get
 * a 404 in the format of the API their shape belongs to.
 */
import { describe, expect, it } from 'vitest';
import { KEYS, type Rig, rigsClosedAfterEach } from './helpers.js';

const startTestRig = rigsClosedAfterEach();

async function rig(): Promise<Rig> {
  return startTestRig();
}

const GEMINI_404 = { error: { code: 404, status: 'NOT_FOUND', message: expect.any(String) } };
const OPENAI_404 = { error: { type: 'invalid_request_error', message: expect.any(String) } };

describe('unrouted requests', () => {
  it.each([
    ['GET', '/v1/models/gemini-2.5-flash:generateContent'],
    ['PUT', '/v1/models/gemini-2.5-flash:streamGenerateContent'],
    ['GET', '/v1/models/gemini-2.5-flash%3AgenerateContent'],
    ['DELETE', '/v1/tunedModels/my-model:generateContent'],
    ['GET', '/v1beta/models/gemini-2.5-flash:generateContent'],
    ['POST', '/v1beta/models/gemini-2.5-flash:predict'],
    ['GET', '/v1beta/cachedContents'],
    // A native verb after more than one segment: POST gets the 400 invalid_path in Gemini's envelope, so do others.
    ['GET', '/v1/models/tunedModels/my-model:generateContent'],
    ['GET', '/v1/models/a%2Fb:streamGenerateContent'],
  ])('%s %s: 404 in Gemini’s envelope', async (method, path) => {
    const r = await rig();
    const res = await fetch(`${r.gateway.url}${path}`, { method, headers: { 'x-goog-api-key': KEYS.pro } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(GEMINI_404);
  });

  it.each([
    ['GET', '/v1/chat/completions'],
    ['GET', '/v1/models/gpt-4o-mini/versions'],
    ['GET', '/v1beta/openai/files'],
    ['GET', '/nowhere'],
  ])('%s %s: 404 in OpenAI’s envelope', async (method, path) => {
    const r = await rig();
    const res = await fetch(`${r.gateway.url}${path}`, { method });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject(OPENAI_404);
  });

  it('answers in Anthropic’s envelope on its paths and when anthropic-version is sent', async () => {
    const r = await rig();
    for (const [path, headers] of [
      ['/v1/messages', {}],
      ['/v1/whatever', { 'anthropic-version': '2023-06-01' }],
    ] as const) {
      const res = await fetch(`${r.gateway.url}${path}`, { method: 'GET', headers });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
  });

  it('keeps an OpenAI path’s envelope when anthropic-version is sent too', async () => {
    const r = await rig();
    const res = await fetch(`${r.gateway.url}/v1/chat/completions`, {
      method: 'GET',
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject(OPENAI_404);
    expect(body.type).toBeUndefined();
  });
});
