/**
 * The one place an outcome, a refusal or an error becomes what a client sees
 * (runtime/exchange/answer.ts): status, headers and the body's envelope in
 * the caller's API, through `serveCall` on the fake transport, and
 * `refusalAnswer` / `errorAnswer` directly.
 */
import { describe, expect, it, vi } from 'vitest';
import { type AnswerOptions, errorAnswer, refusalAnswer } from '../../src/runtime/exchange/answer.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { refusal } from '../../src/runtime/refusal.js';
import { StoreUnavailableError } from '../../src/stores/store.js';
import { call, governorFor, headersOf, openaiDeployment, relayAll, type ScriptedReply } from './kit.js';

const TOPOLOGY: GovernorTopology = {
  modelGroups: {
    g: { deployments: [openaiDeployment('a')] },
    keyed: { deployments: [openaiDeployment('k', { apiKey: 'sk-operator' })] },
    claude: {
      deployments: [{ id: 'c', provider: 'anthropic', baseUrl: 'http://c.test', model: 'claude-x' }],
    },
    flash: { deployments: [{ id: 'f', provider: 'gemini', baseUrl: 'http://f.test', model: 'gemini-x' }] },
  },
  tiers: { pro: { limits: { rpm: 10 } } },
  tenants: [
    { id: 'acme', tier: 'pro' },
    { id: 'narrow', tier: 'pro', modelGroups: ['claude'] },
  ],
  retry: { maxAttempts: 1 },
};

const OPTIONS: AnswerOptions = {
  family: 'openai',
  requestId: 'req-local',
  maxClientWaitMs: 60_000,
  deploymentHeader: false,
};

const openaiError = (
  status: number,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
) =>
  ({
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req_up', ...headers },
    body: { error: { message: `upstream ${status}`, type, param: null, code } },
  }) satisfies ScriptedReply;

describe('answerOf: a success', () => {
  it('relays the family’s own headers, never the provider’s rate-limit headers; the tenant’s budget instead', async () => {
    const rig = governorFor(TOPOLOGY);
    rig.transport.script('a', {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-length': '17',
        'x-request-id': 'req_up',
        'openai-processing-ms': '412',
        'x-ratelimit-limit-requests': '5000',
        'x-ratelimit-remaining-requests': '4999',
        'set-cookie': 'x=y',
      },
      body: '{"usage":null,"a":1}',
    });
    const answer = await rig.serve(call('openai', { tenant: 'acme' }), { deploymentHeader: true });
    expect(answer.status).toBe(200);
    expect(answer.body).toBeUndefined();
    expect(answer.contentLength).toBe('17');
    expect(headersOf(answer)).toEqual({
      'x-sluice-request-id': expect.stringMatching(/^req-/),
      'content-type': 'application/json',
      'x-request-id': 'req_up',
      'openai-processing-ms': '412',
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-reset-requests': '6s',
      'ratelimit-policy': '"requests";q=10;w=60',
      ratelimit: '"requests";r=9;t=6',
      'x-sluice-deployment': 'a',
      'x-sluice-load': 'ok',
    });
    relayAll(answer, rig.transport.replies[0] as never);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
  });

  it('relays Anthropic’s request-id and Gemini’s content type; a stream has no content length', async () => {
    const rig = governorFor(TOPOLOGY);
    rig.transport.script('c', {
      headers: {
        'content-type': 'text/event-stream',
        'request-id': 'req_anthropic',
        'anthropic-ratelimit-requests-remaining': '3999',
        'content-length': '99',
      },
      chunks: [],
    });
    rig.transport.script('f', {
      headers: { 'content-type': 'application/json', 'x-goog-x': '1' },
      body: '{}',
    });
    const claude = await rig.serve(call('anthropic', { model: 'claude', stream: true }));
    expect(claude.contentLength).toBeUndefined();
    expect(Object.keys(headersOf(claude))).toEqual([
      'x-sluice-request-id',
      'content-type',
      'request-id',
      'x-sluice-load',
    ]);
    const flash = await rig.serve(call('gemini', { model: 'flash' }));
    expect(Object.keys(headersOf(flash))).toEqual(['x-sluice-request-id', 'content-type', 'x-sluice-load']);
    claude.relay?.end();
    flash.relay?.end();
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
  });
});

describe('answerOf: an upstream error', () => {
  it('relays status, body and retry hints as received; retrying stays the client’s choice', async () => {
    const rig = governorFor(TOPOLOGY);
    const reply = openaiError(503, 'service_unavailable_error', null, {
      'retry-after': '2',
      'x-ratelimit-limit-requests': '5',
    });
    rig.transport.script('a', reply);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(503);
    expect(answer.body).toBe(JSON.stringify(reply.body));
    expect(headersOf(answer)).toEqual({
      'x-sluice-request-id': expect.any(String),
      'content-type': 'application/json',
      'retry-after': '2',
      'x-request-id': 'req_up',
      'x-sluice-load': 'ok',
    });
    expect(answer.report).toMatchObject({ upstreamError: 'overloaded', refusal: undefined, deployment: 'a' });
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
  });

  it('says x-should-retry: false when no retry can help (a 400) or the wait is longer than a client should sleep', async () => {
    const rig = governorFor(TOPOLOGY);
    rig.transport.script('a', openaiError(400, 'invalid_request_error', null));
    const bad = await rig.serve(call('openai'));
    expect([bad.status, headersOf(bad)['x-should-retry']]).toEqual([400, 'false']);

    rig.transport.script('a', openaiError(429, 'requests', 'rate_limit_exceeded', { 'retry-after': '120' }));
    const long = await rig.serve(call('openai'));
    expect([long.status, headersOf(long)['retry-after'], headersOf(long)['x-should-retry']]).toEqual([
      429,
      '120',
      'false',
    ]);

    // The same wait is fine for a client that may sleep longer.
    await rig.clock.advanceAsync(120_000);
    rig.transport.script('a', openaiError(429, 'requests', 'rate_limit_exceeded', { 'retry-after': '120' }));
    const patient = await rig.serve(call('openai'), { maxClientWaitMs: 300_000 });
    expect(headersOf(patient)['x-should-retry']).toBeUndefined();
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
  });

  it('answers 502 upstream_credentials when the provider refuses the deployment’s own key', async () => {
    const rig = governorFor(TOPOLOGY);
    rig.transport.script('k', openaiError(401, 'invalid_request_error', 'invalid_api_key'));
    const answer = await rig.serve(call('openai', { model: 'keyed' }));
    expect(answer.status).toBe(502);
    expect(answer.report).toMatchObject({ refusal: 'upstream_credentials', upstreamError: 'non_retryable' });
    expect(headersOf(answer)['x-should-retry']).toBe('false');
    const body = JSON.parse(answer.body ?? '{}');
    expect(body.error.message).toBe(
      'The provider refused the credentials configured for model `keyed` (HTTP 401); tell the operator.',
    );
    expect(answer.body).not.toContain('upstream 401');
    expect(rig.transport.sent[0]?.headers.authorization).toBe('Bearer sk-operator');
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
  });

  it('relays the 401 as is when the key was the caller’s own', async () => {
    const rig = governorFor(TOPOLOGY);
    rig.transport.script('a', openaiError(401, 'invalid_request_error', 'invalid_api_key'));
    const answer = await rig.serve(
      call('openai', { forwarding: 'as-sent', forwardHeaders: { authorization: 'Bearer sk-caller' } }),
    );
    expect(answer.status).toBe(401);
    expect(answer.report.refusal).toBeUndefined();
    expect(JSON.parse(answer.body ?? '{}').error.message).toBe('upstream 401');
    expect(rig.transport.sent[0]?.headers.authorization).toBe('Bearer sk-caller');
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
  });

  it('answers 502 upstream_unreachable when no answer came, the address kept for the operator', async () => {
    const rig = governorFor(TOPOLOGY);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' });
    rig.transport.script('a', { throws: refused }, { throws: refused }, { throws: refused });
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(502);
    expect(answer.report).toMatchObject({
      refusal: 'upstream_unreachable',
      detail: 'connect ECONNREFUSED 10.0.0.7:443',
    });
    expect(answer.body).not.toContain('10.0.0.7');
    expect(JSON.parse(answer.body ?? '{}').error.message).toBe(
      'The upstream of model `g` could not be reached.',
    );
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
  });
});

describe('answerOf: a refusal, in the caller’s envelope', () => {
  it('writes each family’s error JSON and request-id header', async () => {
    const rig = governorFor(TOPOLOGY);
    const openai = await rig.serve(call('openai', { model: 'nope' }));
    const anthropic = await rig.serve(call('anthropic', { model: 'nope' }));
    const gemini = await rig.serve(call('gemini', { model: 'nope' }));
    const message = 'The model `nope` is not one of the model groups served here.';
    expect([openai.status, anthropic.status, gemini.status]).toEqual([404, 404, 404]);
    expect(JSON.parse(openai.body ?? '{}')).toEqual({
      error: { message, type: 'invalid_request_error', param: null, code: null },
    });
    expect(JSON.parse(anthropic.body ?? '{}')).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message },
    });
    expect(JSON.parse(gemini.body ?? '{}')).toEqual({ error: { code: 404, message, status: 'NOT_FOUND' } });
    for (const [answer, idHeader] of [
      [openai, 'x-request-id'],
      [anthropic, 'request-id'],
      [gemini, 'x-request-id'],
    ] as const) {
      const headers = headersOf(answer);
      expect(headers[idHeader]).toBe(headers['x-sluice-request-id']);
      expect(headers['x-sluice-refusal']).toBe('unknown_model');
      expect(headers['x-should-retry']).toBe('false');
      expect(headers['content-type']).toBe('application/json');
    }
    expect(rig.transport.sent).toEqual([]);
    expect(rig.store.expectSettledOnce()).toHaveLength(0);
  });

  it('tells a known tenant its budget even when refused before admission', async () => {
    const rig = governorFor(TOPOLOGY);
    const answer = await rig.serve(call('openai', { tenant: 'narrow' }));
    expect(answer.status).toBe(403);
    expect(headersOf(answer)).toMatchObject({
      'x-sluice-refusal': 'model_not_allowed',
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': '10',
    });
  });

  it('says when to come back on every 429 and 503, and 1 s when nothing better is known', () => {
    const noHint = refusalAnswer(refusal('shutting_down', 'Sluice is shutting down.'), OPTIONS);
    expect(noHint.status).toBe(503);
    expect(headersOf(noHint)['retry-after']).toBe('1');
    expect(headersOf(noHint)['x-should-retry']).toBeUndefined();

    const hinted = refusalAnswer(refusal('queue_full', 'Full.', { retryAfterMs: 2_345 }), OPTIONS);
    expect(headersOf(hinted)).toMatchObject({ 'retry-after': '3', 'retry-after-ms': '2345' });

    // A final 429 has no retry-after: no wait helps.
    const final = refusalAnswer(refusal('request_too_large', 'Too large.'), OPTIONS);
    expect(final.status).toBe(429);
    expect(headersOf(final)['retry-after']).toBeUndefined();
    expect(headersOf(final)['x-should-retry']).toBe('false');
  });

  it('says x-should-retry: false on a wait longer than a client should sleep (a per-day bucket)', () => {
    const perDay = refusal('tenant_rate_limited', 'Per day.', { retryAfterMs: 42_960_500 });
    const answer = refusalAnswer(perDay, OPTIONS);
    expect(headersOf(answer)).toMatchObject({ 'retry-after': '42961', 'x-should-retry': 'false' });
    expect(
      headersOf(refusalAnswer(perDay, { ...OPTIONS, maxClientWaitMs: 86_400_000 }))['x-should-retry'],
    ).toBeUndefined();
    const minute = refusalAnswer(
      refusal('tenant_rate_limited', 'Minute.', { retryAfterMs: 60_000 }),
      OPTIONS,
    );
    expect(headersOf(minute)['x-should-retry']).toBeUndefined();
  });

  it('answers a caller that went away with 499 (nobody reads it)', () => {
    const answer = refusalAnswer(refusal('aborted', 'The caller went away.'), OPTIONS);
    expect(answer.status).toBe(499);
    expect(answer.report.refusal).toBe('aborted');
  });
});

describe('errorAnswer', () => {
  it('answers a store outage 503 store_unavailable with the store’s retry hint', () => {
    const error = new StoreUnavailableError('redis: connection lost', { retryAfterMs: 2_500 });
    const answer = errorAnswer(error, { ...OPTIONS, family: 'anthropic' });
    expect(answer.status).toBe(503);
    expect(headersOf(answer)).toMatchObject({
      'x-sluice-refusal': 'store_unavailable',
      'retry-after': '3',
      'retry-after-ms': '2500',
      'request-id': 'req-local',
    });
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Rate-limit state is unavailable; try again shortly.' },
    });
    expect(answer.report.detail).toBe('redis: connection lost');
  });

  it('answers a bug 500 internal_error, its detail only in the report', () => {
    const answer = errorAnswer(new TypeError('cannot read properties of undefined (secret-ish)'), OPTIONS);
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain('secret-ish');
    expect(JSON.parse(answer.body ?? '{}').error.message).toBe('Sluice failed to handle this request.');
    expect(answer.report).toMatchObject({
      refusal: 'internal_error',
      detail: 'TypeError: cannot read properties of undefined (secret-ish)',
    });
    expect(headersOf(answer)['x-should-retry']).toBeUndefined();
  });

  it('is what serveCall answers when the governor throws', async () => {
    const rig = governorFor(TOPOLOGY);
    vi.spyOn(rig.governor, 'execute').mockRejectedValue(new RangeError('bug'));
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(500);
    expect(answer.report).toMatchObject({ refusal: 'internal_error', detail: 'RangeError: bug' });
  });

  it('refuses store_unavailable (503) when the store cannot decide an admission', async () => {
    const rig = governorFor(TOPOLOGY);
    vi.spyOn(rig.store.inner, 'reserve').mockRejectedValue(
      new StoreUnavailableError('cluster down', { retryAfterMs: 1_500 }),
    );
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(503);
    expect(headersOf(answer)).toMatchObject({ 'x-sluice-refusal': 'store_unavailable', 'retry-after': '2' });
    expect(rig.transport.sent).toEqual([]);
    expect(rig.store.expectSettledOnce()).toHaveLength(0);
  });
});
