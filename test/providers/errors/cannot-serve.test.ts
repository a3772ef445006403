/**
 * "This key cannot serve": billing, credit and spend-limit errors and
 * rejected credentials carry `cannotServe` with whose outage it is and when
 * it ends (PROVIDERS.md §1.6, §3.2, §4.2, "2026 changes"); rate limits,
 * overloads and bad requests do not.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../../src/providers/registry.js';
import { headersOf, NOW, sample } from '../helpers.js';

const openai = createAdapter('openai');
const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');
const deepseek = createAdapter('openai-compatible', { preset: 'deepseek' });

function openaiBody(code: string, type = 'insufficient_quota') {
  return { error: { message: 'billing', type, param: null, code } };
}

describe('OpenAI billing codes', () => {
  it.each([
    ['insufficient_quota', 'key'],
    ['credit_balance_exhausted', 'key'],
    ['billing_hard_limit_reached', 'key'],
    ['organization_spend_limit_exceeded', 'organization'],
    ['organization_usage_limit_exceeded', 'organization'],
    ['project_spend_limit_exceeded', 'project'],
    ['team_spend_limit_exceeded', 'key'],
  ])('%s stops the %s, never retried', (code, scope) => {
    const error = openai.classifyError(429, new Headers(), openaiBody(code), NOW);
    expect(error).toMatchObject({ kind: 'quota_exhausted', retryable: false, code });
    expect(error.cannotServe).toEqual({ reason: 'quota', scope });
  });

  it('§8.5 verbatim: insufficient_quota, and a retry-after names when the key is back', () => {
    expect(openai.classifyError(429, new Headers(), sample('8.5').body, NOW).cannotServe).toEqual({
      reason: 'quota',
      scope: 'key',
    });
    const error = openai.classifyError(429, headersOf({ 'retry-after': '120' }), sample('8.5').body, NOW);
    expect(error.cannotServe).toEqual({ reason: 'quota', scope: 'key', resumeAt: NOW + 120_000 });
  });

  it('rate limits, slow_down, overload and bad requests leave the key in rotation', () => {
    for (const [status, code, type] of [
      [429, 'rate_limit_exceeded', 'tokens'],
      [429, 'slow_down', 'rate_limit_error'],
      [503, 'server_is_overloaded', 'service_unavailable_error'],
      [400, 'invalid_value', 'invalid_request_error'],
    ] as const) {
      const error = openai.classifyError(status, new Headers(), openaiBody(code, type), NOW);
      expect(error.cannotServe, code).toBeUndefined();
    }
  });

  it('slow_down asks for a lower rate; other 429s do not say so', () => {
    const slow = openai.classifyError(429, new Headers(), openaiBody('slow_down', 'rate_limit_error'), NOW);
    expect(slow).toMatchObject({ kind: 'rate_limited', retryable: true, slowDown: true });
    const rate = openai.classifyError(429, new Headers(), openaiBody('rate_limit_exceeded', 'tokens'), NOW);
    expect(rate.slowDown).toBeUndefined();
  });

  it('401 is the key, 403 a permission of this deployment', () => {
    const bad = {
      error: {
        message: 'Incorrect API key provided',
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      },
    };
    expect(openai.classifyError(401, new Headers(), bad, NOW)).toMatchObject({
      kind: 'non_retryable',
      cannotServe: { reason: 'credentials', scope: 'key' },
    });
    expect(openai.classifyError(403, new Headers(), bad, NOW).cannotServe).toEqual({
      reason: 'credentials',
      scope: 'deployment',
    });
  });

  it('DeepSeek 402 "Insufficient Balance" stops the key', () => {
    const body = {
      error: { message: 'Insufficient Balance', type: 'unknown_error', code: 'invalid_request_error' },
    };
    expect(deepseek.classifyError(402, new Headers(), body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      cannotServe: { reason: 'quota', scope: 'key' },
    });
  });
});

describe('Anthropic spend caps and credit', () => {
  const error400 = (message: string) => ({
    type: 'error',
    error: { type: 'invalid_request_error', message },
  });

  it('400 "credit balance is too low" stops the organisation', () => {
    const body = error400(
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
    );
    expect(anthropic.classifyError(400, new Headers(), body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      retryable: false,
      cannotServe: { reason: 'quota', scope: 'organization' },
    });
  });

  it("400 specified usage limits: the organisation, or the workspace (the key's project)", () => {
    const org = error400(
      'You have reached your specified API usage limits. You will regain access on 2026-06-01.',
    );
    const ws = error400(
      'You have reached your specified workspace API usage limits. You will regain access …',
    );
    expect(anthropic.classifyError(400, new Headers(), org, NOW).cannotServe?.scope).toBe('organization');
    expect(anthropic.classifyError(400, new Headers(), ws, NOW).cannotServe?.scope).toBe('project');
  });

  it('§8.11 tier spend cap (429, details.error_code) stops the organisation', () => {
    expect(anthropic.classifyError(429, new Headers(), sample('8.11').body, NOW)).toMatchObject({
      kind: 'quota_exhausted',
      cannotServe: { reason: 'quota', scope: 'organization' },
    });
  });

  it('a plain 400, a 429 and a 529 leave the key in rotation; 401 and 403 do not', () => {
    expect(
      anthropic.classifyError(400, new Headers(), error400('max_tokens: Field required'), NOW).cannotServe,
    ).toBeUndefined();
    expect(
      anthropic.classifyError(429, headersOf({ 'retry-after': '3' }), sample('8.10').body, NOW).cannotServe,
    ).toBeUndefined();
    expect(anthropic.classifyError(529, new Headers(), sample('8.12').body, NOW).cannotServe).toBeUndefined();
    const auth = { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } };
    expect(anthropic.classifyError(401, new Headers(), auth, NOW).cannotServe).toEqual({
      reason: 'credentials',
      scope: 'key',
    });
    const denied = { type: 'error', error: { type: 'permission_error', message: 'no access to this model' } };
    expect(anthropic.classifyError(403, new Headers(), denied, NOW).cannotServe?.scope).toBe('deployment');
  });
});

describe('Gemini quotas', () => {
  function quota429(quotaId: string, limit: number) {
    return {
      error: {
        code: 429,
        message: `You exceeded your current quota. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: ${limit}, model: gemini-2.5-flash\nPlease retry in 26.2s.`,
        status: 'RESOURCE_EXHAUSTED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [{ quotaId, quotaValue: String(limit) }],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
        ],
      },
    };
  }

  it('a per-day quota stops this deployment until the next midnight Pacific, not "retry in 26s"', () => {
    const error = gemini.classifyError(
      429,
      new Headers(),
      quota429('GenerateRequestsPerDayPerProjectPerModel-FreeTier', 20),
      NOW,
    );
    // NOW is 2026-05-01 12:00 UTC, 05:00 PDT: midnight PDT is 07:00 UTC the next day.
    expect(error.cannotServe).toEqual({
      reason: 'quota',
      scope: 'deployment',
      resumeAt: Date.UTC(2026, 4, 2, 7, 0, 0),
    });
  });

  it('limit: 0 stops this deployment with no resume time (probes decide)', () => {
    const error = gemini.classifyError(
      429,
      new Headers(),
      quota429('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', 0),
      NOW,
    );
    expect(error).toMatchObject({
      kind: 'quota_exhausted',
      cannotServe: { reason: 'quota', scope: 'deployment' },
    });
    expect(error.cannotServe?.resumeAt).toBeUndefined();
  });

  it('§8.15 per-minute quota is a rate limit, the key stays', () => {
    expect(gemini.classifyError(429, new Headers(), sample('8.15').body, NOW).cannotServe).toBeUndefined();
  });

  it('API_KEY_INVALID (a 400) and 403 PERMISSION_DENIED are credentials', () => {
    const invalid = {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    };
    expect(gemini.classifyError(400, new Headers(), invalid, NOW).cannotServe).toEqual({
      reason: 'credentials',
      scope: 'key',
    });
    const denied = { error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' } };
    expect(gemini.classifyError(403, new Headers(), denied, NOW).cannotServe?.reason).toBe('credentials');
    const bad = { error: { code: 400, message: 'Invalid JSON payload', status: 'INVALID_ARGUMENT' } };
    expect(gemini.classifyError(400, new Headers(), bad, NOW).cannotServe).toBeUndefined();
  });
});
