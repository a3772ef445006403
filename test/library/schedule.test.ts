/**
 * What `fn` throws decides what `governor.schedule` does: an error with an
 * HTTP status is an upstream answer (classified, retried or fallen back
 * from); anything else is the caller's own failure, rethrown as it was
 * thrown, and `fn` is not run again.
 */
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

function twoDeployments(sim: Simulator) {
  const deployment = (id: string) => ({
    id,
    provider: 'openai' as const,
    base_url: `${sim.url}/v1`,
    model: 'gpt-4o-mini',
  });
  return { 'gpt-4o-mini': { deployments: [deployment('east'), deployment('west')] } };
}

const meta = { model: 'gpt-4o-mini', inputTokens: 10, maxOutputTokens: 10 };

describe('governor.schedule: what fn throws', () => {
  it('rethrows an error without an HTTP status as fn threw it, after one run', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: twoDeployments(sim) });
    const mine = new TypeError('could not render the prompt');
    let runs = 0;
    const thrown = await g
      .schedule(meta, async () => {
        runs += 1;
        throw mine;
      })
      .catch((error: unknown) => error);
    expect(thrown).toBe(mine);
    expect(runs).toBe(1);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('takes an error with an HTTP status as the upstream’s answer: a 503 is tried on the other deployment', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: twoDeployments(sim) });
    const tried: string[] = [];
    const result = await g.schedule(meta, async ({ deployment }) => {
      tried.push(deployment.id);
      if (tried.length === 1) throw Object.assign(new Error('overloaded'), { status: 503 });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(tried).toHaveLength(2);
    expect(tried[0]).not.toBe(tried[1]);
  });
});
