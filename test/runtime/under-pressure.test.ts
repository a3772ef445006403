/**
 * Under pressure (issue 20): each model group's load level from its
 * buckets and its queue, the load signal on every answer, and each
 * mitigation turning on at `act` and off once the level drops and the hold
 * has passed. Buckets are filled straight in the store; time is a manual clock.
 */
import { describe, expect, it } from 'vitest';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { ANTHROPIC_OK, finish, OK } from './canned.js';
import { call, governorFor, headersOf, openaiDeployment, type Rig } from './kit.js';

const FREE = { id: 'f', tier: 'free' };
const PAID = { id: 'p', tier: 'paid' };

function topology(
  mitigation: NonNullable<GovernorTopology['modelGroups'][string]['mitigation']>,
): GovernorTopology {
  return {
    modelGroups: {
      g: {
        deployments: [openaiDeployment('a', { limits: { rpm: 1_000 } })],
        downgrade: { to: 'h', whenHeadroomBelow: 0 },
        mitigation: { holdMs: 5_000, ...mitigation },
      },
      h: { deployments: [openaiDeployment('b', { limits: { rpm: 100 } })] },
    },
    tiers: { free: { limits: { rpm: 20 }, priority: 'low' }, paid: { limits: { rpm: 20 } } },
    tenants: [FREE, PAID],
    safetyMargin: 0,
  };
}

/** Takes `n` requests of deployment `id`'s per-minute request bucket, as other traffic would. */
async function use(rig: Rig, id: string, n: number): Promise<void> {
  const bucket = rig.governor.groups.deployment(id)?.bucketFor('requests', 'minute');
  if (!bucket) throw new Error(`no request bucket on ${id}`);
  const decision = await rig.store.inner.reserve([bucket], { requests: n, inputTokens: 0, outputTokens: 0 });
  expect(decision.granted).toBe(true);
}

/** Serves a call and relays its body; the answer's headers. */
async function serve(rig: Rig, c = call('openai')) {
  const answer = await rig.serve(c);
  finish(rig, answer);
  return { answer, headers: headersOf(answer) };
}

describe('load signal', () => {
  it('is ok, warn and act as the group’s busiest bucket fills, on every answer, and drops with hysteresis', async () => {
    const rig = governorFor(topology({ downgradeTiers: ['free'] }));
    rig.transport.otherwise(() => OK);
    expect((await serve(rig)).headers['x-sluice-load']).toBe('ok');

    await use(rig, 'a', 839); // 840 of 1,000 with the call above
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'warn', cause: expect.stringContaining('a') });
    expect((await serve(rig)).headers['x-sluice-load']).toBe('warn');

    await use(rig, 'a', 110); // 951 of 1,000
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'act', mitigating: true });
    expect(rig.events.load.map((e) => `${e.group}:${e.from}→${e.level}`)).toEqual([
      'g:ok→warn',
      'g:warn→act',
    ]);
    // The other group's buckets are its own: it stays ok.
    expect(rig.governor.load('h').level).toBe('ok');

    // 88 % is below act but within its 5-point hysteresis: still act.
    rig.clock.advance(4_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').level).toBe('act');
    rig.clock.advance(60_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').level).toBe('ok');
    expect(rig.events.load.at(-1)).toMatchObject({ from: 'act', level: 'ok' });
    rig.transport.expectDone();
  });

  it('warns on a per-day budget at 70 %, where a per-minute one still reads ok', async () => {
    const rig = governorFor({
      modelGroups: {
        day: { deployments: [openaiDeployment('d', { limits: { rpd: 100 } })] },
        minute: { deployments: [openaiDeployment('m', { limits: { rpm: 100 } })] },
      },
      safetyMargin: 0,
    });
    const rpd = rig.governor.groups.deployment('d')?.bucketFor('requests', 'day');
    const rpm = rig.governor.groups.deployment('m')?.bucketFor('requests', 'minute');
    if (!rpd || !rpm) throw new Error('buckets missing');
    await rig.store.inner.reserve([rpd], { requests: 75, inputTokens: 0, outputTokens: 0 });
    await rig.store.inner.reserve([rpm], { requests: 75, inputTokens: 0, outputTokens: 0 });
    await rig.governor.sampleLoad();
    expect(rig.governor.load('day').level).toBe('warn');
    expect(rig.governor.load('minute').level).toBe('ok');
    expect(rig.events.alert.map((e) => e.bucket.key)).toEqual([rpd.key]);
  });

  it('rises with queue pressure: how long the group’s longest call waiting for its capacity has waited', async () => {
    const rig = governorFor(
      {
        modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { tpm: 600 } })] } },
        safetyMargin: 0,
      },
      { load: { thresholds: { warn: 0.8, act: 0.9 }, queue: { warnMs: 5_000, actMs: 15_000 } } },
    );
    const bucket = rig.governor.groups.deployment('a')?.bucketFor('tokens', 'minute');
    if (!bucket) throw new Error('no token bucket');
    await rig.store.inner.reserve([bucket], { requests: 0, inputTokens: 300, outputTokens: 0 });
    // ~510 tokens: it waits ~21 s for the bucket to refill, while the bucket reads half full or less.
    const waiting = rig.serve(call('openai', { maxTokens: 500 }));
    await rig.flush();
    rig.clock.advance(6_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'warn', cause: 'queue', queueWaitMs: 6_000 });
    rig.clock.advance(10_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'act', cause: 'queue', queueWaitMs: 16_000 });
    rig.transport.otherwise(() => OK);
    rig.clock.advance(10_000);
    const answer = await waiting;
    finish(rig, answer);
    expect(answer.status).toBe(200);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'ok', queueWaitMs: 0 });
  });

  it('does not count calls waiting for their tenant’s own budget as the group’s pressure', async () => {
    const rig = governorFor({
      modelGroups: { g: { deployments: [openaiDeployment('a', { limits: { rpm: 1_000 } })] } },
      tiers: { small: { limits: { rpm: 2 } } },
      tenants: [{ id: 't', tier: 'small' }],
      safetyMargin: 0,
    });
    rig.transport.otherwise(() => OK);
    finish(rig, await rig.serve(call('openai', { tenant: 't' })));
    finish(rig, await rig.serve(call('openai', { tenant: 't' })));
    const waiting = rig.serve(call('openai', { tenant: 't' }));
    await rig.flush();
    rig.clock.advance(20_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'ok', queueWaitMs: 0 });
    rig.clock.advance(20_000);
    finish(rig, await waiting);
  });
});

describe('mitigation at act', () => {
  it('downgrades eligible tiers without the header, and stops after the hold once the level drops', async () => {
    const rig = governorFor(topology({ downgradeTiers: ['free'] }));
    rig.transport.otherwise(() => OK);
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();
    expect(rig.events.mitigation).toEqual([{ group: 'g', action: 'downgrade', engaged: true }]);

    expect((await serve(rig, call('openai', { tenant: 'f' }))).answer.report.deployment).toBe('b');
    expect((await serve(rig, call('openai', { tenant: 'p' }))).answer.report.deployment).toBe('a');
    expect(rig.events.mitigated).toEqual([{ group: 'g', action: 'downgrade', tenant: 'f' }]);

    // The level drops at once, but the hold (5 s) keeps mitigation on until it has passed.
    rig.clock.advance(60_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'ok', mitigating: false });
    expect(rig.events.mitigation.at(-1)).toEqual({ group: 'g', action: 'downgrade', engaged: false });
    expect((await serve(rig, call('openai', { tenant: 'f' }))).answer.report.deployment).toBe('a');
    expect(rig.store.expectSettledOnce()).toHaveLength(3);
  });

  it('keeps mitigation on for the hold even when the level drops right after', async () => {
    const rig = governorFor(topology({ downgradeTiers: ['free'], holdMs: 30_000 }));
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();
    rig.clock.advance(20_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g')).toMatchObject({ level: 'ok', mitigating: true });
    rig.clock.advance(10_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').mitigating).toBe(false);
    expect(rig.events.mitigation.map((e) => e.engaged)).toEqual([true, false]);
  });

  it('clamps the output of the classes it names, and sets one where the call named none', async () => {
    const rig = governorFor(topology({ clampMaxTokens: { classes: ['low'], to: 64 } }));
    rig.transport.otherwise(() => OK);
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();

    const low = await serve(rig, call('openai', { tenant: 'f', maxTokens: 1_000 }));
    expect(low.headers['x-sluice-max-tokens-clamped']).toBe('64');
    expect(JSON.parse(rig.transport.sent.at(-1)?.body ?? '{}')).toMatchObject({ max_tokens: 64 });

    const uncapped = call('openai', { tenant: 'f' });
    const { max_tokens: _, ...noMax } = uncapped.body as Record<string, unknown>;
    await serve(rig, { ...uncapped, body: noMax, rawBody: JSON.stringify(noMax) });
    expect(JSON.parse(rig.transport.sent.at(-1)?.body ?? '{}')).toMatchObject({ max_completion_tokens: 64 });

    // Already below the cap, or another class: untouched.
    const small = await serve(rig, call('openai', { tenant: 'f', maxTokens: 10 }));
    expect(small.headers['x-sluice-max-tokens-clamped']).toBeUndefined();
    const paid = await serve(rig, call('openai', { tenant: 'p', maxTokens: 1_000 }));
    expect(paid.headers['x-sluice-max-tokens-clamped']).toBeUndefined();
    expect(JSON.parse(rig.transport.sent.at(-1)?.body ?? '{}')).toMatchObject({ max_tokens: 1_000 });
    expect(rig.events.mitigated.filter((e) => e.action === 'clamp_max_tokens')).toHaveLength(2);
  });

  it('clamps Anthropic and Gemini calls in their own fields', async () => {
    const rig = governorFor(
      {
        modelGroups: {
          g: {
            deployments: [
              {
                id: 'c',
                provider: 'anthropic',
                baseUrl: 'http://c.test',
                model: 'claude',
                limits: { rpm: 100 },
              },
            ],
            mitigation: { clampMaxTokens: { classes: ['normal'], to: 32 } },
          },
          gm: {
            deployments: [
              {
                id: 'm',
                provider: 'gemini',
                baseUrl: 'http://m.test',
                model: 'gemini',
                limits: { rpm: 100 },
              },
            ],
            mitigation: { clampMaxTokens: { classes: ['normal'], to: 32 } },
          },
        },
        safetyMargin: 0,
      },
      { load: { thresholds: { warn: 0.01, act: 0.02 }, queue: { warnMs: 5_000, actMs: 15_000 } } },
    );
    await use(rig, 'c', 5);
    await use(rig, 'm', 5);
    await rig.governor.sampleLoad();
    rig.transport.script('c', ANTHROPIC_OK);
    rig.transport.script('m', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { candidates: [], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 } },
    });
    await serve(rig, call('anthropic', { maxTokens: 500 }));
    expect(JSON.parse(rig.transport.to('c')[0]?.body ?? '{}')).toMatchObject({ max_tokens: 32 });
    await serve(rig, call('gemini', { model: 'gm', maxTokens: 500 }));
    expect(JSON.parse(rig.transport.to('m')[0]?.body ?? '{}')).toMatchObject({
      generationConfig: { maxOutputTokens: 32 },
    });
  });

  it('pauses the classes it names until mitigation ends, then serves them', async () => {
    const rig = governorFor(topology({ pauseClasses: ['low'] }));
    rig.transport.otherwise(() => OK);
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();
    const paused = rig.serve(call('openai', { tenant: 'f', maxWaitMs: 120_000 }));
    let done = false;
    void paused.then(() => {
      done = true;
    });
    // Other classes go through meanwhile.
    expect((await serve(rig, call('openai', { tenant: 'p' }))).answer.status).toBe(200);
    await rig.flush();
    expect(done).toBe(false);
    expect(rig.governor.mitigations.pausedCount('g')).toBe(1);

    // Within the call's 30 s deadline the group drops to ok and the hold has passed.
    rig.clock.advance(20_000);
    await rig.governor.sampleLoad();
    const answer = await paused;
    finish(rig, answer);
    expect(answer.status).toBe(200);
    expect(answer.report.waitedMs).toBe(20_000);
    expect(rig.events.mitigated.map((e) => e.action)).toEqual(['pause']);
    expect(rig.store.expectSettledOnce()).toHaveLength(2);
  });

  it('refuses a paused call whose deadline comes first: 503 with Retry-After, nothing reserved', async () => {
    const rig = governorFor(topology({ pauseClasses: ['low'] }));
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();
    const paused = rig.serve(call('openai', { tenant: 'f', maxWaitMs: 2_000 }));
    await rig.flush();
    rig.clock.advance(2_000);
    const answer = await paused;
    expect(answer.status).toBe(503);
    expect(answer.report.refusal).toBe('paused_under_load');
    const headers = headersOf(answer);
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(headers['x-sluice-load']).toBe('act');
    expect(JSON.parse(answer.body ?? '{}').error.message).toContain('under heavy load');
    expect(rig.store.reservations).toHaveLength(0);
  });

  it('tightens the named tiers’ budgets by the factor while on, and restores them after', async () => {
    const rig = governorFor(topology({ tighten: { tiers: ['free'], factor: 0.5 } }));
    rig.transport.otherwise(() => OK);
    await use(rig, 'a', 950);
    await rig.governor.sampleLoad();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { answer } = await serve(rig, call('openai', { tenant: 'f', maxWaitMs: 0 }));
      statuses.push(answer.status);
    }
    // 20 rpm × 0.5 = 10 requests, then the tenant's own budget refuses.
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const budget = headersOf((await rig.serve(call('openai', { tenant: 'f', maxWaitMs: 0 }))) as never);
    expect(budget['x-ratelimit-limit-requests']).toBe('10');

    rig.clock.advance(60_000);
    await rig.governor.sampleLoad();
    expect(rig.governor.load('g').mitigating).toBe(false);
    const after = await serve(rig, call('openai', { tenant: 'f' }));
    expect(after.headers['x-ratelimit-limit-requests']).toBe('20');
  });
});

describe('budget headers', () => {
  it('carry the IETF RateLimit-Policy and RateLimit fields beside x-ratelimit-*', async () => {
    const rig = governorFor(topology({ downgradeTiers: ['free'] }));
    rig.transport.otherwise(() => OK);
    const { headers } = await serve(rig, call('openai', { tenant: 'p' }));
    expect(headers['ratelimit-policy']).toBe('"requests";q=20;w=60');
    expect(headers.ratelimit).toBe('"requests";r=19;t=3');
    expect(headers['x-ratelimit-remaining-requests']).toBe('19');
  });
});
