/**
 * A key that runs out of credit mid-burst, end to end (issue 15): the
 * official OpenAI SDK → the gateway → the simulator, two deployments of one
 * group on two keys. The dead key leaves rotation at its first quota answer,
 * the calls it failed go to the other deployment at once, the dead key is
 * not asked again until its probe, and traffic comes back when it recovers.
 * The simulator and the gateway share one manual clock: the probe interval
 * passes only when the test moves it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { Simulator } from '../../src/simulator/index.js';
import { baseConfig, hello, type Rig, rigsClosedAfterEach } from './helpers.js';

const startRig = rigsClosedAfterEach();

type DeploymentInput = GatewayConfigInput['model_groups'][string]['deployments'][number];

function deployment(id: string, simUrl: string, extra: Partial<DeploymentInput> = {}): DeploymentInput {
  return {
    id,
    provider: 'openai',
    base_url: `${simUrl}/v1`,
    api_key: `sk-${id}`,
    model: 'gpt-4o-mini',
    // At most four calls in flight on each key: how many a dying key can still get.
    limits: { rpm: 100_000, tpm: 100_000_000, concurrency: 4 },
    ...extra,
  };
}

function twoKeys(simUrl: string, overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return baseConfig(simUrl, {
    model_groups: { 'gpt-4o-mini': { deployments: [deployment('a', simUrl), deployment('b', simUrl)] } },
    ...overrides,
  });
}

const callsOn = (sim: Simulator, key: string) => sim.stats().per_key[key]?.['gpt-4o-mini']?.requests ?? 0;

async function burst(rig: Rig, n: number): Promise<PromiseSettledResult<unknown>[]> {
  const client = rig.openai();
  return Promise.allSettled(
    Array.from({ length: n }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    ),
  );
}

function failures(results: PromiseSettledResult<unknown>[]): string[] {
  return results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
}

describe('a key out of credit mid-burst', () => {
  it('no call fails while the other key has room; the dead key is probed, then serves again', async () => {
    const clock = new ManualClock();
    const rig = await startRig({
      clock,
      sim: { faults: [{ kind: 'insufficient_quota', key: 'sk-a', from: 6 }] },
      config: (url) => twoKeys(url),
    });

    const first = await burst(rig, 40);
    expect(failures(first)).toEqual([]);
    const afterBurst = callsOn(rig.sim, 'sk-a');
    // Five good answers, then the quota answer and at most the other three already in flight on a.
    expect(afterBurst).toBeGreaterThanOrEqual(6);
    expect(afterBurst).toBeLessThanOrEqual(5 + 4);
    expect(callsOn(rig.sim, 'sk-b')).toBeGreaterThanOrEqual(40 - 5);
    const a = rig.gateway.governor.groups.deployment('a');
    expect(a?.circuit.stateAt(clock.now())).toBe('open');

    // For the next 59 s the dead key is not asked at all.
    await clock.advanceAsync(30_000);
    expect(failures(await burst(rig, 40))).toEqual([]);
    expect(callsOn(rig.sim, 'sk-a')).toBe(afterBurst);

    // Still dead at the probe: one call asks it, fails over, and the key stays out.
    await clock.advanceAsync(30_000);
    expect(failures(await burst(rig, 40))).toEqual([]);
    expect(callsOn(rig.sim, 'sk-a')).toBe(afterBurst + 1);

    // The key is topped up; the next probe (120 s later: the interval doubled) brings traffic back.
    rig.sim.setFaults([]);
    await clock.advanceAsync(60_000);
    expect(failures(await burst(rig, 40))).toEqual([]);
    expect(callsOn(rig.sim, 'sk-a')).toBe(afterBurst + 1);
    await clock.advanceAsync(60_000);
    expect(failures(await burst(rig, 40))).toEqual([]);
    // That burst was routed while the one probe was out: the probe alone went to a.
    expect(callsOn(rig.sim, 'sk-a')).toBe(afterBurst + 2);
    expect(a?.circuit.stateAt(clock.now())).toBe('closed');
    const beforeReturn = callsOn(rig.sim, 'sk-a');
    expect(failures(await burst(rig, 40))).toEqual([]);
    // Traffic is back on a: a good share of the next burst.
    expect(callsOn(rig.sim, 'sk-a') - beforeReturn).toBeGreaterThanOrEqual(10);
  });

  it('with the only deployment out, the caller gets the provider’s quota error, then a final 429 while it is out', async () => {
    const clock = new ManualClock();
    const rig = await startRig({
      clock,
      sim: { faults: [{ kind: 'insufficient_quota', key: 'sk-a', from: 1 }] },
      config: (url) =>
        baseConfig(url, { model_groups: { 'gpt-4o-mini': { deployments: [deployment('a', url)] } } }),
    });
    const error = await rig
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect((error as { headers: Headers }).headers.get('x-should-retry')).toBe('false');
    // While the key is out it is not asked; the caller still reads "out of quota, do not retry".
    const again = await rig
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .catch((e: unknown) => e as { status: number; headers: Headers });
    expect(again).toMatchObject({ status: 429 });
    expect((again as { headers: Headers }).headers.get('x-should-retry')).toBe('false');
    expect((again as { headers: Headers }).headers.get('x-sluice-refusal')).toBe('insufficient_quota');
    expect(callsOn(rig.sim, 'sk-a')).toBe(1);
  });
});

describe('slow_down through the gateway', () => {
  it('lowers the deployment’s admitted rate and the call is served by the other key', async () => {
    const clock = new ManualClock();
    const rig = await startRig({
      clock,
      sim: { faults: [{ kind: 'slow_down', key: 'sk-a', at: [1] }] },
      config: (url) => twoKeys(url),
    });
    const answer = await rig.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const a = rig.gateway.governor.groups.deployment('a');
    expect(a?.rate.factor).toBeCloseTo(0.7);
    expect(a?.bucketFor('requests', 'minute')?.limit).toBeLessThan(100_000 * 0.9);
    // A ramp is not an outage: the key stays in rotation.
    expect(a?.circuit.stateAt(clock.now())).toBe('closed');
    expect(callsOn(rig.sim, 'sk-b')).toBe(1);
  });
});
