import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment, type DeploymentConfig } from '../../src/runtime/deployment.js';
import { type CallShape, upstreamTarget } from '../../src/runtime/upstream-target.js';

function deployment(
  config: Partial<DeploymentConfig> & Pick<DeploymentConfig, 'provider' | 'baseUrl'>,
): Deployment {
  return new Deployment(
    { id: 'd', model: 'upstream-model', ...config },
    { adapter: createAdapter(config.provider), margin: 0.1 },
  );
}

const chat = (body: Record<string, unknown>, extra: Partial<CallShape> = {}): CallShape => ({
  family: 'openai',
  endpoint: 'chat_completions',
  method: 'POST',
  path: '/v1/chat/completions',
  body,
  rawBody: JSON.stringify(body),
  stream: body.stream === true,
  forwardHeaders: { authorization: 'Bearer caller-key', 'x-request-id': 'abc' },
  forwarding: 'as-sent',
  ...extra,
});

describe('upstreamTarget', () => {
  it("forwards the caller's bytes untouched when nothing must change", () => {
    const d = deployment({ provider: 'openai', baseUrl: 'https://api.openai.com/v1/', model: 'gpt-4o-mini' });
    const call = chat({ model: 'gpt-4o-mini', messages: [] });
    const target = upstreamTarget(d, call);
    expect(target.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(target.body).toBe(call.rawBody);
    expect(target.headers.authorization).toBe('Bearer caller-key');
    expect(target.addedStreamUsage).toBe(false);
  });

  it('rewrites the model, asks a stream for its usage, and uses the deployment key', () => {
    const d = deployment({ provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-deploy' });
    const target = upstreamTarget(d, chat({ model: 'group-name', messages: [], stream: true }));
    const sent = JSON.parse(String(target.body));
    expect(sent.model).toBe('upstream-model');
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(target.addedStreamUsage).toBe(true);
    expect(target.headers.authorization).toBe('Bearer sk-deploy');
    expect(target.headers['x-request-id']).toBe('abc');
  });

  it('keeps the version path of Anthropic calls and sends its key as x-api-key', () => {
    const d = deployment({ provider: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: 'sk-ant' });
    const body = { model: 'upstream-model', max_tokens: 10, messages: [] };
    const target = upstreamTarget(d, {
      ...chat(body),
      family: 'anthropic',
      endpoint: 'messages',
      path: '/v1/messages',
      forwardHeaders: { 'x-api-key': 'caller', 'anthropic-version': '2023-06-01' },
    });
    expect(target.url).toBe('https://api.anthropic.com/v1/messages');
    expect(target.headers['x-api-key']).toBe('sk-ant');
    expect(target.headers['anthropic-version']).toBe('2023-06-01');
  });

  it("puts the deployment's model into Gemini's path and keeps the query", () => {
    const d = deployment({
      provider: 'gemini',
      baseUrl: 'https://generativelanguage.googleapis.com',
      model: 'gemini-2.5-flash',
    });
    const target = upstreamTarget(d, {
      ...chat({ contents: [] }),
      family: 'gemini',
      endpoint: 'stream_generate_content',
      path: '/v1beta/models/fast:streamGenerateContent?alt=sse',
    });
    expect(target.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
  });
});

describe('Gemini’s OpenAI-compatible API', () => {
  it('puts an OpenAI path under /v1beta/openai/ of a root base URL, and leaves a compat base URL as it is', () => {
    const call = {
      ...chat({ model: 'fast', messages: [] }),
      family: 'openai' as const,
      path: '/v1/chat/completions',
    };
    const root = deployment({
      provider: 'gemini',
      baseUrl: 'https://generativelanguage.googleapis.com',
      model: 'gemini-2.5-flash',
    });
    expect(upstreamTarget(root, call).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    );
    const compat = deployment({
      provider: 'gemini',
      baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
      model: 'gemini-2.5-flash',
    });
    expect(upstreamTarget(compat, call).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    );
    // A caller that names the compat path itself (governor.fetch) keeps it.
    expect(upstreamTarget(root, { ...call, path: '/v1beta/openai/embeddings' }).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/embeddings',
    );
  });
});

describe('Deployment', () => {
  it('learns limits the provider reports, adopts lower ones, and adapts its rate', () => {
    const d = deployment({ provider: 'openai', baseUrl: 'http://x/v1', limits: { rpm: 600 } });
    expect(d.learn({ dimension: 'tokens', window: 'minute', limit: 90_000, remaining: 1 })?.from).toBe(
      undefined,
    );
    expect(d.bucketFor('tokens', 'minute')?.limit).toBe(90_000);
    // One report above the declared limit is not yet a raise (limit-follow.ts).
    expect(d.learn({ dimension: 'requests', window: 'minute', limit: 800 })).toBeUndefined();
    expect(d.learn({ dimension: 'requests', window: 'minute', limit: 500 })).toMatchObject({
      from: 600,
      to: 500,
    });
    expect(d.bucketFor('requests', 'minute')?.limit).toBe(500);
    d.onRateLimited();
    expect(d.bucketFor('requests', 'minute')?.limit).toBeCloseTo(350, 6);
    expect(d.buckets()[0]).toBe(d.gate);
  });
});
