/**
 * Spending budgets through the gateway (issue 21), with the simulator as
 * upstream, the official SDKs as clients and one manual clock: a burst of
 * a budgeted tenant is served while its day's dollars last, the rest is a
 * 429 `budget_exceeded` in each caller's own error format with
 * `Retry-After` at midnight UTC and `x-should-retry: false` (the SDKs make
 * no retry of their own), and the budget is charged exactly what the
 * served calls cost at the deployment's price.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { advanceUntilSettled, hello, KEYS, rigsClosedAfterEach, simAnthropicDeployment } from './helpers.js';

const startRig = rigsClosedAfterEach();

/** $10 per million tokens in and out: a call of ~10 input tokens and 100 reserved output reserves ~$0.0011. */
const PRICE = { input_per_mtok: 10, output_per_mtok: 10 };
/** Room for one estimate at a time; each served call then keeps only ~$0.0002 of it. */
const BUDGET = 0.002;

function configOf(simUrl: string): GatewayConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    model_groups: {
      chat: {
        deployments: [
          {
            id: 'sim-openai',
            provider: 'openai',
            base_url: `${simUrl}/v1`,
            api_key: 'sk-upstream',
            model: 'gpt-4o-mini',
            price: PRICE,
          },
        ],
      },
      claude: { deployments: [{ ...simAnthropicDeployment(simUrl), price: PRICE }] },
    },
    tiers: {
      free: { usd_per_day: BUDGET, day: 'calendar', max_wait_ms: 5_000 },
      pro: {},
    },
    tenants: [
      { id: 'free-co', key: KEYS.free, tier: 'free' },
      { id: 'pro-co', key: KEYS.pro, tier: 'pro' },
    ],
  };
}

type Result = { status: number; headers: Headers; code?: string | null | undefined; cost?: number };

async function chat(client: OpenAI): Promise<Result> {
  try {
    const { data, response } = await client.chat.completions
      .create({ model: 'chat', messages: hello, max_tokens: 100 })
      .withResponse();
    const usage = data.usage;
    const cost = usage ? ((usage.prompt_tokens + usage.completion_tokens) * 10) / 1_000_000 : Number.NaN;
    return { status: response.status, headers: response.headers, cost };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status ?? 0, headers: error.headers as Headers, code: error.code };
  }
}

describe('spending budgets through the gateway', () => {
  it('serves a burst while the day’s dollars last, refuses the rest in the SDKs’ own errors, and charges what was served', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 10, 23, 0, 0));
    const r = await startRig({ clock, config: configOf });
    // The SDK's own retries stay on: `x-should-retry: false` must stop them.
    const free = r.openai(KEYS.free, { maxRetries: 2 });
    const results = await advanceUntilSettled(
      clock,
      Promise.all(Array.from({ length: 12 }, () => chat(free))),
      { stepMs: 10 },
    );
    const served = results.filter((x) => x.status === 200);
    const refused = results.filter((x) => x.status !== 200);
    // However the burst interleaves, the budget holds at most ~5 calls' actual cost beside one estimate.
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(6);
    for (const x of refused) {
      expect(x.status).toBe(429);
      expect(x.code).toBe('budget_exceeded');
      expect(x.headers.get('x-sluice-refusal')).toBe('budget_exceeded');
      // 23:00 plus at most the clock steps the burst took: midnight is just under an hour away.
      expect(Number(x.headers.get('retry-after'))).toBeGreaterThan(3_500);
      expect(Number(x.headers.get('retry-after'))).toBeLessThanOrEqual(3_600);
      expect(x.headers.get('x-should-retry')).toBe('false');
    }
    // No retry by the SDK nor by Sluice: the upstream saw exactly the calls served.
    expect(r.sim.stats().requests).toBe(served.length);

    const tenant = r.gateway.governor.groups.tenants.resolve('free-co');
    const budget = tenant?.buckets.find((b) => b.dimension === 'usd');
    if (!budget) throw new Error('free-co has no budget');
    const [left] = await r.gateway.governor.store.peek([budget]);
    const spent = served.reduce((sum, x) => sum + (x.cost as number), 0);
    expect(BUDGET - (left?.remaining ?? 0)).toBeCloseTo(spent, 9);
    expect(spent).toBeLessThanOrEqual(BUDGET);

    // The Anthropic SDK reads the same refusal as its own rate-limit error (150 reserved output
    // tokens: more than is left, less than the whole budget).
    const claude = r.anthropic(KEYS.free, { maxRetries: 2 });
    const error = await claude.messages
      .create({ model: 'claude', max_tokens: 150, messages: hello })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).headers?.get('x-sluice-refusal')).toBe(
      'budget_exceeded',
    );
    expect(r.sim.stats().requests).toBe(served.length);

    // A tenant without a budget is served as before; the budgeted one again after midnight.
    expect((await chat(r.openai(KEYS.pro))).status).toBe(200);
    clock.set(Date.UTC(2026, 5, 11, 0, 0, 1));
    expect((await chat(free)).status).toBe(200);
  });
});
