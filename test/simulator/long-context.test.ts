/**
 * The simulator's long-context limits (PROVIDERS.md, "2026 changes":
 * Anthropic splits inputs ≤ 200 K and > 200 K into separate limits): a
 * request above the threshold counts on the class's own buckets for the
 * dimensions it declares and on the shared ones for the rest; its headers
 * report its class's buckets; and a standard request never sees them.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { startSimulator } from '../../src/simulator/index.js';
import { type AdmissionCost, isRefusal, type Scope } from '../../src/simulator/limits/scope.js';

import { T0, testScope } from './scope-kit.js';

const LONG = { above_input_tokens: 200_000, itpm: 500_000, otpm: 10_000 };

function scope(): Scope {
  return testScope({ rpm: 100, itpm: 2_000_000, otpm: 400_000 }, { longContext: LONG });
}

const cost = (input: number, output = 100): AdmissionCost => ({
  requests: 1,
  input,
  output,
  outputMode: 'reconcile',
});

describe('simulator long-context limits', () => {
  it('counts a long request on the class’s own ITPM and OTPM and the shared RPM', () => {
    const s = scope();
    expect(isRefusal(s.admit(cost(250_000), T0))).toBe(false);
    expect(isRefusal(s.admit(cost(240_000), T0))).toBe(false);
    const third = s.admit(cost(210_000), T0);
    expect(isRefusal(third) && third.dimension).toBe('itpm');
    expect(isRefusal(third) && third.limit).toBe(500_000);
    // Small requests flow on the standard buckets, and share the RPM.
    expect(isRefusal(s.admit(cost(10_000), T0))).toBe(false);
    const standard = Object.fromEntries(s.views(T0).map((v) => [v.dimension, v.used]));
    expect(standard).toEqual({ rpm: 3, itpm: 10_000, otpm: 100 });
    const long = Object.fromEntries(s.views(T0, s.bucketsFor(250_000)).map((v) => [v.dimension, v.used]));
    expect(long).toEqual({ rpm: 3, itpm: 490_000, otpm: 200 });
  });

  it('decides the class on the whole input when the provider counts less (cache reads)', () => {
    const s = scope();
    expect(isRefusal(s.admit(cost(5_000), T0, 205_000))).toBe(false);
    const long = Object.fromEntries(s.views(T0, s.bucketsFor(205_000)).map((v) => [v.dimension, v.used]));
    expect(long.itpm).toBe(5_000);
  });

  it('answers a long Anthropic request with its class’s limits in the usual headers, and 429s on them', async () => {
    const clock = new ManualClock(T0);
    const sim = await startSimulator({
      clock,
      response: { tokens: 5 },
      defaults: { rpm: 100, itpm: 2_000_000, otpm: 400_000, long_context: LONG },
    });
    try {
      const ask = (chars: number) =>
        fetch(`${sim.url}/v1/messages`, {
          method: 'POST',
          headers: {
            'x-api-key': 'sk',
            'anthropic-version': '2023-06-01',
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            model: 'claude-sonnet-4-6',
            max_tokens: 10,
            messages: [{ role: 'user', content: 'a'.repeat(chars) }],
          }),
        });
      const long = await ask(1_200_000);
      expect(long.status).toBe(200);
      expect(long.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('500000');
      const small = await ask(4_000);
      expect(small.status).toBe(200);
      expect(small.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('2000000');
      const again = await ask(1_200_000);
      expect(again.status).toBe(429);
      await again.text();
      expect(sim.stats().rejected.itpm).toBe(1);
      expect(sim.stats().limits).toMatchObject({
        'anthropic|sk|claude-sonnet-4-6': { buckets: { 'long_context.itpm': { limit: 500_000 } } },
      });
    } finally {
      await sim.close();
    }
  });
});
