/**
 * `governor.fetch` forwards what the app sent (`forwarding: 'as-sent'`, the
 * default: the app is the caller and often holds the key), or only what
 * the gateway would forward for a tenant (`forwarding: 'allow-list'`).
 * The openai SDK calls through it; a fake upstream records what arrives.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forwarding } from '../../src/runtime/forwarding.js';
import { type FakeUpstream, type Received, startFakeUpstream } from '../gateway/fake-upstream.js';
import { closeAfterEach, governor } from './helpers.js';

closeAfterEach();

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
});

function governed(forwarding?: Forwarding) {
  return governor({
    ...(forwarding && { forwarding }),
    model_groups: {
      'gpt-fake': {
        deployments: [
          { id: 'fake-openai', provider: 'openai', base_url: `${upstream.url}/v1`, model: 'gpt-up' },
        ],
      },
      'claude-fake': {
        deployments: [
          {
            id: 'fake-claude',
            provider: 'anthropic',
            base_url: upstream.url,
            api_key: 'sk-ant-own',
            model: 'claude-up',
            forward_betas: ['files-api-2025-04-14'],
          },
        ],
      },
    },
  });
}

async function call(forwarding?: Forwarding) {
  const g = governed(forwarding);
  const openai = new OpenAI({
    apiKey: 'sk-app',
    baseURL: `${upstream.url}/v1`,
    fetch: g.fetch,
    maxRetries: 0,
    organization: 'org-app',
    defaultQuery: { trace: '1' },
  });
  const anthropic = new Anthropic({
    apiKey: 'sk-ant-app',
    baseURL: upstream.url,
    fetch: g.fetch,
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': 'files-api-2025-04-14,context-1m-2025-08-07' },
  });
  upstream.received.length = 0;
  await openai.chat.completions.create({ model: 'gpt-fake', messages: [{ role: 'user', content: 'Hi' }] });
  await anthropic.messages.create({
    model: 'claude-fake',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'Hi' }],
  });
  expect(upstream.received).toHaveLength(2);
  const [chat, messages] = upstream.received as [Received, Received];
  return { chat, messages };
}

describe('governor.fetch forwarding', () => {
  it('passes the app’s headers, key and query as sent by default', async () => {
    const { chat, messages } = await call();
    expect(chat.url).toBe('/v1/chat/completions?trace=1');
    expect(chat.headers.authorization).toBe('Bearer sk-app');
    expect(chat.headers['openai-organization']).toBe('org-app');
    expect(messages.headers['x-api-key']).toBe('sk-ant-own');
    expect(messages.headers['anthropic-beta']).toBe('files-api-2025-04-14,context-1m-2025-08-07');
  });

  it('passes only what the gateway would with forwarding: allow-list', async () => {
    const { chat, messages } = await call('allow-list');
    expect(chat.url).toBe('/v1/chat/completions');
    expect(chat.headers.authorization).toBeUndefined();
    expect(chat.headers['openai-organization']).toBeUndefined();
    expect(messages.headers['x-api-key']).toBe('sk-ant-own');
    expect(messages.headers['anthropic-beta']).toBe('files-api-2025-04-14');
    expect(messages.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
