/**
 * Size classes end to end (issue 14): the Anthropic SDK through
 * `governor.fetch`, against the simulator counting requests over 200 K input
 * tokens on separate ITPM and OTPM (RPM shared), as Anthropic does. A burst
 * mixing small and long prompts: the long ones queue or are refused on their
 * own small limit while the small ones all flow, and upstream never answers
 * 429. One manual clock for both, so refill moves only when the test says.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LibraryConfigInput } from '../../src/library/create-governor.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const MODEL = 'claude-sonnet-4-6';
const LIMITS = { rpm: 1_000, itpm: 2_000_000, otpm: 400_000 };
const LONG = { above_input_tokens: 200_000, itpm: 600_000, otpm: 100_000 };

function config(sim: Simulator): LibraryConfigInput {
  return {
    model_groups: {
      [MODEL]: {
        deployments: [
          {
            id: 'sim',
            provider: 'anthropic',
            base_url: sim.url,
            model: MODEL,
            limits: LIMITS,
            long_context: LONG,
          },
        ],
      },
    },
    tenants: [{ id: 'docs' }, { id: 'chat' }],
  };
}

type Outcome = { ok: true; input: number } | { ok: false; status: number; refusal: string | null };

async function ask(client: Anthropic, tenant: string, chars: number, maxWaitMs: number): Promise<Outcome> {
  try {
    const message = await client.messages.create(
      { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'a'.repeat(chars) }] },
      { headers: { 'x-sluice-tenant': tenant, 'x-sluice-max-wait-ms': String(maxWaitMs) } },
    );
    return { ok: true, input: message.usage.input_tokens };
  } catch (error) {
    if (!(error instanceof Anthropic.APIError)) throw error;
    return {
      ok: false,
      status: error.status as number,
      refusal: error.headers?.get('x-sluice-refusal') ?? null,
    };
  }
}

describe('size classes against the simulator', () => {
  it('a burst of small and long prompts: long ones wait or are refused on their own limit, small ones flow, no upstream 429', async () => {
    const clock = new ManualClock();
    const sim = await simulator({
      clock,
      response: { tokens: 20 },
      defaults: { ...LIMITS, long_context: LONG },
    });
    const g = governor(config(sim), { clock });
    const client = new Anthropic({ apiKey: 'sk-ant-app', baseURL: sim.url, fetch: g.fetch, maxRetries: 0 });

    // 8 long prompts of ~250 K tokens (the long class holds two at once) and 24 small ones, all at once.
    const long = Array.from({ length: 8 }, () => ask(client, 'docs', 1_000_000, 30_000));
    // Half of the small ones come from the long ones' own tenant: they queue in another lane.
    const small = Array.from({ length: 24 }, (_, i) => ask(client, i % 2 ? 'chat' : 'docs', 2_000, 1_000));
    const smallDone = await Promise.all(small);
    expect(smallDone.every((o) => o.ok)).toBe(true);

    // Refill moves only with the clock: 250 K of the long class's 600 K a minute take 25 s.
    for (let t = 0; t < 40; t++) await clock.advanceAsync(1_000);
    const longDone = await Promise.all(long);
    const served = longDone.filter((o) => o.ok);
    const refused = longDone.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect([o.status, o.refusal]).toEqual([503, 'capacity_exhausted']);
    expect(served.every((o) => o.ok && o.input > 200_000)).toBe(true);

    const stats = sim.stats();
    expect(stats.rejected).toEqual({ rpm: 0, tpm: 0, itpm: 0, otpm: 0, rpd: 0, tpd: 0, concurrency: 0 });
    expect(stats.admitted).toBe(24 + served.length);
    const d = g.governor.groups.deployments()[0];
    expect(d?.allBuckets().map((b) => b.key)).toContain('deployment:sim:long_context:input_tokens:minute');
  });
});
