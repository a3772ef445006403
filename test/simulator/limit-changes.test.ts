/**
 * A key's limits changed while the simulator runs (a tier upgrade, an Azure
 * temporary lowering): what was used stays used, the headers report the new
 * limit at once, over `simulator.setLimits` and `POST /_sim/limits`.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { isRefusal } from '../../src/simulator/limits/scope.js';
import { T0, testScope } from './scope-kit.js';

const cost = { requests: 1, input: 1_000, output: 0, outputMode: 'keep' as const };

describe('Scope.setLimits', () => {
  it('keeps what was used and refills at the new rate', () => {
    const s = testScope({ rpm: 10, tpm: 100_000 });
    for (let i = 0; i < 10; i++) expect(isRefusal(s.admit(cost, T0))).toBe(false);
    expect(isRefusal(s.admit(cost, T0))).toBe(true);
    s.setLimits({ rpm: 100 }, T0);
    const rpm = s.views(T0).find((v) => v.dimension === 'rpm');
    expect(rpm).toMatchObject({ limit: 100, remaining: 90 });
    expect(isRefusal(s.admit(cost, T0))).toBe(false);
  });
});

async function chat(sim: Simulator): Promise<Response> {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 5,
    }),
  });
}

describe('changing limits of a running simulator', () => {
  it('reports the raised limit in the next answer’s headers; the endpoint refuses a bad body', async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({
      clock,
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 500 } } } },
    });
    try {
      expect((await chat(sim)).headers.get('x-ratelimit-limit-requests')).toBe('500');
      const changed = await fetch(`${sim.url}/_sim/limits`, {
        method: 'POST',
        body: JSON.stringify({ key: 'sk-test', model: 'gpt-4o-mini', limits: { rpm: 5_000 } }),
      });
      expect(changed.status).toBe(200);
      const answer = await chat(sim);
      expect(answer.headers.get('x-ratelimit-limit-requests')).toBe('5000');
      expect(answer.headers.get('x-ratelimit-remaining-requests')).toBe('4998');
      sim.setLimits({ key: 'sk-test', model: 'gpt-4o-mini', limits: { rpm: 250 } });
      expect((await chat(sim)).headers.get('x-ratelimit-limit-requests')).toBe('250');
      const bad = await fetch(`${sim.url}/_sim/limits`, {
        method: 'POST',
        body: JSON.stringify({ key: 'sk-test', limits: { rmp: 1 } }),
      });
      expect(bad.status).toBe(400);
    } finally {
      await sim.close();
    }
  });
});
