/**
 * The governor at its real boundary: a `Call` in, a fake transport with
 * canned answers, a manual clock; assertions on the answer, on what was sent
 * when, and on exactly one settle per reservation (runtime/governor.ts).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import { AttemptError } from '../../src/runtime/exchange/call.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import {
  bytes,
  call,
  type FakeReply,
  governorFor,
  headersOf,
  openaiDeployment,
  type Rig,
  relayAll,
  type ScriptedReply,
  type Step,
} from './kit.js';

const OK: ScriptedReply = {
  status: 200,
  headers: { 'content-type': 'application/json', 'x-request-id': 'req_up' },
  body: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
  },
};
const SERVER_ERROR = (headers: Record<string, string> = {}): ScriptedReply => ({
  status: 500,
  headers: { 'content-type': 'application/json', ...headers },
  body: { error: { message: 'The server had an error.', type: 'server_error', param: null, code: null } },
});
const RATE_LIMITED = (headers: Record<string, string>): ScriptedReply => ({
  status: 429,
  headers: { 'content-type': 'application/json', ...headers },
  body: {
    error: { message: 'Rate limit reached.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
  },
});
const QUOTA: ScriptedReply = {
  status: 429,
  headers: { 'content-type': 'application/json' },
  body: {
    error: {
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    },
  },
};

const ONE: GovernorTopology = { modelGroups: { g: { deployments: [openaiDeployment('a')] } } };
const TWO: GovernorTopology = {
  modelGroups: { g: { deployments: [openaiDeployment('a'), openaiDeployment('b')] } },
};

/** Relays the body of the latest reply when the answer is a success (that settles it). */
function finish(rig: Rig, answer: Awaited<ReturnType<Rig['serve']>>): void {
  if (answer.relay) relayAll(answer, rig.transport.replies.at(-1) as FakeReply);
}

/** Starts a served call without awaiting it, so the test can move the clock. */
function start(rig: Rig, c = call('openai')) {
  const state: { answer?: Awaited<ReturnType<Rig['serve']>> } = {};
  const done = rig.serve(c).then((answer) => {
    state.answer = answer;
    return answer;
  });
  return { state, done };
}

describe('governor: success', () => {
  it('sends one attempt to the deployment, rewrites the model and settles once with the usage', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', OK);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(200);
    expect(answer.report).toMatchObject({ deployment: 'a', attempts: 1, waitedMs: 0, refusal: undefined });
    const [sent] = rig.transport.sent;
    expect(sent?.url).toBe('http://a.test/v1/chat/completions');
    expect(JSON.parse(sent?.body ?? '{}').model).toBe('a-model');
    expect(rig.store.settles).toHaveLength(0); // the body is still to come
    finish(rig, answer);
    const [settled] = rig.store.expectSettledOnce();
    expect(settled?.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    rig.transport.expectDone();
  });
});

describe('governor: retries', () => {
  it('retries a 500 after the jittered backoff, growing with each attempt', async () => {
    const rig = governorFor(ONE, { random: () => 0.5 });
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR(), OK);
    const { state, done } = start(rig);
    await rig.flush();
    expect(rig.transport.sent).toHaveLength(1);
    // base 500 ms × 2^0 × jitter 0.5
    await rig.clock.advanceAsync(249);
    expect(rig.transport.sent).toHaveLength(1);
    await rig.clock.advanceAsync(1);
    expect(rig.transport.sent).toHaveLength(2);
    // base 500 ms × 2^1 × jitter 0.5
    await rig.clock.advanceAsync(499);
    expect(rig.transport.sent).toHaveLength(2);
    await rig.clock.advanceAsync(1);
    const answer = await done;
    expect(state.answer?.status).toBe(200);
    expect(answer.report.attempts).toBe(3);
    expect(rig.transport.sent.map((s) => s.at - (rig.transport.sent[0]?.at ?? 0))).toEqual([0, 250, 750]);
    expect(rig.events.retry.map((e) => e.delayMs)).toEqual([250, 500]);
    finish(rig, answer);
    const settles = rig.store.expectSettledOnce();
    // The refused attempts used no tokens; the last one settles with its usage.
    expect(settles.map((s) => s.usage)).toEqual([
      { inputTokens: 0, outputTokens: 0 },
      { inputTokens: 0, outputTokens: 0 },
      expect.objectContaining({ inputTokens: 7, outputTokens: 3 }),
    ]);
    rig.transport.expectDone();
  });

  it('waits exactly as long as the provider says (retry-after, retry-after-ms), not the backoff', async () => {
    for (const [headers, waitMs] of [
      [{ 'retry-after': '3' }, 3_000],
      [{ 'retry-after-ms': '1234', 'retry-after': '2' }, 1_234],
    ] as const) {
      const rig = governorFor(ONE);
      rig.transport.script('a', SERVER_ERROR(headers), OK);
      const { done } = start(rig);
      await rig.clock.advanceAsync(waitMs - 1);
      expect(rig.transport.sent).toHaveLength(1);
      await rig.clock.advanceAsync(1);
      const answer = await done;
      expect(answer.status).toBe(200);
      expect((rig.transport.sent[1]?.at ?? 0) - (rig.transport.sent[0]?.at ?? 0)).toBe(waitMs);
      finish(rig, answer);
      expect(rig.store.expectSettledOnce()).toHaveLength(2);
      rig.transport.expectDone();
    }
  });

  it('does not retry when the provider’s wait would pass the deadline: the error is relayed', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', SERVER_ERROR({ 'retry-after': '40' }));
    const answer = await rig.serve(call('openai', { maxWaitMs: 10_000 }));
    expect(answer.status).toBe(500);
    expect(headersOf(answer)['retry-after']).toBe('40');
    expect(answer.report).toMatchObject({ attempts: 1, upstreamError: 'server_error' });
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });

  it('stops at maxAttempts and relays the last error', async () => {
    const rig = governorFor({ ...ONE, retry: { maxAttempts: 2 } });
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR());
    const { done } = start(rig);
    await rig.clock.advanceAsync(10_000);
    const answer = await done;
    expect(answer.status).toBe(500);
    expect(answer.report.attempts).toBe(2);
    expect(JSON.parse(answer.body ?? '{}').error.type).toBe('server_error');
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });

  it('stops retrying when the deployment’s retry budget is spent, until its window passes', async () => {
    const rig = governorFor({ ...ONE, retry: { budgetMinimum: 1, budgetRatio: 0, budgetWindowMs: 60_000 } });
    // First call: its one retry is the budget.
    rig.transport.script('a', SERVER_ERROR(), OK);
    const first = start(rig);
    await rig.clock.advanceAsync(1_000);
    finish(rig, await first.done);
    expect(first.state.answer?.report.attempts).toBe(2);
    // Second call: no retry left.
    rig.transport.script('a', SERVER_ERROR());
    const second = await rig.serve(call('openai'));
    expect(second.status).toBe(500);
    expect(second.report.attempts).toBe(1);
    // A window later the budget is back.
    await rig.clock.advanceAsync(60_000);
    rig.transport.script('a', SERVER_ERROR(), OK);
    const third = start(rig);
    await rig.clock.advanceAsync(1_000);
    finish(rig, await third.done);
    expect(third.state.answer?.report.attempts).toBe(2);
    expect(rig.store.expectSettledOnce()).toHaveLength(5);
    rig.transport.expectDone();
  });

  it('retries a network error but never an AttemptError that says a retry cannot help', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', { throws: new Error('ECONNRESET') }, OK);
    const retried = start(rig);
    await rig.clock.advanceAsync(250);
    finish(rig, await retried.done);
    expect(retried.state.answer?.report.attempts).toBe(2);

    rig.transport.script('a', { throws: new AttemptError('the function threw', { retryable: false }) });
    const final = await rig.serve(call('openai'));
    expect(final.status).toBe(502);
    expect(final.report).toMatchObject({
      refusal: 'upstream_unreachable',
      attempts: 1,
      detail: 'the function threw',
    });
    // The estimate stands for an attempt that may have reached the provider.
    const settles = rig.store.expectSettledOnce();
    expect(settles.map((s) => s.usage)).toEqual([
      undefined,
      expect.objectContaining({ inputTokens: 7 }),
      undefined,
    ]);
    rig.transport.expectDone();
  });

  it('never retries a quota error (nor falls back): relayed with x-should-retry false', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', QUOTA);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(429);
    expect(headersOf(answer)['x-should-retry']).toBe('false');
    expect(answer.report).toMatchObject({ upstreamError: 'quota_exhausted', attempts: 1 });
    expect(rig.store.pauses).toEqual([]);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });
});

describe('governor: 429 feedback', () => {
  it('pauses the bucket that fired, and the retry waits in admission for exactly that pause', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', RATE_LIMITED({ 'retry-after': '2' }), OK);
    const { done } = start(rig);
    await rig.flush();
    const gate = rig.governor.groups.deployment('a')?.gate;
    expect(rig.store.pauses).toEqual([{ bucket: gate, untilMs: rig.clock.now() + 2_000 }]);
    await rig.clock.advanceAsync(1_999);
    expect(rig.transport.sent).toHaveLength(1);
    await rig.clock.advanceAsync(1);
    const answer = await done;
    expect(answer.status).toBe(200);
    expect(answer.report.waitedMs).toBe(2_000);
    expect((rig.transport.sent[1]?.at ?? 0) - (rig.transport.sent[0]?.at ?? 0)).toBe(2_000);
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });

  it('sends the next attempt to another deployment at once instead of waiting out a 429', async () => {
    const rig = governorFor(TWO);
    rig.transport.script('a', RATE_LIMITED({ 'retry-after': '20' }));
    rig.transport.script('b', OK);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(200);
    expect(rig.transport.sent.map((s) => [s.deployment, s.at - (rig.transport.sent[0]?.at ?? 0)])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(rig.events.fallback).toEqual([{ from: 'a', to: 'b', errorKind: 'rate_limited' }]);
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });
});

describe('governor: fallback order', () => {
  it('tries the other deployments of the group first, then the fallback groups in order', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a'), openaiDeployment('b')], fallbacks: ['h', 'i'] },
        h: { deployments: [openaiDeployment('c')] },
        i: { deployments: [openaiDeployment('d')] },
      },
    });
    rig.transport.script('a', SERVER_ERROR());
    rig.transport.script('b', SERVER_ERROR());
    rig.transport.script('c', SERVER_ERROR());
    rig.transport.script('d', OK);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(200);
    expect(answer.report).toMatchObject({ deployment: 'd', attempts: 4 });
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'b', 'c', 'd']);
    // A fallback is immediate: no backoff between deployments.
    expect(new Set(rig.transport.sent.map((s) => s.at)).size).toBe(1);
    expect(JSON.parse(rig.transport.sent[3]?.body ?? '{}').model).toBe('d-model');
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(4);
    rig.transport.expectDone();
  });

  it('skips fallback groups the tenant may not use, but follows their own fallbacks', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a')], fallbacks: ['h'] },
        h: { deployments: [openaiDeployment('c')], fallbacks: ['i'] },
        i: { deployments: [openaiDeployment('d')] },
      },
      tenants: [{ id: 't', modelGroups: ['g', 'i'] }],
    });
    rig.transport.script('a', SERVER_ERROR());
    rig.transport.script('d', OK);
    const answer = await rig.serve(call('openai', { tenant: 't' }));
    expect(answer.status).toBe(200);
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'd']);
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });

  it('retries the group’s own deployment when no fallback is allowed to the tenant', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a')], fallbacks: ['h'] },
        h: { deployments: [openaiDeployment('c')] },
      },
      tenants: [{ id: 't', modelGroups: ['g'] }],
    });
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR(), SERVER_ERROR());
    const { done } = start(rig, call('openai', { tenant: 't' }));
    await rig.clock.advanceAsync(10_000);
    const answer = await done;
    expect(answer.status).toBe(500);
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'a', 'a']);
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
    rig.transport.expectDone();
  });

  it('after a retry, a deployment its pool refuses is not picked again and again: the call goes to the other', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { pools: ['p'] }), openaiDeployment('b')] } },
      pools: { p: { rpm: 1 } },
      safetyMargin: 0,
      circuit: { consecutiveFailures: 2, firstOpenMs: 1_000 },
    });
    // b's circuit is open (earlier failures), so a's failure below leaves nothing to fall back to: a retry follows.
    const b = rig.governor.groups.deployment('b');
    for (let i = 0; i < 2; i++) {
      const sent = b?.circuit.onSend(rig.clock.now());
      if (sent) b?.circuit.recordFailure(sent, rig.clock.now());
    }
    rig.transport.script('a', SERVER_ERROR({ 'retry-after': '2' }));
    rig.transport.script('b', OK);
    // A guard against the loop this test is about: give up after many refused reservations.
    const caller = new AbortController();
    const reserve = rig.store.reserve.bind(rig.store);
    vi.spyOn(rig.store, 'reserve').mockImplementation((...args) => {
      if (rig.store.refusals.length > 50) caller.abort();
      return reserve(...args);
    });
    const { done } = start(rig, call('openai', { signal: caller.signal }));
    await rig.flush();
    expect(rig.transport.sent).toHaveLength(1);
    // The first attempt took the pool's one request of the minute; b half-opens while the call backs off.
    const [pool] = await rig.store.peek(rig.governor.groups.poolBucketsByName('p'));
    expect(pool?.remaining).toBe(0);
    await rig.clock.advanceAsync(2_000);
    const answer = await done;
    expect(answer.status).toBe(200);
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'b']);
    expect(rig.store.refusals.length).toBeLessThanOrEqual(1);
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });

  it('falls back when a deployment’s own capacity cannot admit the call in time', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a', { limits: { rpm: 1 } })], fallbacks: ['h'] },
        h: { deployments: [openaiDeployment('b')] },
      },
      safetyMargin: 0,
    });
    rig.transport.script('a', OK);
    finish(rig, await rig.serve(call('openai')));
    rig.transport.script('b', OK);
    const answer = await rig.serve(call('openai', { maxWaitMs: 5_000 }));
    expect(answer.status).toBe(200);
    expect(answer.report.deployment).toBe('b');
    expect(rig.events.fallback).toEqual([{ from: 'a', to: 'b', errorKind: 'capacity' }]);
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });
});

describe('governor: admission refusals', () => {
  it('refuses at once with capacity_exhausted and the wait, when the upstream cannot admit before the deadline', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { rpm: 1 } })] } },
      safetyMargin: 0,
    });
    rig.transport.script('a', OK);
    finish(rig, await rig.serve(call('openai')));
    const answer = await rig.serve(call('openai', { maxWaitMs: 5_000 }));
    expect(answer.status).toBe(503);
    expect(answer.report).toMatchObject({ refusal: 'capacity_exhausted', attempts: 0, waitedMs: 0 });
    const headers = headersOf(answer);
    expect(headers['retry-after']).toBe('60');
    expect(headers['x-should-retry']).toBeUndefined();
    expect(JSON.parse(answer.body ?? '{}').error.message).toMatch(/Upstream capacity for `g`/);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });

  it('refuses a call still queued when its max wait runs out, with a retry-after', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { concurrency: 1 } })] } },
      safetyMargin: 0,
    });
    const held = rig.transport.hold('a');
    const first = start(rig);
    await rig.flush();
    expect(held.sent).toBe(true);
    const second = start(rig, call('openai', { maxWaitMs: 1_000 }));
    await rig.flush();
    expect(rig.governor.admission.queued()).toBe(1);
    await rig.clock.advanceAsync(999);
    expect(second.state.answer).toBeUndefined();
    await rig.clock.advanceAsync(1);
    const refused = await second.done;
    expect(refused.status).toBe(503);
    expect(refused.report).toMatchObject({ refusal: 'capacity_exhausted', waitedMs: 1_000, attempts: 0 });
    expect(headersOf(refused)['retry-after']).toBe('1');
    held.release(OK);
    finish(rig, await first.done);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });

  it('refuses a call larger than a whole limit as final (request_too_large, no retry-after)', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { tpm: 100 } })] } },
      safetyMargin: 0,
    });
    const answer = await rig.serve(call('openai', { maxTokens: 1_000 }));
    expect(answer.status).toBe(429);
    expect(answer.report.refusal).toBe('request_too_large');
    const headers = headersOf(answer);
    expect(headers['x-should-retry']).toBe('false');
    expect(headers['retry-after']).toBeUndefined();
    expect(rig.store.expectSettledOnce()).toHaveLength(0);
    rig.transport.expectDone();
  });

  it('tries a fallback group with room for a call too large for the primary’s limit', async () => {
    const rig = governorFor({
      modelGroups: {
        g: { deployments: [openaiDeployment('a', { limits: { tpm: 100 } })], fallbacks: ['h'] },
        h: { deployments: [openaiDeployment('b', { limits: { tpm: 100_000 } })] },
      },
      safetyMargin: 0,
    });
    rig.transport.script('b', OK);
    const answer = await rig.serve(call('openai', { maxTokens: 1_000 }));
    expect(answer.status).toBe(200);
    expect(answer.report.deployment).toBe('b');
    finish(rig, answer);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });

  it('refuses on the tenant’s own budget with tenant_rate_limited and its budget headers', async () => {
    const rig = governorFor({
      ...ONE,
      tiers: { free: { limits: { rpm: 1 } } },
      tenants: [{ id: 't', tier: 'free' }],
    });
    rig.transport.script('a', OK);
    finish(rig, await rig.serve(call('openai', { tenant: 't' })));
    const answer = await rig.serve(call('openai', { tenant: 't', maxWaitMs: 0 }));
    expect(answer.status).toBe(429);
    expect(answer.report.refusal).toBe('tenant_rate_limited');
    const headers = headersOf(answer);
    expect(headers['retry-after']).toBe('60');
    expect(headers['x-ratelimit-limit-requests']).toBe('1');
    expect(headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });
});

describe('governor: the caller goes away', () => {
  it('while queued: refused as aborted, nothing sent, nothing reserved for it', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { concurrency: 1 } })] } },
    });
    const held = rig.transport.hold('a');
    const first = start(rig);
    await rig.flush();
    const caller = new AbortController();
    const second = start(rig, call('openai', { signal: caller.signal }));
    await rig.flush();
    expect(rig.governor.admission.queued()).toBe(1);
    caller.abort();
    const refused = await second.done;
    expect(refused.status).toBe(499);
    expect(refused.report.refusal).toBe('aborted');
    expect(rig.governor.admission.queued()).toBe(0);
    held.release(OK);
    finish(rig, await first.done);
    expect(rig.transport.sent).toHaveLength(1);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });

  it('while in flight: the attempt stops, the estimate stands, settled once, refused as aborted', async () => {
    const rig = governorFor(ONE);
    const held = rig.transport.hold('a');
    const caller = new AbortController();
    const { done } = start(rig, call('openai', { signal: caller.signal }));
    await rig.flush();
    expect(held.sent).toBe(true);
    caller.abort();
    const answer = await done;
    expect(answer.status).toBe(499);
    expect(answer.report).toMatchObject({ refusal: 'aborted', attempts: 1 });
    const [settled] = rig.store.expectSettledOnce();
    expect(settled?.usage).toBeUndefined();
    // The circuit took no failure from it.
    expect(rig.governor.groups.deployment('a')?.circuit.stateAt(rig.clock.now())).toBe('closed');
    rig.transport.expectDone();
  });

  it('during a retry backoff: no further attempt is sent', async () => {
    const rig = governorFor(ONE);
    rig.transport.script('a', SERVER_ERROR({ 'retry-after': '5' }));
    const caller = new AbortController();
    const { done } = start(rig, call('openai', { signal: caller.signal }));
    await rig.clock.advanceAsync(1_000);
    caller.abort();
    const answer = await done;
    expect(answer.status).toBe(499);
    expect(rig.transport.sent).toHaveLength(1);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
  });
});

describe('governor: circuit transitions', () => {
  const topology = (deployments: ReturnType<typeof openaiDeployment>[]): GovernorTopology => ({
    modelGroups: { g: { deployments } },
    retry: { maxAttempts: 1 },
    circuit: { consecutiveFailures: 2, firstOpenMs: 5_000, openMs: 30_000 },
  });

  it('opens after consecutive failures, refuses while open, probes once, closes on success', async () => {
    const rig = governorFor(topology([openaiDeployment('a')]));
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR());
    await rig.serve(call('openai'));
    await rig.serve(call('openai'));
    expect(rig.events.circuit).toEqual([{ deployment: 'a', state: 'open' }]);

    const refused = await rig.serve(call('openai'));
    expect(refused.status).toBe(503);
    expect(refused.report.refusal).toBe('circuit_open');
    expect(headersOf(refused)['retry-after']).toBe('5');
    expect(rig.transport.sent).toHaveLength(2);

    await rig.clock.advanceAsync(5_000);
    rig.transport.script('a', OK);
    const probe = await rig.serve(call('openai'));
    expect(probe.status).toBe(200);
    finish(rig, probe);
    expect(rig.events.circuit.map((e) => e.state)).toEqual(['open', 'half_open', 'closed']);
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
    rig.transport.expectDone();
  });

  it('re-opens for twice as long after a failed probe', async () => {
    const rig = governorFor(topology([openaiDeployment('a')]));
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR());
    await rig.serve(call('openai'));
    await rig.serve(call('openai'));
    await rig.clock.advanceAsync(5_000);
    rig.transport.script('a', SERVER_ERROR());
    expect((await rig.serve(call('openai'))).status).toBe(500);
    expect(rig.events.circuit.map((e) => e.state)).toEqual(['open', 'half_open', 'open']);
    const refused = await rig.serve(call('openai'));
    expect(headersOf(refused)['retry-after']).toBe('10');
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
    rig.transport.expectDone();
  });

  it('routes around an open deployment to the healthy one', async () => {
    const rig = governorFor(topology([openaiDeployment('a'), openaiDeployment('b')]));
    // maxAttempts 1, but a group of two deployments gets an attempt on each.
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR());
    rig.transport.script('b', OK, OK);
    finish(rig, await rig.serve(call('openai')));
    finish(rig, await rig.serve(call('openai')));
    expect(rig.events.circuit).toEqual([{ deployment: 'a', state: 'open' }]);
    rig.transport.script('b', OK);
    const answer = await rig.serve(call('openai'));
    expect(answer.report).toMatchObject({ deployment: 'b', attempts: 1 });
    finish(rig, answer);
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'b', 'a', 'b', 'b']);
    expect(rig.store.expectSettledOnce()).toHaveLength(5);
    rig.transport.expectDone();
  });

  it('sends nothing for a call admitted after the circuit opened while it waited; its reservation is given back', async () => {
    const rig = governorFor({
      ...topology([openaiDeployment('a', { limits: { concurrency: 1 } })]),
      circuit: { consecutiveFailures: 1, firstOpenMs: 5_000 },
    });
    const held = rig.transport.hold('a');
    const first = start(rig);
    await rig.flush();
    const second = start(rig);
    await rig.flush();
    expect(rig.governor.admission.queued()).toBe(1);
    held.release(SERVER_ERROR());
    expect((await first.done).status).toBe(500);
    const refused = await second.done;
    expect(refused.status).toBe(503);
    expect(refused.report.refusal).toBe('circuit_open');
    expect(rig.transport.sent).toHaveLength(1);
    const settles = rig.store.expectSettledOnce();
    expect(settles.map((s) => s.usage)).toEqual([
      { inputTokens: 0, outputTokens: 0 },
      { inputTokens: 0, outputTokens: 0 },
    ]);
    rig.transport.expectDone();
  });

  it('does not count a 429 as a failure', async () => {
    const rig = governorFor(topology([openaiDeployment('a')]));
    rig.transport.script('a', RATE_LIMITED({}), RATE_LIMITED({}), RATE_LIMITED({}));
    for (let i = 0; i < 3; i++) {
      const { done } = start(rig);
      await rig.clock.advanceAsync(1_000);
      expect((await done).status).toBe(429);
    }
    expect(rig.events.circuit).toEqual([]);
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
    rig.transport.expectDone();
  });
});

describe('governor: downgrade', () => {
  const topology: GovernorTopology = {
    modelGroups: {
      g: {
        deployments: [openaiDeployment('a', { limits: { tpm: 10_000 } })],
        downgrade: { to: 'h', whenHeadroomBelow: 0.5 },
      },
      h: { deployments: [openaiDeployment('b', { limits: { tpm: 10_000 } })] },
    },
    safetyMargin: 0,
  };

  /** Uses `tokens` of deployment `id`'s token bucket. */
  async function use(rig: Rig, id: string, tokens: number) {
    const bucket = rig.governor.groups.deployment(id)?.bucketFor('tokens', 'minute');
    if (!bucket) throw new Error(`no token bucket on ${id}`);
    const decision = await rig.store.inner.reserve([bucket], {
      requests: 0,
      inputTokens: tokens,
      outputTokens: 0,
    });
    expect(decision.granted).toBe(true);
  }

  it('sends a call that accepts it to the cheaper group when the primary runs low on headroom', async () => {
    const rig = governorFor(topology);
    await use(rig, 'a', 7_000);
    rig.transport.script('b', OK);
    const answer = await rig.serve(call('openai', { downgrade: true }));
    expect(answer.report.deployment).toBe('b');
    finish(rig, answer);
    // A call that does not accept it stays on the primary.
    rig.transport.script('a', OK);
    const kept = await rig.serve(call('openai'));
    expect(kept.report.deployment).toBe('a');
    finish(rig, kept);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
    rig.transport.expectDone();
  });

  it('stays on the primary when the cheaper group has less headroom or must wait', async () => {
    const rig = governorFor(topology);
    await use(rig, 'a', 7_000);
    await use(rig, 'b', 9_000);
    rig.transport.script('a', OK);
    const lessRoom = await rig.serve(call('openai', { downgrade: true }));
    expect(lessRoom.report.deployment).toBe('a');
    finish(rig, lessRoom);

    const paused = governorFor(topology);
    await use(paused, 'a', 7_000);
    const b = paused.governor.groups.deployment('b');
    await paused.store.pause(b?.gate as NonNullable<typeof b>['gate'], paused.clock.now() + 10_000);
    paused.transport.script('a', OK);
    const mustWait = await paused.serve(call('openai', { downgrade: true }));
    expect(mustWait.report).toMatchObject({ deployment: 'a', waitedMs: 0 });
    finish(paused, mustWait);
    expect(rig.store.expectSettledOnce()).toHaveLength(1);
    expect(paused.store.expectSettledOnce()).toHaveLength(1);
    rig.transport.expectDone();
    paused.transport.expectDone();
  });
});

describe('governor: under load', () => {
  const KINDS = ['ok', 'ok', 'ok', 'server', 'rate', 'network', 'quota', 'bad'] as const;
  const reply = (kind: (typeof KINDS)[number]): Step => {
    switch (kind) {
      case 'ok':
        return OK;
      case 'server':
        return SERVER_ERROR();
      case 'rate':
        return RATE_LIMITED({ 'retry-after': '3' });
      case 'network':
        return { throws: new Error('ECONNRESET') };
      case 'quota':
        return QUOTA;
      case 'bad':
        return {
          status: 400,
          headers: { 'content-type': 'application/json' },
          body: { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } },
        };
    }
  };
  const BODY = bytes(JSON.stringify(OK.body));

  it('answers every call and settles every reservation exactly once, whatever the upstreams answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 16 }),
        fc.array(
          fc.record({
            arriveAt: fc.integer({ min: 0, max: 20 }),
            maxWaitMs: fc.integer({ min: 0, max: 20_000 }),
            abortAt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
            tenant: fc.constantFrom('default', 'free'),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        async (pattern, calls) => {
          const rig = governorFor({
            modelGroups: {
              g: {
                deployments: [
                  openaiDeployment('a', { limits: { rpm: 6, concurrency: 2 }, pools: ['p'] }),
                  openaiDeployment('b', { limits: { rpm: 12 } }),
                ],
                fallbacks: ['h'],
              },
              h: { deployments: [openaiDeployment('c', { limits: { tpm: 2_000 } })] },
            },
            pools: { p: { rpm: 4 } },
            tiers: { free: { limits: { rpm: 5 } } },
            tenants: [{ id: 'free', tier: 'free' }],
            safetyMargin: 0,
            circuit: { consecutiveFailures: 2, firstOpenMs: 1_000 },
          });
          rig.transport.otherwise((_sent, i) => reply(pattern[i % pattern.length] ?? 'ok'));
          const answers: (Answer | undefined)[] = calls.map(() => undefined);
          const controllers = calls.map(() => new AbortController());
          // One tick is 500 ms; relay each success's body as soon as it is answered.
          for (let tick = 0; tick < 400 && answers.some((a) => a === undefined); tick++) {
            calls.forEach((c, i) => {
              if (c.arriveAt === tick) {
                const signal = controllers[i]?.signal;
                void rig
                  .serve(call('openai', { tenant: c.tenant, maxWaitMs: c.maxWaitMs, signal }))
                  .then((a) => {
                    answers[i] = a;
                    a.relay?.push(BODY);
                    a.relay?.end();
                  });
              }
              if (c.abortAt === tick) controllers[i]?.abort();
            });
            await rig.clock.advanceAsync(500);
          }
          expect(answers.every((a) => a !== undefined)).toBe(true);
          for (const a of answers) expect([200, 400, 429, 499, 500, 502, 503]).toContain(a?.status);
          rig.store.expectSettledOnce();
          expect((await rig.store.stats()).active).toBe(0);
          expect(rig.governor.admission.queued()).toBe(0);
          expect(rig.transport.unscripted).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
