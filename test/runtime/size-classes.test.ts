/**
 * Size classes (issue 14) at the runtime's boundary: a long-context call is
 * admitted on its class's own limits and the shared ones, refused or queued
 * on them while small calls keep flowing, settled in the class its usage
 * shows (moved when the estimate was on the other side of the threshold),
 * and the answer's rate-limit headers land on its class's buckets.
 */
import { describe, expect, it } from 'vitest';
import { type Cost, costOf } from '../../src/core/cost.js';
import { call, governorFor, headersOf, type Rig, relayAll } from './kit.js';
import { ITPM, LONG_ITPM, LONG_OTPM, message, OTPM, RPM, topology } from './size-class-kit.js';

function claude(cost: Cost, maxWaitMs?: number) {
  return call('anthropic', { model: 'claude', cost, ...(maxWaitMs !== undefined && { maxWaitMs }) });
}

/** Used units per bucket key, as the store holds them now. */
async function used(rig: Rig, ...keys: string[]): Promise<number[]> {
  const deployment = rig.governor.groups.deployments()[0];
  const specs = deployment?.allBuckets().filter((b) => keys.includes(b.key)) ?? [];
  const snapshots = await rig.store.peek(specs);
  return keys.map((k) => Math.round(snapshots.find((s) => s.key === k)?.used ?? 0));
}

async function serveAndRelay(rig: Rig, c: ReturnType<typeof claude>) {
  const answer = await rig.serve(c);
  if (answer.relay) relayAll(answer, rig.transport.replies.at(-1) as never);
  return answer;
}

describe('size classes: admission', () => {
  it('charges a long call on its class’s own limits and the shared RPM, a small call on the standard ones', async () => {
    const rig = governorFor(topology());
    rig.transport.script('claude', message(250_000, 100), message(1_000, 100));
    await serveAndRelay(rig, claude(costOf(250_000, 1_000)));
    await serveAndRelay(rig, claude(costOf(1_000, 1_000)));
    const [long, small] = rig.store.expectSettledOnce();
    const keys = (r: typeof long) => r?.reservation.buckets.map((b) => b.key);
    expect(keys(long)).toEqual(expect.arrayContaining([RPM, LONG_ITPM, LONG_OTPM]));
    expect(keys(long)).not.toContain(ITPM);
    expect(keys(long)).not.toContain(OTPM);
    expect(keys(small)).toEqual(expect.arrayContaining([RPM, ITPM, OTPM]));
    expect(keys(small)).not.toContain(LONG_ITPM);
    expect(await used(rig, RPM, ITPM, LONG_ITPM)).toEqual([2, 1_000, 250_000]);
    rig.transport.expectDone();
  });

  it('a burst of small and long calls: the long ones wait or are refused on their own limit, the small ones all flow', async () => {
    // The long class takes two 250 K calls a minute; the standard ITPM takes every small call.
    const rig = governorFor(topology({ itpm: 500_000, otpm: 100_000 }));
    rig.transport.otherwise((sent) => {
      const body = JSON.parse(sent.body ?? '{}') as { metadata?: { size?: number } };
      return message(body.metadata?.size ?? 1_000, 50);
    });
    const calls = Array.from({ length: 24 }, (_, i) => {
      const long = i % 4 === 0;
      const size = long ? 250_000 : 2_000;
      const c = call('anthropic', {
        model: 'claude',
        cost: costOf(size, 100),
        maxWaitMs: 10_000,
        body: { metadata: { size } },
      });
      return serveAndRelay(rig, c);
    });
    const answers = await Promise.all(calls);
    const longAnswers = answers.filter((_, i) => i % 4 === 0);
    const smallAnswers = answers.filter((_, i) => i % 4 !== 0);
    expect(smallAnswers.map((a) => a.status)).toEqual(smallAnswers.map(() => 200));
    expect(longAnswers.filter((a) => a.status === 200)).toHaveLength(2);
    // 250 K more needs 30 s of refill: beyond a 10 s wait, refused now with the time to come back.
    const refused = longAnswers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(4);
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.report.refusal).toBe('capacity_exhausted');
      expect(Number(headersOf(answer)['retry-after'])).toBeGreaterThanOrEqual(30);
    }
    expect(rig.events.refused.map((e) => e.limitedBy?.key)).toEqual(refused.map(() => LONG_ITPM));
    rig.store.expectSettledOnce();
  });

  it('a long call waits in the queue for its class while small calls, of its own tenant too, pass it', async () => {
    // The long call queues in a lane of its own: its tenant's small calls are not held behind it.
    const rig = governorFor({ ...topology({ itpm: 400_000, otpm: 100_000 }), tenants: [{ id: 'chat' }] });
    rig.transport.otherwise(() => message(250_000, 50));
    await serveAndRelay(rig, claude(costOf(250_000, 100)));
    const waiting = serveAndRelay(rig, claude(costOf(250_000, 100), 60_000));
    await rig.flush();
    expect(rig.governor.admission.queued()).toBe(1);
    rig.transport.otherwise(() => message(2_000, 50));
    for (const tenant of ['default', 'chat']) {
      const small = await serveAndRelay(
        rig,
        call('anthropic', { model: 'claude', tenant, cost: costOf(2_000, 100), maxWaitMs: 5_000 }),
      );
      expect(small.status).toBe(200);
      expect(small.report.waitedMs).toBe(0);
    }
    rig.transport.otherwise(() => message(250_000, 50));
    // 250 K used of 400 K: the missing 100 K refill in 15 s.
    await rig.clock.advanceAsync(14_000);
    expect(rig.governor.admission.queued()).toBe(1);
    await rig.clock.advanceAsync(1_000);
    expect((await waiting).status).toBe(200);
    rig.store.expectSettledOnce();
  });
});

describe('size classes: settlement', () => {
  it('moves a call estimated below the threshold but used above it to the long-context class', async () => {
    const rig = governorFor(topology());
    rig.transport.script('claude', message(230_000, 400));
    await serveAndRelay(rig, claude(costOf(150_000, 1_000)));
    const [settle] = rig.store.expectSettledOnce();
    expect(settle?.options?.reassign?.release.map((b) => b.key).sort()).toEqual([ITPM, OTPM]);
    expect(settle?.options?.reassign?.charge.map((b) => b.key).sort()).toEqual([LONG_ITPM, LONG_OTPM]);
    // Standard ITPM and OTPM got everything back; the long class holds the usage; RPM counted once.
    expect(await used(rig, ITPM, OTPM, LONG_ITPM, LONG_OTPM, RPM)).toEqual([0, 0, 230_000, 400, 1]);
  });

  it('moves a call estimated above the threshold but used below it back to the standard class', async () => {
    const rig = governorFor(topology());
    rig.transport.script('claude', message(180_000, 400));
    await serveAndRelay(rig, claude(costOf(210_000, 1_000)));
    rig.store.expectSettledOnce();
    expect(await used(rig, ITPM, OTPM, LONG_ITPM, LONG_OTPM, RPM)).toEqual([180_000, 400, 0, 0, 1]);
  });

  it('decides the class on the whole input, cache reads included, while ITPM counts what Anthropic counts', async () => {
    const rig = governorFor(topology());
    rig.transport.script('claude', message(10_000, 400, { cache_read_input_tokens: 195_000 }));
    await serveAndRelay(rig, claude(costOf(150_000, 1_000)));
    rig.store.expectSettledOnce();
    expect(await used(rig, ITPM, LONG_ITPM)).toEqual([0, 10_000]);
  });

  it('leaves a call in its class when the usage agrees, and a refused call where it was reserved', async () => {
    const rig = governorFor(topology());
    rig.transport.script('claude', message(1_000, 10), {
      status: 529,
      headers: { 'content-type': 'application/json' },
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    await serveAndRelay(rig, claude(costOf(1_200, 100)));
    await rig.serve(claude(costOf(250_000, 100), 0));
    const settles = rig.store.expectSettledOnce();
    expect(settles.map((s) => s.options)).toEqual([undefined, undefined]);
  });
});

describe('size classes: provider headers', () => {
  it('syncs the long-context class’s buckets from a long answer’s headers, the shared ones as usual', async () => {
    const rig = governorFor(topology());
    const reset = new Date(rig.clock.now() + 60_000).toISOString();
    const reply = message(250_000, 100);
    rig.transport.script('claude', {
      ...reply,
      headers: {
        ...reply.headers,
        'anthropic-ratelimit-requests-limit': '1000',
        'anthropic-ratelimit-requests-remaining': '990',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-input-tokens-limit': '600000',
        'anthropic-ratelimit-input-tokens-remaining': '100000',
        'anthropic-ratelimit-input-tokens-reset': reset,
      },
    });
    await serveAndRelay(rig, claude(costOf(250_000, 100)));
    expect(rig.store.syncs.map((s) => s.bucket.key).sort()).toEqual([LONG_ITPM, RPM]);
    // The provider says 500 K are used, more than this call: the long class follows it.
    const [long, standard] = await used(rig, LONG_ITPM, ITPM);
    expect(long).toBeGreaterThanOrEqual(500_000);
    expect(standard).toBe(0);
  });

  it('a provider limit lower than declared, seen on a long answer, lowers the class’s own bucket only', async () => {
    const rig = governorFor(topology());
    const reply = message(250_000, 100);
    rig.transport.script('claude', {
      ...reply,
      headers: { ...reply.headers, 'anthropic-ratelimit-input-tokens-limit': '400000' },
    });
    await serveAndRelay(rig, claude(costOf(250_000, 100)));
    const deployment = rig.governor.groups.deployments()[0];
    const limitOf = (key: string) => deployment?.allBuckets().find((b) => b.key === key)?.limit;
    expect([limitOf(LONG_ITPM), limitOf(ITPM)]).toEqual([400_000, 2_000_000]);
  });

  it('a 429 on a long call pauses the class’s own bucket, not the standard one', async () => {
    const rig = governorFor(topology());
    rig.transport.script(
      'claude',
      {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
        body: {
          type: 'error',
          error: {
            type: 'rate_limit_error',
            message:
              'This request would exceed the rate limit for your organization of 600,000 input tokens per minute.',
          },
        },
      },
      message(250_000, 100),
    );
    const pending = serveAndRelay(rig, claude(costOf(250_000, 100)));
    await rig.flush();
    expect(rig.store.pauses.map((p) => p.bucket.key)).toEqual([LONG_ITPM]);
    await rig.clock.advanceAsync(5_000);
    expect((await pending).status).toBe(200);
    rig.store.expectSettledOnce();
    rig.transport.expectDone();
  });
});
