import { describe, expect, it } from 'vitest';
import { finish, OK, ONE, SERVER_ERROR, start } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment } from './kit.js';

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
