/**
 * Gemini's native API names the model in the path, so the path is the one
 * part of a call a tenant writes that could point the gateway's key at
 * something else. The gateway accepts exactly `/v1beta/models/{model}:{verb}`
 * (and `/v1/`), and the provider only ever sees a path built from the
 * deployment's model: a fake upstream records the request line as it
 * arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, rawRequest, startFakeUpstream } from './fake-upstream.js';
import { baseConfig, geminiDeployment, KEYS, type Rig, startRig, withGroup } from './helpers.js';

const GROUP = 'gemini-flash';
let upstream: FakeUpstream;
let rig: Rig;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  rig = await startRig({
    config: (simUrl) => withGroup(baseConfig(simUrl), GROUP, geminiDeployment('fake-gemini', upstream.url)),
  });
});
afterAll(async () => {
  await rig.close();
  await upstream.close();
});

const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });

function post(path: string) {
  return rawRequest(rig.gateway.url, { path, headers: { 'x-goog-api-key': KEYS.pro }, body });
}

describe('Gemini paths through the gateway', () => {
  it('sends the provider a path built from the deployment model, whatever form of the path the caller used', async () => {
    for (const path of [
      `/v1beta/models/${GROUP}:generateContent`,
      `/v1beta/models/${GROUP}%3AgenerateContent`,
      `/v1/models/${GROUP}:generateContent`,
    ]) {
      upstream.received.length = 0;
      const reply = await post(path);
      expect(reply.status, path).toBe(200);
      expect(upstream.received.map((r) => r.url)).toEqual([
        '/v1beta/models/gemini-2.5-flash:generateContent',
      ]);
    }
    upstream.received.length = 0;
    const streamed = await post(`/v1beta/models/${GROUP}:streamGenerateContent?alt=sse`);
    expect(streamed.status).toBe(200);
    expect(upstream.received.map((r) => r.url)).toEqual([
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    ]);
  });

  it('builds countTokens and embedding paths from the deployment model too, and names it in each batch request', async () => {
    for (const verb of ['countTokens', 'embedContent', 'batchEmbedContents']) {
      upstream.received.length = 0;
      const reply = await rawRequest(rig.gateway.url, {
        path: `/v1beta/models/${GROUP}%3A${verb}`,
        headers: { 'x-goog-api-key': KEYS.pro },
        body: JSON.stringify({
          contents: [{ parts: [{ text: 'Hello' }] }],
          content: { parts: [{ text: 'Hello' }] },
          requests: [{ model: `models/${GROUP}`, content: { parts: [{ text: 'Hello' }] } }],
        }),
      });
      expect(reply.status, verb).toBe(200);
      expect(upstream.received.map((r) => r.url)).toEqual([`/v1beta/models/gemini-2.5-flash:${verb}`]);
    }
    const sent = JSON.parse(upstream.received[0]?.body ?? '{}') as { requests: { model: string }[] };
    expect(sent.requests.map((r) => r.model)).toEqual(['models/gemini-2.5-flash']);
  });

  it('answers dot segments, encoded slashes and other path tricks in Gemini’s envelope and forwards none of them', async () => {
    upstream.received.length = 0;
    const tricks = [
      // dot segments before a model segment that names a real group
      `/v1beta/models/../../v1beta/tunedModels/x/models/${GROUP}:generateContent`,
      `/v1beta/models/./${GROUP}:generateContent`,
      `/v1beta/models/%2e%2e%2f%2e%2e%2fcachedContents/models/${GROUP}:generateContent`,
      `/v1beta/models/%2E%2E/models/${GROUP}:generateContent`,
      // tunedModels skipped the model rewrite
      `/v1beta/models/../tunedModels/${GROUP}:generateContent`,
      // encoded slashes and backslashes inside the model segment
      `/v1beta/models/x%2f..%2f${GROUP}:generateContent`,
      `/v1beta/models/x%5c..%5c${GROUP}:generateContent`,
      `/v1beta/models/x\\..\\${GROUP}:generateContent`,
      // a dot-only model, a second model segment, a trailing segment
      '/v1beta/models/..:generateContent',
      `/v1beta/models/${GROUP}/${GROUP}:generateContent`,
      `/v1beta/models/${GROUP}:generateContent/..`,
      `/v1beta/models/${GROUP}:generateContent/`,
      // the same for the other verbs
      `/v1beta/models/../tunedModels/${GROUP}:countTokens`,
      `/v1beta/models/x%2f..%2f${GROUP}:embedContent`,
      `/v1beta/models/${GROUP}/${GROUP}:batchEmbedContents`,
    ];
    for (const path of tricks) {
      const reply = await post(path);
      expect(reply.status, path).toBe(400);
      const error = (JSON.parse(reply.body) as { error: { code: number; status: string } }).error;
      expect(error, path).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    }
    expect(upstream.received).toEqual([]);
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('sends an OpenAI-format call for a Gemini group to Google’s OpenAI-compatible path, not the bare base URL', async () => {
    upstream.received.length = 0;
    const reply = await rawRequest(rig.gateway.url, {
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${KEYS.pro}` },
      body: JSON.stringify({ model: GROUP, messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(reply.status).toBe(200);
    expect(upstream.received.map((r) => r.url)).toEqual(['/v1beta/openai/chat/completions']);
  });
});
