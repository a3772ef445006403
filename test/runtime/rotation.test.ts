/**
 * Keys that cannot serve leave rotation (issue 15): at their first quota,
 * credit or credentials answer the call fails over at once, the key is not
 * asked again until its probe, and traffic comes back when a probe succeeds.
 */
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { finish, OK, QUOTA } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig, type ScriptedReply } from './kit.js';

const keyed = (id: string, extra: Record<string, unknown> = {}) =>
  openaiDeployment(id, { apiKey: `sk-${id}`, ...extra });

function billing(code: string): ScriptedReply {
  return {
    status: 429,
    headers: { 'content-type': 'application/json' },
    body: { error: { message: 'Spend limit reached.', type: 'insufficient_quota', param: null, code } },
  };
}

const UNAUTHORIZED: ScriptedReply = {
  status: 401,
  headers: { 'content-type': 'application/json' },
  body: {
    error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  },
};

async function serveOk(rig: Rig) {
  const answer = await rig.serve(call('openai'));
  expect(answer.status).toBe(200);
  finish(rig, answer);
  return answer;
}

describe('rotation: a key out of quota', () => {
  const two: GovernorTopology = { modelGroups: { g: { deployments: [keyed('a'), keyed('b')] } } };

  it('fails over at once, counts as a failure, and is not asked again before its probe', async () => {
    const rig = governorFor(two);
    rig.transport.script('a', QUOTA);
    rig.transport.script('b', OK);
    const first = await serveOk(rig);
    expect(first.report).toMatchObject({ deployment: 'b', attempts: 2 });
    expect(rig.events.fallback).toEqual([{ from: 'a', to: 'b', errorKind: 'quota_exhausted' }]);
    expect(rig.events.circuit).toEqual([{ deployment: 'a', state: 'open' }]);
    const a = rig.governor.groups.deployment('a');
    expect(a?.circuit.retryInMs(rig.clock.now())).toBe(60_000);

    // 20 more calls in the next minute: all on b, none on a.
    rig.transport.otherwise((sent) => (sent.deployment === 'b' ? OK : QUOTA));
    for (let i = 0; i < 20; i++) {
      await serveOk(rig);
      await rig.clock.advanceAsync(2_000);
    }
    expect(rig.transport.to('a')).toHaveLength(1);
    expect(rig.store.expectSettledOnce()).toHaveLength(22);
  });

  it('probes after dead_key_probe_ms, doubling while the key stays dead; a successful probe brings traffic back', async () => {
    const rig = governorFor({ ...two, circuit: { deadKeyProbeMs: 1_000, deadKeyProbeMaxMs: 4_000 } });
    let aAlive = false;
    rig.transport.otherwise((sent) => (sent.deployment === 'b' || aAlive ? OK : QUOTA));
    // One call a second for 20 s while a is dead: probes at 1 s, then 2 s, then 4 s apart (capped).
    for (let t = 0; t < 20; t++) {
      await serveOk(rig);
      await rig.clock.advanceAsync(1_000);
    }
    // Each probe waits at least the interval, doubled after each failed one up to 4 s
    // (a probe goes when a's turn comes: within a second or two after it may).
    const at = rig.transport.to('a').map((s) => s.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    const intervals = gaps.map((_, i) => Math.min(4_000, 1_000 * 2 ** i));
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(intervals[i] as number);
      expect(gap).toBeLessThanOrEqual((intervals[i] as number) + 2_000);
    });
    expect(at.length).toBeGreaterThanOrEqual(4);
    expect(at.length).toBeLessThanOrEqual(7);

    aAlive = true;
    await rig.clock.advanceAsync(4_000);
    for (let i = 0; i < 10; i++) await serveOk(rig);
    // The probe closed the circuit: a serves again, about half the traffic.
    expect(rig.events.circuit.at(-1)).toEqual({ deployment: 'a', state: 'closed' });
    const after = rig.transport.sent.filter((s) => s.at === rig.clock.now());
    expect(after.filter((s) => s.deployment === 'a').length).toBeGreaterThanOrEqual(4);
  });

  it('stays out until the reset the provider names when that is later than the probe', async () => {
    const rig = governorFor(two);
    rig.transport.script('a', { ...QUOTA, headers: { ...QUOTA.headers, 'retry-after': '600' } });
    rig.transport.script('b', OK);
    await serveOk(rig);
    expect(rig.governor.groups.deployment('a')?.circuit.retryInMs(rig.clock.now())).toBe(600_000);
  });

  it('40 concurrent calls while the key dies mid-burst: none fails, the dead key is asked a handful of times', async () => {
    const rig = governorFor({
      modelGroups: {
        g: {
          deployments: [
            keyed('a', { limits: { concurrency: 20 } }),
            keyed('b', { limits: { concurrency: 20 } }),
          ],
        },
      },
    });
    let aCalls = 0;
    rig.transport.otherwise((sent) => {
      if (sent.deployment === 'b') return OK;
      aCalls++;
      return aCalls <= 3 ? OK : QUOTA;
    });
    // Started one after the other, all in flight together (each relayed, its slot freed, as it arrives).
    const pending: Promise<Answer>[] = [];
    for (let i = 0; i < 40; i++) {
      pending.push(
        rig.serve(call('openai')).then((answer) => {
          finish(rig, answer);
          return answer;
        }),
      );
      await Promise.resolve();
    }
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // 3 good answers, then the first quota answer; at most a's concurrency more were already on their way.
    expect(rig.transport.to('a').length).toBeLessThanOrEqual(3 + 1 + 4);
    expect(rig.transport.to('b').length).toBeGreaterThanOrEqual(40 - 3);
    // Each call a failed went to b at once.
    const fallbacks = rig.events.fallback;
    expect(fallbacks.length).toBeGreaterThanOrEqual(1);
    expect(fallbacks.length).toBeLessThanOrEqual(4);
    for (const f of fallbacks) expect(f).toEqual({ from: 'a', to: 'b', errorKind: 'quota_exhausted' });
    // Calls admitted on a before it died and sent nowhere gave their reservations back too.
    expect(rig.store.expectSettledOnce().length).toBeGreaterThanOrEqual(rig.transport.sent.length);
  });

  it('with no other deployment the caller gets the provider’s error, then a final 429 of the same meaning until the probe', async () => {
    const rig = governorFor({ modelGroups: { g: { deployments: [keyed('a')] } } });
    rig.transport.script('a', QUOTA);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(429);
    expect(headersOf(answer)['x-should-retry']).toBe('false');
    expect(answer.report).toMatchObject({ upstreamError: 'quota_exhausted', attempts: 1 });
    // While the key is out: not asked, and the caller is told not to retry (not a 503 "try again").
    await rig.clock.advanceAsync(10_000);
    const refused = await rig.serve(call('openai'));
    expect(refused.status).toBe(429);
    expect(headersOf(refused)).toMatchObject({
      'x-sluice-refusal': 'insufficient_quota',
      'x-should-retry': 'false',
    });
    expect(JSON.parse(refused.body as string).error.message).toContain('Sluice asks again in 50.0s');
    expect(rig.transport.sent).toHaveLength(1);
    // The probe asks the key again, and relays what it says.
    await rig.clock.advanceAsync(50_000);
    rig.transport.script('a', QUOTA);
    expect((await rig.serve(call('openai'))).report).toMatchObject({ upstreamError: 'quota_exhausted' });
    rig.transport.expectDone();
  });

  it('a lone deployment whose credentials were refused answers 502 upstream_credentials while out', async () => {
    const rig = governorFor({ modelGroups: { g: { deployments: [keyed('a')] } } });
    rig.transport.script('a', UNAUTHORIZED);
    await rig.serve(call('openai'));
    const refused = await rig.serve(call('openai'));
    expect(refused.status).toBe(502);
    expect(headersOf(refused)['x-sluice-refusal']).toBe('upstream_credentials');
    rig.transport.expectDone();
  });

  it('a group whose other deployment is out for upstream faults still answers circuit_open', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [keyed('a'), keyed('b')] } },
      circuit: { consecutiveFailures: 1 },
      retry: { maxAttempts: 1 },
    });
    rig.transport.script('a', QUOTA);
    rig.transport.script('b', { status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    await rig.serve(call('openai'));
    const refused = await rig.serve(call('openai'));
    expect(headersOf(refused)['x-sluice-refusal']).toBe('circuit_open');
    rig.transport.expectDone();
  });

  it('a caller’s own key (no api_key on the deployment) failing leaves the deployment in rotation', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a'), openaiDeployment('b')] } },
    });
    rig.transport.script('a', QUOTA);
    const answer = await rig.serve(call('openai'));
    expect(answer.status).toBe(429);
    expect(rig.events.circuit).toEqual([]);
    expect(rig.governor.groups.deployment('a')?.circuit.allows(rig.clock.now())).toBe(true);
    rig.transport.expectDone();
  });

  it('a key whose credentials are refused (401) fails over and leaves rotation', async () => {
    const rig = governorFor(two);
    rig.transport.script('a', UNAUTHORIZED);
    rig.transport.script('b', OK);
    const answer = await serveOk(rig);
    expect(answer.report).toMatchObject({ deployment: 'b' });
    expect(rig.governor.groups.deployment('a')?.circuit.allows(rig.clock.now())).toBe(false);
  });

  it('falls over to the fallback group when the whole group is out', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [keyed('a')], fallbacks: ['h'] }, h: { deployments: [keyed('c')] } },
    });
    rig.transport.script('a', QUOTA);
    rig.transport.script('c', OK, OK);
    await serveOk(rig);
    const second = await serveOk(rig);
    expect(second.report).toMatchObject({ deployment: 'c', attempts: 1 });
    rig.transport.expectDone();
  });
});

describe('rotation: outages wider than the key', () => {
  const topology: GovernorTopology = {
    pools: { org: { rpm: 10_000 }, other: { rpm: 10_000 } },
    modelGroups: {
      g: {
        deployments: [
          keyed('a', { pools: ['org'] }),
          keyed('b', { pools: ['org'] }),
          // The same key as a, another model.
          openaiDeployment('a-mini', { apiKey: 'sk-a', baseUrl: 'http://a.test/v1', pools: ['other'] }),
          keyed('c', { pools: ['other'] }),
        ],
      },
    },
  };
  const outNow = (rig: Rig) =>
    rig.governor.groups
      .deployments()
      .filter((d) => !d.circuit.allows(rig.clock.now()))
      .map((d) => d.id);

  it('an organisation’s spend limit takes out every deployment sharing a pool, and the key’s other models', async () => {
    const rig = governorFor(topology);
    rig.transport.script('a', billing('organization_spend_limit_exceeded'));
    rig.transport.otherwise(() => OK);
    const answer = await serveOk(rig);
    expect(answer.report.deployment).toBe('c');
    expect(outNow(rig).sort()).toEqual(['a', 'a-mini', 'b']);
    for (let i = 0; i < 10; i++) await serveOk(rig);
    expect(new Set(rig.transport.sent.slice(1).map((s) => s.deployment))).toEqual(new Set(['c']));
  });

  it('a project’s spend limit stops only that project: the key’s deployments, not its pool mates', async () => {
    const rig = governorFor(topology);
    rig.transport.script('a', billing('project_spend_limit_exceeded'));
    rig.transport.otherwise(() => OK);
    await serveOk(rig);
    expect(outNow(rig).sort()).toEqual(['a', 'a-mini']);
  });

  it('a key out of quota takes its other models with it', async () => {
    const rig = governorFor(topology);
    rig.transport.script('a', QUOTA);
    rig.transport.otherwise(() => OK);
    await serveOk(rig);
    expect(outNow(rig).sort()).toEqual(['a', 'a-mini']);
  });
});
