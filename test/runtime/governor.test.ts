import { describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/runtime/exchange/call.js';
import { finish, OK, ONE, QUOTA, RATE_LIMITED, SERVER_ERROR, start, TWO } from './canned.js';
import { call, governorFor, headersOf } from './kit.js';

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

  it('sends a call again only when its failure proves nothing was sent, or its Idempotency-Key makes a repeat safe', async () => {
    const rig = governorFor(ONE);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' });
    rig.transport.script('a', { throws: new TypeError('fetch failed', { cause: refused }) }, OK);
    const retried = start(rig);
    await rig.clock.advanceAsync(250);
    finish(rig, await retried.done);
    expect(retried.state.answer?.report.attempts).toBe(2);

    // A reset after the request was written: the provider may be working on it. Not sent again.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    rig.transport.script('a', { throws: reset });
    const unconfirmed = await rig.serve(call('openai'));
    expect(unconfirmed.status).toBe(502);
    expect(unconfirmed.report).toMatchObject({ refusal: 'upstream_unconfirmed', attempts: 1 });
    expect(headersOf(unconfirmed)['x-should-retry']).toBe('false');
    expect(JSON.parse(unconfirmed.body ?? '{}').error.message).toContain('Idempotency-Key');

    // The same with a key: a repeat is safe, so it is retried.
    rig.transport.script('a', { throws: reset }, OK);
    const keyed = start(rig, { ...call('openai'), idempotencyKey: 'step-4' });
    await rig.clock.advanceAsync(250);
    finish(rig, await keyed.done);
    expect(keyed.state.answer?.report.attempts).toBe(2);

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
