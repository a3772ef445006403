/**
 * Placement at dispatch (issue 15) under load: a waiting request takes
 * whichever deployment of its group fits first, weights split traffic,
 * reserved capacity serves first and spills to on-demand only past the
 * deadline, and a tenant's calls waiting for one group never delay its
 * calls to another.
 */
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { OK } from './canned.js';
import { bytes, type CallOptions, call, governorFor, openaiDeployment, type Rig } from './kit.js';

const BODY = bytes(JSON.stringify(OK.body));
const TICK_MS = 100;

interface Served {
  readonly answer: Answer;
  /** Ms after the burst started when the answer came. */
  readonly at: number;
}

/** Starts every call at once, relays each success, and moves the clock until all are answered. */
async function burst(rig: Rig, calls: readonly CallOptions[], maxMs = 600_000): Promise<Served[]> {
  const served: (Served | undefined)[] = calls.map(() => undefined);
  const startedAt = rig.clock.now();
  calls.forEach((options, i) => {
    void rig.serve(call('openai', options)).then((answer) => {
      served[i] = { answer, at: rig.clock.now() - startedAt };
      answer.relay?.push(BODY);
      answer.relay?.end();
    });
  });
  await rig.flush();
  for (let t = 0; t < maxMs && served.some((s) => s === undefined); t += TICK_MS) {
    await rig.clock.advanceAsync(TICK_MS);
    await rig.flush();
  }
  expect(served.every((s) => s !== undefined)).toBe(true);
  return served as Served[];
}

/**
 * Whether the sends to `deployment` kept to a continuous-refill limit of
 * `rpm` (PROVIDERS.md: the provider's own token bucket): in every span of
 * sends, no more than a full bucket plus what refilled over the span.
 */
function keptTo(rig: Rig, deployment: string, rpm: number): boolean {
  const times = rig.transport.to(deployment).map((s) => s.at);
  for (let j = 0; j < times.length; j++)
    for (let i = j; i < times.length; i++) {
      const span = (times[i] as number) - (times[j] as number);
      if (i - j + 1 > rpm + (rpm * span) / 60_000 + 1e-9) return false;
    }
  return true;
}

function group(...deployments: ReturnType<typeof openaiDeployment>[]): GovernorTopology {
  return { modelGroups: { g: { deployments } }, safetyMargin: 0, defaultMaxWaitMs: 600_000 };
}

const many = (n: number, options: CallOptions = {}): CallOptions[] =>
  Array.from({ length: n }, () => ({ maxWaitMs: 600_000, ...options }));

describe('placement at dispatch', () => {
  it('spreads a burst of 360 calls over two keys in proportion to their limits, never over either', async () => {
    const rig = governorFor(
      group(openaiDeployment('a', { limits: { rpm: 60 } }), openaiDeployment('b', { limits: { rpm: 120 } })),
    );
    rig.transport.otherwise(() => OK);
    const served = await burst(rig, many(360));
    expect(served.every((s) => s.answer.status === 200)).toBe(true);
    const a = rig.transport.to('a').length;
    const b = rig.transport.to('b').length;
    expect(a + b).toBe(360);
    // One third and two thirds, within 10 %.
    expect(Math.abs(a / 360 - 1 / 3)).toBeLessThan(0.1 / 3);
    expect(keptTo(rig, 'a', 60)).toBe(true);
    expect(keptTo(rig, 'b', 120)).toBe(true);
    // Goodput: 360 calls on 180 RPM summed are all sent within the first burst plus one minute.
    expect(Math.max(...served.map((s) => s.at))).toBeLessThanOrEqual(60_000 + TICK_MS);
    expect(rig.store.expectSettledOnce()).toHaveLength(360);
  });

  it('spreads a burst over three keys of different sizes, each in proportion', async () => {
    const rig = governorFor(
      group(
        openaiDeployment('a', { limits: { rpm: 30 } }),
        openaiDeployment('b', { limits: { rpm: 60 } }),
        openaiDeployment('c', { limits: { rpm: 90 } }),
      ),
    );
    rig.transport.otherwise(() => OK);
    await burst(rig, many(360));
    const shares = ['a', 'b', 'c'].map((d) => rig.transport.to(d).length / 360);
    expect(shares[0]).toBeCloseTo(1 / 6, 1);
    expect(shares[1]).toBeCloseTo(2 / 6, 1);
    expect(shares[2]).toBeCloseTo(3 / 6, 1);
    for (const [d, rpm] of [
      ['a', 30],
      ['b', 60],
      ['c', 90],
    ] as const)
      expect(keptTo(rig, d, rpm)).toBe(true);
  });

  it('splits 1,000 calls 60 / 40 by weight when both deployments can take each one', async () => {
    const rig = governorFor(
      group(openaiDeployment('a', { weight: 0.6 }), openaiDeployment('b', { weight: 0.4 })),
    );
    rig.transport.otherwise(() => OK);
    await burst(rig, many(1_000));
    const a = rig.transport.to('a').length;
    expect(Math.abs(a / 1_000 - 0.6)).toBeLessThanOrEqual(0.05);
    expect(rig.transport.to('b').length).toBe(1_000 - a);
  });

  it('gives the weighted share to whichever has room when one deployment is full', async () => {
    const rig = governorFor(
      group(
        openaiDeployment('a', { weight: 0.9, limits: { rpm: 10 } }),
        openaiDeployment('b', { weight: 0.1, limits: { rpm: 1_000 } }),
      ),
    );
    rig.transport.otherwise(() => OK);
    const served = await burst(rig, many(100));
    // a takes what its limit allows; the rest does not wait for it.
    expect(rig.transport.to('a').length).toBe(10);
    expect(Math.max(...served.map((s) => s.at))).toBe(0);
  });

  it('serves from reserved capacity first and spills to on-demand only what cannot make its deadline', async () => {
    const rig = governorFor(
      group(
        openaiDeployment('od', { capacity: 'on_demand', limits: { rpm: 600 } }),
        openaiDeployment('ptu', { capacity: 'reserved', limits: { rpm: 60 } }),
      ),
    );
    rig.transport.otherwise(() => OK);
    // 60 fit the reserved deployment now, the next 30 within their 40 s deadline: none spill.
    await burst(rig, many(90, { maxWaitMs: 40_000 }));
    expect(rig.transport.to('ptu').length).toBe(90);
    expect(rig.transport.to('od').length).toBe(0);
    // Reserved is busy for the next 30 s: calls that may wait 5 s spill, at once.
    const spilled = await burst(rig, many(20, { maxWaitMs: 5_000 }));
    expect(spilled.every((s) => s.answer.status === 200)).toBe(true);
    expect(rig.transport.to('od').length).toBeGreaterThanOrEqual(15);
    expect(rig.transport.to('ptu').length + rig.transport.to('od').length).toBe(110);
  });

  it("does not hold a tenant's calls to a roomy group behind its calls waiting for a saturated one", async () => {
    const topology: GovernorTopology = {
      modelGroups: {
        small: { deployments: [openaiDeployment('s', { limits: { rpm: 6 } })] },
        big: { deployments: [openaiDeployment('b', { limits: { rpm: 6_000 } })] },
      },
      safetyMargin: 0,
      defaultMaxWaitMs: 600_000,
    };
    const alone = governorFor(topology);
    alone.transport.otherwise(() => OK);
    const baseline = await burst(alone, many(200, { model: 'big' }));

    const rig = governorFor(topology);
    rig.transport.otherwise(() => OK);
    const calls = [...many(60, { model: 'small' }), ...many(200, { model: 'big' })];
    const served = await burst(rig, calls);
    const big = served.slice(60);
    expect(big.every((s) => s.answer.status === 200)).toBe(true);
    // The same calls finish when they would alone (here: at once), while the small group drains over minutes.
    expect(Math.max(...big.map((s) => s.at))).toBe(Math.max(...baseline.map((s) => s.at)));
    expect(Math.max(...served.slice(0, 60).map((s) => s.at))).toBeGreaterThan(500_000);
  });
});
