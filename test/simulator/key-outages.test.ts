/**
 * Faults for keys that cannot serve (issue 15), per key and switchable
 * mid-run: OpenAI insufficient_quota and credit_balance_exhausted, Anthropic's
 * 400 "credit balance is too low", Gemini's daily quota of 0, and OpenAI
 * slow_down, with the bodies PROVIDERS.md shows, read back by Sluice's own
 * classifiers.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { simulatorsClosedAfterEach } from './started.js';

const start = simulatorsClosedAfterEach();

function openaiCall(sim: Simulator, key: string) {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
  });
}

function anthropicCall(sim: Simulator, key: string, path = '/v1/messages') {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'Hi' }],
    }),
  });
}

function geminiCall(sim: Simulator, key: string) {
  return fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
  });
}

async function statuses(sim: Simulator, key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await openaiCall(sim, key)).status);
  return out;
}

describe('a key running out mid-run', () => {
  it('answers insufficient_quota (§8.5, verbatim) to one key from its N-th call on; the other key is unaffected', async () => {
    const { sim, clock } = await start({
      faults: [{ kind: 'insufficient_quota', key: 'sk-a', from: 3 }],
    });
    expect(await statuses(sim, 'sk-a', 4)).toEqual([200, 200, 429, 429]);
    expect(await statuses(sim, 'sk-b', 3)).toEqual([200, 200, 200]);
    const reply = await openaiCall(sim, 'sk-a');
    const body = await reply.text();
    expect(body).toBe(
      '{"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}',
    );
    const error = createAdapter('openai').classifyError(429, reply.headers, body, clock.now());
    expect(error.cannotServe).toEqual({ reason: 'quota', scope: 'key' });
    expect(sim.stats().per_key['sk-a']?.['gpt-4o-mini']?.requests).toBe(5);
  });

  it('a `from`–`to` range, and PUT /_sim/faults switches faults mid-run (the key comes back)', async () => {
    const { sim } = await start({
      faults: [{ kind: 'credit_balance_too_low', key: 'sk-a', from: 2, to: 3 }],
    });
    expect(await statuses(sim, 'sk-a', 4)).toEqual([200, 429, 429, 200]);

    const put = (body: string) => fetch(`${sim.url}/_sim/faults`, { method: 'PUT', body });
    expect((await put(JSON.stringify([{ kind: 'insufficient_quota', key: 'sk-a', from: 1 }]))).status).toBe(
      200,
    );
    expect(await statuses(sim, 'sk-a', 2)).toEqual([429, 429]);
    expect(await (await fetch(`${sim.url}/_sim/faults`)).json()).toEqual([
      { kind: 'insufficient_quota', key: 'sk-a', from: 1 },
    ]);
    expect((await put('[]')).status).toBe(200);
    expect(await statuses(sim, 'sk-a', 2)).toEqual([200, 200]);

    const bad = await put(JSON.stringify([{ kind: 'insufficient_quota' }]));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('a fault needs a trigger');
    expect((await put('not json')).status).toBe(400);
    sim.setFaults([{ kind: 'slow_down', key: 'sk-a', every: 1 }]);
    expect(await statuses(sim, 'sk-a', 1)).toEqual([429]);
  });

  it('OpenAI credit_balance_exhausted: type insufficient_quota, its own code', async () => {
    const { sim } = await start({ faults: [{ kind: 'credit_balance_too_low', from: 1 }] });
    const reply = await openaiCall(sim, 'sk-a');
    expect(reply.status).toBe(429);
    expect(await reply.json()).toEqual({
      error: {
        message:
          'You have no credits remaining. Add credits to continue using the API at https://platform.openai.com/settings/organization/billing/.',
        type: 'insufficient_quota',
        param: null,
        code: 'credit_balance_exhausted',
      },
    });
  });

  it('Anthropic: a 400 "credit balance is too low", count_tokens included; Sluice takes the organisation out', async () => {
    const { sim, clock } = await start({
      faults: [{ kind: 'credit_balance_too_low', key: 'sk-ant-a', from: 1 }],
    });
    const reply = await anthropicCall(sim, 'sk-ant-a');
    expect(reply.status).toBe(400);
    const body = (await reply.json()) as { type: string; error: unknown; request_id: string };
    expect(body).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message:
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      },
    });
    expect(body.request_id).toMatch(/^req_/);
    const error = createAdapter('anthropic').classifyError(400, reply.headers, body, clock.now());
    expect(error).toMatchObject({
      kind: 'quota_exhausted',
      cannotServe: { reason: 'quota', scope: 'organization' },
    });
    expect((await anthropicCall(sim, 'sk-ant-a', '/v1/messages/count_tokens')).status).toBe(400);
    expect((await anthropicCall(sim, 'sk-ant-b')).status).toBe(200);
  });

  it('Gemini: a daily quota of 0 (PerDay quota id, "limit: 0"), out until midnight Pacific', async () => {
    const { sim, clock } = await start({
      faults: [{ kind: 'insufficient_quota', flavour: 'gemini', from: 1 }],
    });
    const reply = await geminiCall(sim, 'AIza-a');
    expect(reply.status).toBe(429);
    const body = (await reply.json()) as { error: { message: string; status: string; details: unknown[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.message).toContain('limit: 0');
    expect(JSON.stringify(body.error.details)).toContain('PerDay');
    const error = createAdapter('gemini').classifyError(429, reply.headers, body, clock.now());
    expect(error.cannotServe).toMatchObject({ reason: 'quota', scope: 'deployment' });
    expect(error.cannotServe?.resumeAt).toBeGreaterThan(clock.now());
  });

  it('OpenAI slow_down: a 429 rate_limit_error with retry-after, read as a ramp', async () => {
    const { sim, clock } = await start({ faults: [{ kind: 'slow_down', from: 1, retry_after_s: 2 }] });
    const reply = await openaiCall(sim, 'sk-a');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('2');
    const body = await reply.json();
    expect(body).toMatchObject({ error: { type: 'rate_limit_error', code: 'slow_down' } });
    const error = createAdapter('openai').classifyError(429, reply.headers, body, clock.now());
    expect(error).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      slowDown: true,
      retryAfterMs: 2_000,
    });
    expect(error.cannotServe).toBeUndefined();
  });
});
