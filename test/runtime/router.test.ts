/**
 * Routing by headroom (runtime/router.ts): healthy deployments ranked by how
 * soon the call fits, then by weighted headroom; circuit-open ones left out.
 * Real deployments and a MemoryStore on a manual clock.
 */
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { costOf } from '../../src/core/cost.js';
import type { BucketSpec } from '../../src/core/limit.js';
import { createAdapter } from '../../src/providers/registry.js';
import { Deployment } from '../../src/runtime/deployment.js';
import type { LimitsConfig } from '../../src/runtime/limits.js';
import { rankDeployments } from '../../src/runtime/router.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

const COST = costOf(100, 100);

function setup() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const deployment = (id: string, limits?: LimitsConfig, weight?: number) =>
    new Deployment(
      { id, provider: 'openai', baseUrl: `http://${id}.test/v1`, model: 'm', limits, weight },
      { adapter: createAdapter('openai'), margin: 0, circuit: { consecutiveFailures: 1 } },
    );
  const rank = (candidates: Deployment[]) => rankDeployments(candidates, COST, store, clock.now());
  const ids = async (candidates: Deployment[]) => (await rank(candidates)).map((r) => r.deployment.id);
  /** Takes `tokens` from the deployment's token bucket. */
  const use = async (d: Deployment, tokens: number) => {
    const decision = await store.reserve([d.bucketFor('tokens', 'minute') as BucketSpec], costOf(tokens, 0));
    expect(decision.granted).toBe(true);
  };
  return { clock, store, deployment, rank, ids, use };
}

describe('rankDeployments', () => {
  it('keeps the configured order when nothing tells them apart', async () => {
    const { deployment, ids } = setup();
    expect(await ids([deployment('a'), deployment('b'), deployment('c')])).toEqual(['a', 'b', 'c']);
  });

  it('puts first the deployment the call fits soonest (a paused gate, a bucket short of tokens)', async () => {
    const { clock, store, deployment, rank, use } = setup();
    const paused = deployment('paused-long');
    const short = deployment('short', { tpm: 600 });
    const pausedBriefly = deployment('paused-briefly');
    const free = deployment('free');
    await store.pause(paused.gate, clock.now() + 5_000);
    await store.pause(pausedBriefly.gate, clock.now() + 1_000);
    // 600 tpm = 10 tokens/s: 500 used, the call needs 200, 100 short → 10 s.
    await use(short, 500);
    const ranked = await rank([paused, short, pausedBriefly, free]);
    expect(ranked.map((r) => [r.deployment.id, Math.round(r.waitMs)])).toEqual([
      ['free', 0],
      ['paused-briefly', 1_000],
      ['paused-long', 5_000],
      ['short', 10_000],
    ]);
  });

  it('among those that fit now, prefers the most headroom left after the call', async () => {
    const { deployment, rank, use } = setup();
    const busy = deployment('busy', { tpm: 10_000 });
    const idle = deployment('idle', { tpm: 10_000 });
    await use(busy, 8_000);
    const ranked = await rank([busy, idle]);
    expect(ranked.map((r) => r.deployment.id)).toEqual(['idle', 'busy']);
    expect(ranked.map((r) => r.headroom)).toEqual([(10_000 - 200) / 10_000, (2_000 - 200) / 10_000]);
    expect(ranked.map((r) => r.waitMs)).toEqual([0, 0]);
  });

  it('weighs headroom by the deployment’s weight', async () => {
    const { deployment, ids, use } = setup();
    const heavy = deployment('heavy', { tpm: 10_000 }, 3);
    const light = deployment('light', { tpm: 10_000 }, 1);
    await use(heavy, 6_000); // headroom 0.38 × 3 = 1.14 against 0.98 × 1
    expect(await ids([light, heavy])).toEqual(['heavy', 'light']);
    await use(heavy, 1_000); // 0.28 × 3 = 0.84
    expect(await ids([light, heavy])).toEqual(['light', 'heavy']);
  });

  it('leaves out deployments whose circuit is open, and lets them back once it half-opens', async () => {
    const { clock, deployment, ids } = setup();
    const a = deployment('a');
    const b = deployment('b');
    const attempt = a.circuit.onSend(clock.now());
    if (!attempt) throw new Error('closed circuit refused a send');
    a.circuit.recordFailure(attempt, clock.now());
    expect(await ids([a, b])).toEqual(['b']);
    expect(await ids([a])).toEqual([]);
    clock.advance(5_000);
    expect(await ids([a, b])).toEqual(['a', 'b']);
  });

  it('does not read the store for a lone candidate unless asked to measure it', async () => {
    const { clock, store, deployment, rank, use } = setup();
    const a = deployment('a', { tpm: 1_000 });
    await use(a, 500);
    const peek = vi.spyOn(store, 'peek');
    expect(await rank([a])).toEqual([{ deployment: a, waitMs: 0, headroom: 1 }]);
    expect(peek).not.toHaveBeenCalled();
    const [measured] = await rankDeployments([a], COST, store, clock.now(), true);
    expect(measured?.headroom).toBeCloseTo(0.3, 6);
    expect(peek).toHaveBeenCalledTimes(1);
  });

  it('keeps the configured order when the store cannot be read (admission decides anyway)', async () => {
    const { store, deployment, ids, use } = setup();
    const a = deployment('a', { tpm: 1_000 });
    const b = deployment('b', { tpm: 1_000 });
    await use(a, 900);
    vi.spyOn(store, 'peek').mockRejectedValue(new Error('down'));
    expect(await ids([a, b])).toEqual(['a', 'b']);
  });
});
