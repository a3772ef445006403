/**
 * Sluice's refusals must make the official SDKs raise their own error
 * classes, so each payload is served to the real client through a fetch
 * stub (no network).
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ErrorPayload, RefusalKind } from '../../src/providers/adapter.js';
import { createAdapter } from '../../src/providers/registry.js';

const KINDS: readonly RefusalKind[] = [
  'rate_limit',
  'budget',
  'overloaded',
  'invalid_request',
  'authentication',
  'permission',
  'not_found',
  'request_too_large',
  'api_error',
];

function serve(payload: ErrorPayload): typeof fetch {
  return async () =>
    new Response(JSON.stringify(payload.body), {
      status: payload.status,
      headers: { 'content-type': 'application/json', 'x-should-retry': 'false' },
    });
}

describe('OpenAI envelope', () => {
  const adapter = createAdapter('openai');
  const classes: Record<RefusalKind, unknown> = {
    rate_limit: OpenAI.RateLimitError,
    budget: OpenAI.RateLimitError,
    overloaded: OpenAI.InternalServerError,
    invalid_request: OpenAI.BadRequestError,
    authentication: OpenAI.AuthenticationError,
    permission: OpenAI.PermissionDeniedError,
    not_found: OpenAI.NotFoundError,
    request_too_large: OpenAI.APIError,
    api_error: OpenAI.InternalServerError,
  };

  it.each(KINDS)('%s → the SDK error class, with message, type and code', async (kind) => {
    const payload = adapter.errorPayload(kind, `refused: ${kind}`);
    const client = new OpenAI({ apiKey: 'k', maxRetries: 0, fetch: serve(payload) });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(classes[kind] as new () => unknown);
    expect(error).toMatchObject({
      status: payload.status,
      message: expect.stringContaining(`refused: ${kind}`),
    });
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe(
      (payload.body as { error: { type: string } }).error.type,
    );
  });

  it('classifies its own payloads back to the matching kind', () => {
    const expected: Record<RefusalKind, string> = {
      rate_limit: 'rate_limited',
      budget: 'quota_exhausted',
      overloaded: 'overloaded',
      invalid_request: 'non_retryable',
      authentication: 'non_retryable',
      permission: 'non_retryable',
      not_found: 'non_retryable',
      request_too_large: 'too_large',
      api_error: 'server_error',
    };
    for (const kind of KINDS) {
      const payload = adapter.errorPayload(kind, 'm');
      expect(adapter.classifyError(payload.status, new Headers(), payload.body, 0).kind).toBe(expected[kind]);
    }
  });
});

describe('Anthropic envelope', () => {
  const adapter = createAdapter('anthropic');
  const classes: Record<RefusalKind, unknown> = {
    rate_limit: Anthropic.RateLimitError,
    budget: Anthropic.RateLimitError,
    overloaded: Anthropic.InternalServerError,
    invalid_request: Anthropic.BadRequestError,
    authentication: Anthropic.AuthenticationError,
    permission: Anthropic.PermissionDeniedError,
    not_found: Anthropic.NotFoundError,
    request_too_large: Anthropic.APIError,
    api_error: Anthropic.InternalServerError,
  };

  it.each(KINDS)('%s → the SDK error class with the error type', async (kind) => {
    const payload = adapter.errorPayload(kind, `refused: ${kind}`);
    expect(payload.body).toMatchObject({ type: 'error', error: { message: `refused: ${kind}` } });
    const client = new Anthropic({ apiKey: 'k', maxRetries: 0, fetch: serve(payload) });
    const error = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(classes[kind] as new () => unknown);
    expect(error).toMatchObject({ status: payload.status });
    expect(String((error as Error).message)).toContain(`refused: ${kind}`);
  });
});

describe('Gemini envelope (google.rpc.Status)', () => {
  const adapter = createAdapter('gemini');
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each(KINDS)('%s → ApiError with the status', async (kind) => {
    const payload = adapter.errorPayload(kind, `refused: ${kind}`);
    expect(payload.body).toMatchObject({ error: { code: payload.status, message: `refused: ${kind}` } });
    vi.stubGlobal('fetch', serve(payload));
    const client = new GoogleGenAI({ apiKey: 'k' });
    const error = await client.models
      .generateContent({ model: 'gemini-2.5-flash', contents: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: payload.status });
    expect(String((error as Error).message)).toContain(`refused: ${kind}`);
  });

  it('answers OpenAI-compatible paths in the OpenAI envelope', () => {
    expect(adapter.errorPayload('rate_limit', 'm', 'chat_completions').body).toEqual({
      error: { message: 'm', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(adapter.errorPayload('rate_limit', 'm', 'generate_content').body).toEqual({
      error: { code: 429, message: 'm', status: 'RESOURCE_EXHAUSTED' },
    });
  });
});
