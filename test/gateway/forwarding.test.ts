/**
 * What of a tenant's request besides the body reaches the provider: only
 * what the API family's forwarding table allows (tracing, the API version,
 * Gemini's `alt=sse`), betas only as far as the deployment's
 * `forward_betas` allows, and never the caller's query string, organization
 * or key. The official SDKs call the gateway; a fake upstream records what
 * arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Received, rawRequest, startFakeUpstream } from './fake-upstream.js';
import { baseConfig, hello, KEYS, type Rig, startRig } from './helpers.js';

let upstream: FakeUpstream;
let rig: Rig;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  rig = await startRig({
    config: (simUrl) => {
      const base = baseConfig(simUrl);
      const fake = upstream.url;
      const claude = (id: string, forward_betas?: boolean | string[]) => ({
        deployments: [
          {
            id,
            provider: 'anthropic' as const,
            base_url: fake,
            api_key: 'sk-ant-upstream',
            model: 'claude-upstream',
            ...(forward_betas !== undefined && { forward_betas }),
          },
        ],
      });
      return {
        ...base,
        model_groups: {
          'gpt-fake': {
            deployments: [
              {
                id: 'fake-openai',
                provider: 'openai',
                base_url: `${fake}/v1`,
                api_key: 'sk-up',
                model: 'gpt-up',
              },
            ],
          },
          'gpt-azure': {
            deployments: [
              {
                id: 'fake-azure',
                provider: 'azure',
                base_url: `${fake}/openai?api-version=2024-10-21`,
                api_key: 'azure-up',
                model: 'gpt-up',
              },
            ],
          },
          'claude-no-betas': claude('fake-claude-1'),
          'claude-one-beta': claude('fake-claude-2', ['files-api-2025-04-14']),
          'claude-all-betas': claude('fake-claude-3', true),
          'gemini-fake': {
            deployments: [
              {
                id: 'fake-gemini',
                provider: 'gemini',
                base_url: fake,
                api_key: 'AIza-up',
                model: 'gemini-up',
              },
            ],
          },
        },
      };
    },
  });
});
afterAll(async () => {
  await rig.close();
  await upstream.close();
});

async function only(call: () => Promise<unknown>): Promise<Received> {
  upstream.received.length = 0;
  await call();
  expect(upstream.received).toHaveLength(1);
  return upstream.received[0] as Received;
}

const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('what the gateway forwards upstream', () => {
  it('OpenAI: no caller query, no beta, no organization or key; tracing passes', async () => {
    const client = rig.openai(KEYS.pro, {
      defaultQuery: { 'api-version': '2020-01-01', key: 'AIza-caller', foo: 'bar' },
      defaultHeaders: {
        'openai-beta': 'assistants=v2',
        'openai-organization': 'org-someone-else',
        'openai-project': 'proj_other',
        traceparent: trace,
        tracestate: 'k=v',
        'x-client-request-id': 'client-1',
      },
    });
    const got = await only(() => client.chat.completions.create({ model: 'gpt-fake', messages: hello }));
    expect(got.url).toBe('/v1/chat/completions');
    expect(got.headers.authorization).toBe('Bearer sk-up');
    expect(got.headers).toMatchObject({
      traceparent: trace,
      tracestate: 'k=v',
      'x-client-request-id': 'client-1',
    });
    for (const name of ['openai-beta', 'openai-organization', 'openai-project', 'x-stainless-lang'])
      expect(got.headers[name], name).toBeUndefined();
  });

  it("Azure: api-version comes from the deployment's base_url, never from the caller", async () => {
    const client = rig.openai(KEYS.pro, { defaultQuery: { 'api-version': '2020-01-01', extra: '1' } });
    const got = await only(() => client.chat.completions.create({ model: 'gpt-azure', messages: hello }));
    expect(got.url).toBe('/openai/v1/chat/completions?api-version=2024-10-21');
    expect(got.headers['api-key']).toBe('azure-up');
  });

  it('Anthropic: anthropic-beta only as far as the deployment allows; anthropic-version always', async () => {
    const client = rig.anthropic(KEYS.pro, {
      defaultHeaders: { 'anthropic-beta': 'files-api-2025-04-14, context-1m-2025-08-07', traceparent: trace },
      defaultQuery: { beta: 'true', key: 'x' },
    });
    const send = (model: string) =>
      only(() => client.messages.create({ model, max_tokens: 16, messages: hello }));

    const none = await send('claude-no-betas');
    expect(none.headers['anthropic-beta']).toBeUndefined();
    expect(none.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(none.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(none.headers.traceparent).toBe(trace);
    expect(none.url).toBe('/v1/messages?beta=true');

    const bare = await only(() =>
      rawRequest(rig.gateway.url, {
        path: '/v1/messages',
        headers: { 'x-api-key': KEYS.pro },
        body: JSON.stringify({ model: 'claude-no-betas', max_tokens: 16, messages: hello }),
      }),
    );
    expect(bare.headers['anthropic-version']).toBe('2023-06-01');

    expect((await send('claude-one-beta')).headers['anthropic-beta']).toBe('files-api-2025-04-14');
    expect((await send('claude-all-betas')).headers['anthropic-beta']).toBe(
      'files-api-2025-04-14,context-1m-2025-08-07',
    );
  });

  it('Gemini: alt=sse on streams and nothing else of the query', async () => {
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
    const post = (path: string) =>
      only(() => rawRequest(rig.gateway.url, { path, headers: { 'x-goog-api-key': KEYS.pro }, body }));
    expect(
      (await post('/v1beta/models/gemini-fake:streamGenerateContent?key=AIza-x&alt=sse&foo=1')).url,
    ).toBe('/v1beta/models/gemini-up:streamGenerateContent?alt=sse');
    expect((await post('/v1beta/models/gemini-fake:generateContent?alt=sse&key=AIza-x')).url).toBe(
      '/v1beta/models/gemini-up:generateContent',
    );
    expect((await post('/v1beta/models/gemini-fake:streamGenerateContent?alt=json%0d%0a')).url).toBe(
      '/v1beta/models/gemini-up:streamGenerateContent',
    );
  });
});
