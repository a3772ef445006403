/**
 * Totality: every adapter function answers any input (garbage, huge, negative,
 * NaN, wrong JSON types, deep nesting, cycles, throwing getters) with a value
 * or "unknown", and the values are sane. The inner functions are fuzzed too,
 * so the adapters' last-resort guard is shown not to be what saves them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  Endpoint,
  HeaderLookup,
  ProviderAdapter,
  ProviderError,
  RateLimitObservation,
} from '../../src/providers/adapter.js';
import { classifyAnthropicError } from '../../src/providers/anthropic/errors.js';
import { estimateAnthropicRequest } from '../../src/providers/anthropic/estimate.js';
import { ANTHROPIC_RATE_LIMIT_HEADERS } from '../../src/providers/anthropic/rate-limit-headers.js';
import { charCounter, tokenizerCounter } from '../../src/providers/estimate/text-counter.js';
import { classifyGeminiError } from '../../src/providers/gemini/errors.js';
import { estimateGeminiRequest } from '../../src/providers/gemini/estimate.js';
import { observeHeaders } from '../../src/providers/observe/header-scheme.js';
import { classifyOpenAIError } from '../../src/providers/openai/errors.js';
import { estimateOpenAIRequest } from '../../src/providers/openai/estimate.js';
import { OPENAI_RATE_LIMIT_HEADERS } from '../../src/providers/openai/rate-limit-headers.js';
import { outputDefaults } from '../../src/providers/options.js';
import { createAdapter, PROVIDER_KINDS } from '../../src/providers/registry.js';
import { NOW } from './helpers.js';

const ADAPTERS: readonly ProviderAdapter[] = [
  ...PROVIDER_KINDS.map((kind) => createAdapter(kind)),
  createAdapter('openai-compatible', { preset: 'groq' }),
  createAdapter('openai-compatible', { preset: 'together' }),
  createAdapter('openai-compatible', { preset: 'mistral' }),
];
const ENDPOINTS: readonly Endpoint[] = [
  'chat_completions',
  'responses',
  'completions',
  'embeddings',
  'models',
  'messages',
  'count_tokens',
  'generate_content',
  'stream_generate_content',
];
const ERROR_KINDS = [
  'rate_limited',
  'quota_exhausted',
  'too_large',
  'overloaded',
  'server_error',
  'timeout',
  'non_retryable',
  'network',
];

const hugeNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, 1e308, 2 ** 53 + 2, -0),
  fc.integer(),
);
const headerText = fc.oneof(
  fc.string({ maxLength: 40 }),
  hugeNumber.map(String),
  fc.constantFrom(
    '-1',
    '6m0s',
    '1h2m3.5s',
    '2026-05-01T12:00:01Z',
    '9999-12-31T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '1e400',
    '',
  ),
  fc.string({ minLength: 300, maxLength: 2_000 }),
);
const HEADER_NAMES = [
  ...OPENAI_RATE_LIMIT_HEADERS.flatMap((e) => [e.limit, e.remaining, e.reset]),
  ...ANTHROPIC_RATE_LIMIT_HEADERS.flatMap((e) => [e.limit, e.remaining, e.reset]),
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
].filter((n): n is string => typeof n === 'string');
const headersArb = fc
  .dictionary(fc.constantFrom(...HEADER_NAMES), headerText)
  .map((record) => ({ get: (name: string) => record[name.toLowerCase()] ?? null }) satisfies HeaderLookup);

/** JSON-ish bodies biased toward the fields adapters read. */
const FIELD_NAMES = [
  'model',
  'messages',
  'content',
  'role',
  'name',
  'text',
  'type',
  'input',
  'prompt',
  'tools',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'best_of',
  'stream',
  'system',
  'contents',
  'parts',
  'generationConfig',
  'maxOutputTokens',
  'candidateCount',
  'usage',
  'prompt_tokens',
  'completion_tokens',
  'input_tokens',
  'output_tokens',
  'error',
  'code',
  'message',
  'status',
  'details',
  '@type',
  'violations',
  'quotaId',
  'retryDelay',
  'usageMetadata',
  'promptTokenCount',
  'tool_calls',
  'function',
  'arguments',
  'image_url',
  'detail',
  'instructions',
  'source',
  'data',
];
const { body: bodyArb } = fc.letrec((tie) => ({
  body: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string(), hugeNumber, fc.boolean(), fc.constant(null), fc.constant(undefined)),
    fc.array(tie('body'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string()), tie('body'), { maxKeys: 6 }),
  ),
}));

function deepNest(depth: number): unknown {
  let value: unknown = { text: 'x' };
  for (let i = 0; i < depth; i++) value = { messages: [{ content: [value] }], error: value, usage: value };
  return value;
}

function cyclic(): unknown {
  const message: Record<string, unknown> = { role: 'user', content: 'hi' };
  const body: Record<string, unknown> = { model: 'gpt-4o', messages: [message], tools: [message] };
  message.self = body;
  body.error = body;
  return body;
}

function hostile(): unknown {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('boom');
      },
      has() {
        throw new Error('boom');
      },
      getOwnPropertyDescriptor() {
        throw new Error('boom');
      },
      ownKeys() {
        throw new Error('boom');
      },
    },
  );
}

const SPECIAL_BODIES: readonly unknown[] = [deepNest(5_000), cyclic(), hostile(), { messages: hostile() }];

function checkError(error: ProviderError): void {
  expect(ERROR_KINDS).toContain(error.kind);
  expect(typeof error.retryable).toBe('boolean');
  expect(Number.isFinite(error.status)).toBe(true);
  if (error.retryAfterMs !== undefined) {
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(86_400_000);
  }
}

function checkObservations(observations: readonly RateLimitObservation[], now: number): void {
  for (const o of observations) {
    if (o.limit !== undefined) expect(o.limit).toBeGreaterThan(0);
    if (o.remaining !== undefined) {
      expect(o.remaining).toBeGreaterThanOrEqual(0);
      if (o.limit !== undefined) expect(o.remaining).toBeLessThanOrEqual(o.limit);
    }
    if (o.resetAt !== undefined) {
      expect(o.resetAt).toBeGreaterThanOrEqual(now);
      expect(o.resetAt).toBeLessThanOrEqual(now + 86_400_000);
    }
  }
}

function checkCost(adapter: ProviderAdapter, endpoint: Endpoint, body: unknown): void {
  const estimate = adapter.estimate(endpoint, body, '/v1beta/models/x:generateContent');
  for (const n of [estimate.cost.requests, estimate.cost.inputTokens, estimate.cost.outputTokens]) {
    expect(Number.isFinite(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(0);
  }
}

describe('totality of every adapter method', () => {
  it('estimate / usageFromBody / bodyError / requestStreamUsage on random bodies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ADAPTERS),
        fc.constantFrom(...ENDPOINTS),
        bodyArb,
        (adapter, endpoint, body) => {
          checkCost(adapter, endpoint, body);
          const usage = adapter.usageFromBody(endpoint, body);
          if (usage) {
            expect(usage.inputTokens).toBeGreaterThanOrEqual(0);
            expect(usage.outputTokens).toBeGreaterThanOrEqual(0);
          }
          const error = adapter.bodyError(endpoint, body);
          if (error) checkError(error);
          if (body && typeof body === 'object' && !Array.isArray(body)) {
            adapter.requestStreamUsage?.(endpoint, body as Record<string, unknown>);
          }
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('observe and classifyError on random headers, statuses and bodies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ADAPTERS),
        headersArb,
        fc.oneof(fc.integer({ min: -10, max: 1_000 }), hugeNumber),
        bodyArb,
        fc.oneof(fc.constant(NOW), fc.integer({ min: 0, max: 4e12 })),
        (adapter, headers, status, body, now) => {
          checkObservations(adapter.observe(headers, now), now);
          checkError(adapter.classifyError(status, headers, body, now));
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('matchEndpoint and errorPayload on any strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ADAPTERS), fc.string(), fc.string(), (adapter, method, path) => {
        const endpoint = adapter.matchEndpoint(method, path);
        if (endpoint !== undefined) expect(ENDPOINTS).toContain(endpoint);
        const payload = adapter.errorPayload('rate_limit', path);
        expect(payload.status).toBe(429);
        expect(() => JSON.stringify(payload.body)).not.toThrow();
      }),
    );
  });

  it('deep nesting, cycles and throwing getters', () => {
    for (const adapter of ADAPTERS) {
      for (const body of SPECIAL_BODIES) {
        for (const endpoint of ENDPOINTS) {
          checkCost(adapter, endpoint, body);
          adapter.usageFromBody(endpoint, body);
          adapter.bodyError(endpoint, body);
          checkError(adapter.classifyError(429, new Headers(), body, NOW));
        }
      }
    }
  });
});

describe('the inner functions are total on their own (the guard is a net, not a crutch)', () => {
  const output = outputDefaults({});
  const openAIConfig = {
    counterFor: () => tokenizerCounter('o200k_base'),
    output,
    maxTokenizedChars: 10_000,
  };
  const charConfig = { counterFor: () => charCounter, output, maxTokenizedChars: 10_000 };

  it('estimators, classifiers and the header observer', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ENDPOINTS),
        bodyArb,
        headersArb,
        fc.integer({ min: -1, max: 999 }),
        (endpoint, body, headers, status) => {
          estimateOpenAIRequest(endpoint, body, undefined, openAIConfig, undefined);
          estimateOpenAIRequest(endpoint, body, undefined, charConfig, { defaultMaxOutputTokens: -1 });
          estimateAnthropicRequest(endpoint, body, { output }, undefined);
          estimateGeminiRequest(endpoint, body, 'm', { output }, undefined);
          checkError(classifyOpenAIError(status, headers, body, NOW));
          checkError(classifyAnthropicError(status, headers, body, NOW));
          checkError(classifyGeminiError(status, headers, body, NOW));
          checkObservations(observeHeaders(OPENAI_RATE_LIMIT_HEADERS, headers, NOW), NOW);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('on deep nesting, cycles and throwing getters', () => {
    for (const body of SPECIAL_BODIES) {
      for (const endpoint of ENDPOINTS) {
        estimateOpenAIRequest(endpoint, body, undefined, openAIConfig, undefined);
        estimateAnthropicRequest(endpoint, body, { output }, undefined);
        estimateGeminiRequest(endpoint, body, 'm', { output }, undefined);
        checkError(classifyOpenAIError(429, new Headers(), body, NOW));
        checkError(classifyAnthropicError(429, new Headers(), body, NOW));
        checkError(classifyGeminiError(429, new Headers(), body, NOW));
      }
    }
  });
});
