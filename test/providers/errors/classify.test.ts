import { describe, expect, it } from 'vitest';
import type { ProviderAdapter } from '../../../src/providers/adapter.js';
import { createAdapter } from '../../../src/providers/registry.js';
import { headersOf, NOW, sample } from '../helpers.js';

const openai = createAdapter('openai');
const azure = createAdapter('azure');
const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');
const groq = createAdapter('openai-compatible', { preset: 'groq' });
const openrouter = createAdapter('openai-compatible', { preset: 'openrouter' });
const deepseek = createAdapter('openai-compatible', { preset: 'deepseek' });

function classifySample(adapter: ProviderAdapter, key: string) {
  const s = sample(key);
  return adapter.classifyError(s.status, s.headers, s.body, NOW);
}

describe('OpenAI (PROVIDERS.md §1.6, §8.2–§8.6)', () => {
  it('§8.2: a TPM rate limit, retry after the header', () => {
    expect(classifySample(openai, '8.2')).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      status: 429,
      retryAfterMs: 1_000,
      dimension: 'tokens',
      window: 'minute',
      code: 'rate_limit_exceeded',
    });
  });

  it('uses the wait in the message when no header says it', () => {
    const s = sample('8.2');
    expect(openai.classifyError(429, new Headers(), s.body, NOW)).toMatchObject({ retryAfterMs: 174 });
  });

  it('§8.3: a project RPM limit', () => {
    expect(classifySample(openai, '8.3')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 20_000,
      dimension: 'requests',
      window: 'minute',
    });
  });

  it('§8.4: Request too large is never retried', () => {
    expect(classifySample(openai, '8.4')).toMatchObject({
      kind: 'too_large',
      retryable: false,
      dimension: 'tokens',
    });
  });

  it('§8.5: insufficient_quota is never retried', () => {
    expect(classifySample(openai, '8.5')).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
      code: 'insufficient_quota',
    });
  });

  it.each([
    'credit_balance_exhausted',
    'organization_spend_limit_exceeded',
    'project_spend_limit_exceeded',
    'billing_hard_limit_reached',
  ])('%s is a quota', (code) => {
    const body = { error: { message: 'x', type: 'insufficient_quota', param: null, code } };
    expect(openai.classifyError(429, new Headers(), body, NOW).kind).toBe('quota_exhausted');
  });

  it('§8.6: 503 server_is_overloaded is overload, retried', () => {
    expect(classifySample(openai, '8.6')).toMatchObject({ kind: 'overloaded', retryable: true, status: 503 });
  });

  it('a day-window rate limit stays a rate limit (the bucket refills continuously)', () => {
    const body = {
      error: {
        message:
          'Rate limit reached for gpt-4o-mini in organization org-x on requests per day (RPD): Limit 10000, Used 10000, Requested 1. Please try again in 8.64s.',
        type: 'requests',
        code: 'rate_limit_exceeded',
      },
    };
    expect(openai.classifyError(429, new Headers(), body, NOW)).toMatchObject({
      kind: 'rate_limited',
      dimension: 'requests',
      window: 'day',
      retryAfterMs: 8_640,
    });
  });

  it.each([
    [400, 'non_retryable'],
    [401, 'non_retryable'],
    [403, 'non_retryable'],
    [404, 'non_retryable'],
    [422, 'non_retryable'],
    [408, 'timeout'],
    [504, 'timeout'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'overloaded'],
    [529, 'overloaded'],
    [413, 'too_large'],
    [402, 'quota_exhausted'],
    [0, 'network'],
  ] as const)('status %d alone → %s', (status, kind) => {
    expect(openai.classifyError(status, new Headers(), '', NOW).kind).toBe(kind);
  });

  it('x-should-retry: false vetoes a retry', () => {
    const error = openai.classifyError(500, headersOf({ 'x-should-retry': 'false' }), {}, NOW);
    expect(error).toMatchObject({ kind: 'server_error', retryable: false });
    expect(openai.classifyError(429, headersOf({ 'x-should-retry': 'false' }), {}, NOW).kind).toBe(
      'quota_exhausted',
    );
  });

  it('retry-after-ms wins over retry-after; HTTP dates are relative to now', () => {
    expect(
      openai.classifyError(429, headersOf({ 'retry-after-ms': '250', 'retry-after': '3' }), {}, NOW)
        .retryAfterMs,
    ).toBe(250);
    const date = new Date(NOW + 30_000).toUTCString();
    expect(openai.classifyError(429, headersOf({ 'retry-after': date }), {}, NOW).retryAfterMs).toBe(30_000);
  });

  it('reads raw-text bodies that are JSON', () => {
    expect(classifySample(openai, '8.5').kind).toBe(
      openai.classifyError(429, new Headers(), sample('8.5').text, NOW).kind,
    );
    expect(openai.classifyError(502, new Headers(), '<html>Bad gateway</html>', NOW)).toMatchObject({
      kind: 'server_error',
      message: '<html>Bad gateway</html>',
    });
  });
});

describe('Azure (§2.3, §8.8)', () => {
  it('§8.8: token rate limit, retry-after-ms wins', () => {
    expect(classifySample(azure, '8.8')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 5_234,
      dimension: 'tokens',
      window: 'minute',
      code: '429',
    });
  });

  it('call rate limit is requests per minute', () => {
    const body = {
      error: {
        code: '429',
        message:
          'Requests to the ChatCompletions_Create Operation ... have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds.',
      },
    };
    expect(azure.classifyError(429, new Headers(), body, NOW)).toMatchObject({
      dimension: 'requests',
      retryAfterMs: 2_000,
    });
  });

  it('a wait of a day is a quota', () => {
    const body = {
      error: {
        code: '429',
        message:
          'Requests ... have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 86400 seconds.',
      },
    };
    expect(azure.classifyError(429, headersOf({ 'retry-after': '86400' }), body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
    });
    expect(azure.classifyError(429, new Headers(), body, NOW).kind).toBe('quota_exhausted');
  });

  it('capacity throttling is overload', () => {
    const body = {
      error: {
        code: '429',
        message:
          'The system is currently experiencing high demand and cannot process your request. Please retry after 20 seconds.',
      },
    };
    expect(azure.classifyError(429, new Headers(), body, NOW)).toMatchObject({
      kind: 'overloaded',
      retryAfterMs: 20_000,
    });
  });
});

describe('Anthropic (§3.2, §3.3, §8.10–§8.12)', () => {
  it('§8.10: ITPM rate limit', () => {
    expect(classifySample(anthropic, '8.10')).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      retryAfterMs: 11_000,
      dimension: 'input_tokens',
      window: 'minute',
      code: 'rate_limit_error',
    });
  });

  it('§8.11: the tier spend cap is a quota', () => {
    expect(classifySample(anthropic, '8.11')).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
      code: 'enforced_spend_limit_reached',
    });
  });

  it('§8.12: 529 overloaded', () => {
    expect(classifySample(anthropic, '8.12')).toMatchObject({
      kind: 'overloaded',
      retryable: true,
      status: 529,
    });
  });

  it.each([
    'You have reached your specified API usage limits. You will regain access on 2026-06-01 at 00:00 UTC.',
    'You have reached your specified workspace API usage limits.',
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  ])('400 "%s" is a quota', (message) => {
    const body = { type: 'error', error: { type: 'invalid_request_error', message } };
    expect(anthropic.classifyError(400, new Headers(), body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
    });
  });

  it.each([
    ['output tokens per minute', 'output_tokens'],
    ['Number of concurrent connections has exceeded your rate limit.', 'concurrency'],
  ])('names the dimension of "%s"', (text, dimension) => {
    const body = { type: 'error', error: { type: 'rate_limit_error', message: `... of 8,000 ${text}` } };
    expect(anthropic.classifyError(429, new Headers(), body, NOW).dimension).toBe(dimension);
  });

  it.each([
    [400, 'invalid_request_error', 'non_retryable'],
    [401, 'authentication_error', 'non_retryable'],
    [403, 'permission_error', 'non_retryable'],
    [404, 'not_found_error', 'non_retryable'],
    [413, 'request_too_large', 'too_large'],
    [402, 'billing_error', 'quota_exhausted'],
    [500, 'api_error', 'server_error'],
    [504, 'timeout_error', 'timeout'],
    [500, 'invalid_request_error', 'server_error'],
  ] as const)('%d %s → %s', (status, type, kind) => {
    const body = { type: 'error', error: { type, message: 'm' } };
    expect(anthropic.classifyError(status, new Headers(), body, NOW).kind).toBe(kind);
  });
});

describe('Gemini (§4.2, §8.15)', () => {
  it('§8.15: per-minute quota, retry after RetryInfo', () => {
    expect(classifySample(gemini, '8.15')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 33_000,
      dimension: 'requests',
      window: 'minute',
      code: 'RESOURCE_EXHAUSTED',
    });
  });

  it('per-day quota is not retried', () => {
    const s = sample('8.15');
    const text = s.text.replace(
      'GenerateRequestsPerMinutePerProjectPerModel',
      'GenerateRequestsPerDayPerProjectPerModel',
    );
    expect(gemini.classifyError(429, new Headers(), JSON.parse(text), NOW)).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
      window: 'day',
    });
  });

  it('a quota of 0 is not retried', () => {
    const body = {
      error: {
        code: 429,
        message: 'Quota exceeded for metric: x, limit: 0, model: gemini-2.5-pro',
        status: 'RESOURCE_EXHAUSTED',
      },
    };
    expect(gemini.classifyError(429, new Headers(), body, NOW).kind).toBe('quota_exhausted');
  });

  it('§8.15 bare variant: a rate limit with no hint', () => {
    expect(gemini.classifyError(429, new Headers(), sample('8.15.b').body, NOW)).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: undefined,
    });
  });

  it('reads the fractional wait from the message when details are missing', () => {
    const body = {
      error: { code: 429, message: 'Please retry in 26.211922938s.', status: 'RESOURCE_EXHAUSTED' },
    };
    expect(gemini.classifyError(429, new Headers(), body, NOW).retryAfterMs).toBeCloseTo(26_211.922938, 3);
  });

  it('reads ErrorInfo quotaResetDelay and token quotas', () => {
    const body = [
      {
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          message: 'x',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              metadata: { quotaResetDelay: '373.801628ms' },
            },
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [{ quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier' }],
            },
          ],
        },
      },
    ];
    expect(gemini.classifyError(429, new Headers(), body, NOW)).toMatchObject({
      retryAfterMs: 373.801628,
      dimension: 'input_tokens',
      window: 'minute',
    });
  });

  it.each([
    [503, 'UNAVAILABLE', 'overloaded'],
    [500, 'INTERNAL', 'server_error'],
    [504, 'DEADLINE_EXCEEDED', 'timeout'],
    [400, 'INVALID_ARGUMENT', 'non_retryable'],
    [403, 'PERMISSION_DENIED', 'non_retryable'],
  ] as const)('%d %s → %s', (status, rpc, kind) => {
    const body = { error: { code: status, message: 'm', status: rpc } };
    expect(gemini.classifyError(status, new Headers(), body, NOW).kind).toBe(kind);
  });
});

describe('OpenAI-compatible servers (§5, §8.16, §8.17)', () => {
  it('§8.16: Groq TPM rate limit', () => {
    expect(classifySample(groq, '8.16')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 24_000,
      dimension: 'tokens',
      window: 'minute',
    });
  });

  it('§8.16: Groq 413 is too large', () => {
    expect(classifySample(groq, '8.16.b')).toMatchObject({
      kind: 'too_large',
      retryable: false,
      status: 413,
    });
  });

  it('§8.17: OpenRouter per-minute platform limit', () => {
    expect(classifySample(openrouter, '8.17')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 12_000,
      window: 'minute',
    });
  });

  it('OpenRouter per-minute limit without retry-after: the reset in the body', () => {
    const body = sample('8.17').body;
    expect(openrouter.classifyError(429, new Headers(), body, 1759750000000).retryAfterMs).toBe(12_000);
  });

  it('OpenRouter per-day free-model cap is a quota', () => {
    const body = { error: { message: 'Rate limit exceeded: free-models-per-day. ', code: 429 } };
    expect(openrouter.classifyError(429, new Headers(), body, NOW).kind).toBe('quota_exhausted');
  });

  it('§8.17: an upstream 429 inside a 200 is found by bodyError', () => {
    const s = sample('8.17.b');
    expect(s.status).toBe(200);
    expect(openrouter.bodyError('chat_completions', s.body)).toMatchObject({
      kind: 'rate_limited',
      status: 429,
    });
    expect(openrouter.bodyError('chat_completions', sample('8.1').body)).toBeUndefined();
  });

  it('DeepSeek 402 Insufficient Balance is a quota', () => {
    const body = {
      error: {
        message: 'Insufficient Balance',
        type: 'unknown_error',
        param: null,
        code: 'invalid_request_error',
      },
    };
    expect(deepseek.classifyError(402, new Headers(), body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
    });
  });

  it('Mistral top-level error fields', () => {
    const body = {
      object: 'error',
      message: 'Requests rate limit exceeded',
      type: 'rate_limit_error',
      param: null,
      code: '1300',
    };
    expect(
      createAdapter('openai-compatible', { preset: 'mistral' }).classifyError(429, new Headers(), body, NOW)
        .kind,
    ).toBe('rate_limited');
  });
});
