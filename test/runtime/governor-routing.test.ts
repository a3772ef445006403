import { describe, expect, it, vi } from 'vitest';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { finish, OK, RATE_LIMITED, SERVER_ERROR, start } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig } from './kit.js';

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
    // maxAttempts 1, but a group of two deployments gets an attempt on each;
    // equal weights take turns (a, b, a), and each failure on a falls back to b.
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR());
    rig.transport.script('b', OK, OK, OK);
    for (let i = 0; i < 3; i++) finish(rig, await rig.serve(call('openai')));
    expect(rig.events.circuit).toEqual([{ deployment: 'a', state: 'open' }]);
    rig.transport.script('b', OK, OK);
    for (let i = 0; i < 2; i++) {
      const answer = await rig.serve(call('openai'));
      expect(answer.report).toMatchObject({ deployment: 'b', attempts: 1 });
      finish(rig, answer);
    }
    expect(rig.transport.sent.map((s) => s.deployment)).toEqual(['a', 'b', 'b', 'a', 'b', 'b', 'b']);
    expect(rig.store.expectSettledOnce()).toHaveLength(7);
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
