/**
 * A tenant's policies hold on every path a call can take: its model
 * allow-list through fallbacks and downgrades, and its own budget for the
 * calls Sluice otherwise routes without charging (Anthropic count_tokens).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';
import { baseConfig, hello, type Rig, startRig } from './helpers.js';

const LIMITED = 'sk-test-limited-01';
const OPEN = 'sk-test-open-0001';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** `cheap` falls back to `pricey` (and may downgrade to it); one tenant may only use `cheap`. */
function fallbackConfig(
  simUrl: string,
  cheapLimits: { rpm: number } | undefined,
  extra: Partial<GatewayConfigInput['model_groups'][string]> = {},
): GatewayConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    safety_margin: 0,
    retry: { max_attempts: 1 },
    model_groups: {
      cheap: {
        deployments: [
          {
            id: 'cheap-1',
            provider: 'openai',
            base_url: `${simUrl}/v1`,
            api_key: 'sk-cheap',
            model: 'gpt-4o-mini',
            ...(cheapLimits && { limits: cheapLimits }),
          },
        ],
        fallbacks: ['pricey'],
        ...extra,
      },
      pricey: {
        deployments: [
          {
            id: 'pricey-1',
            provider: 'openai',
            base_url: `${simUrl}/v1`,
            api_key: 'sk-pricey',
            model: 'gpt-4o',
          },
        ],
      },
    },
    // The tests tell deployments apart by the header, which is off by default.
    server: { deployment_header: true },
    tenants: [
      { id: 'limited', key: LIMITED, model_groups: ['cheap'] },
      { id: 'open', key: OPEN },
    ],
  };
}

async function ask(client: OpenAI): Promise<{ status: number; deployment: string | null }> {
  try {
    const { response } = await client.chat.completions
      .create(
        { model: 'cheap', messages: hello, max_tokens: 16 },
        { headers: { 'x-sluice-max-wait-ms': '0' } },
      )
      .withResponse();
    return { status: response.status, deployment: response.headers.get('x-sluice-deployment') };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status ?? 0, deployment: null };
    throw error;
  }
}

async function start(sim: SimulatorOptions, config: (simUrl: string) => GatewayConfigInput): Promise<Rig> {
  rig = await startRig({ sim, config });
  return rig;
}

describe("a tenant's model allow-list covers the whole fallback chain", () => {
  it('never reaches a fallback group it may not use when its group is full', async () => {
    const r = await start({}, (url) => fallbackConfig(url, { rpm: 2 }));
    const limited = r.openai(LIMITED);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(limited));
    expect(answers.slice(0, 2)).toEqual([
      { status: 200, deployment: 'cheap-1' },
      { status: 200, deployment: 'cheap-1' },
    ]);
    expect(answers.slice(2).map((a) => a.status)).toEqual([503, 503]);
    expect(r.sim.stats().per_key['sk-pricey']).toBeUndefined();
    // A tenant that may use every group still falls back.
    expect(await ask(r.openai(OPEN))).toEqual({ status: 200, deployment: 'pricey-1' });
    expect(r.sim.stats().per_key['sk-pricey']?.['gpt-4o']?.requests).toBe(1);
  });

  it('never reaches a fallback group it may not use when its group is failing', async () => {
    const r = await start({ faults: [{ kind: '500', every: 1, key: 'sk-cheap' }] }, (url) =>
      fallbackConfig(url, undefined),
    );
    const limited = await ask(r.openai(LIMITED));
    expect(limited.status).toBe(500);
    expect(r.sim.stats().per_key['sk-pricey']).toBeUndefined();
    expect(await ask(r.openai(OPEN))).toEqual({ status: 200, deployment: 'pricey-1' });
  });

  it('never downgrades a tenant to a group it may not use', async () => {
    const r = await start({}, (url) =>
      fallbackConfig(
        url,
        { rpm: 4 },
        { fallbacks: [], downgrade: { to: 'pricey', when_headroom_below: 0.9 } },
      ),
    );
    const downgrade = { headers: { 'x-sluice-downgrade': 'allow' } };
    const limited = await r
      .openai(LIMITED)
      .chat.completions.create({ model: 'cheap', messages: hello, max_tokens: 16 }, downgrade)
      .withResponse();
    expect(limited.response.headers.get('x-sluice-deployment')).toBe('cheap-1');
    const open = await r
      .openai(OPEN)
      .chat.completions.create({ model: 'cheap', messages: hello, max_tokens: 16 }, downgrade)
      .withResponse();
    expect(open.response.headers.get('x-sluice-deployment')).toBe('pricey-1');
  });
});

describe('count_tokens has a budget of its own per tenant', () => {
  it("refuses the 6th count in a burst of a 5-rpm tier with Anthropic's 429, and forwards only 5", async () => {
    const r = await start({}, (url) =>
      baseConfig(url, {
        tiers: { small: { rpm: 5, max_wait_ms: 1_000 } },
        tenants: [{ id: 'small-co', key: LIMITED, tier: 'small' }],
      }),
    );
    const client = r.anthropic(LIMITED);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        client.messages.countTokens({ model: 'claude-haiku', messages: hello }),
      ),
    );
    const refused = results.filter((x) => x.status === 'rejected');
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number(error.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(r.sim.stats().by_flavour.anthropic).toBe(5);
    // The count budget is its own: messages and the model list are not charged by it.
    await expect(
      client.messages.create({ model: 'claude-haiku', max_tokens: 16, messages: hello }),
    ).resolves.toMatchObject({ type: 'message' });
    await expect(client.models.list()).resolves.toBeDefined();
    expect((await r.gateway.governor.store.stats()).active).toBe(0);
  });

  it('answers a count with the count budget in its rate-limit headers; a count_tokens_rpm limits counts only', async () => {
    const r = await start({}, (url) =>
      baseConfig(url, {
        tiers: { small: { rpm: 5, max_wait_ms: 1_000 }, counting: { count_tokens_rpm: 2, max_wait_ms: 0 } },
        tenants: [
          { id: 'small-co', key: LIMITED, tier: 'small' },
          { id: 'counting-co', key: OPEN, tier: 'counting' },
        ],
      }),
    );
    const { response } = await r
      .anthropic(LIMITED)
      .messages.countTokens({ model: 'claude-haiku', messages: hello })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('5');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('4');
    // count_tokens_rpm alone: counts are limited, messages are not.
    const counting = r.anthropic(OPEN);
    const counts = await Promise.allSettled(
      Array.from({ length: 3 }, () =>
        counting.messages.countTokens({ model: 'claude-haiku', messages: hello }),
      ),
    );
    expect(counts.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const messages = await Promise.all(
      Array.from({ length: 3 }, () =>
        counting.messages.create({ model: 'claude-haiku', max_tokens: 16, messages: hello }),
      ),
    );
    expect(messages).toHaveLength(3);
  });
});
