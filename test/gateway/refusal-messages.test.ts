/**
 * What a tenant reads when the gateway says no: the limit that bound it in
 * its own terms (its tier's budget by number, or "upstream capacity for
 * `group`"), never the gateway's insides (deployment and pool ids, declared
 * upstream limits, upstream addresses). Those stay in the request log line,
 * which the operator reads. `x-sluice-deployment` is off unless
 * `server.deployment_header` turns it on.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { type FakeUpstream, startFakeUpstream } from './fake-upstream.js';
import { baseConfig, hello, KEYS, type Rig, startRig } from './helpers.js';

const TINY_KEY = 'sk-test-tiny-0000';
/** Names and numbers a tenant must never see. */
const INTERNAL = [
  'sim-openai',
  'capped-deployment',
  'pooled-deployment',
  'dead-deployment',
  'locked-deployment',
  'org-pool',
  '4,321',
  '4321',
  '3,888',
  '3888',
  '3889',
  '127.0.0.1',
];

let locked: FakeUpstream;
let rig: Rig;

function config(simUrl: string, extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  const base = baseConfig(simUrl);
  const openai = (id: string, baseUrl: string, more: Record<string, unknown> = {}) => ({
    id,
    provider: 'openai' as const,
    base_url: baseUrl,
    api_key: 'sk-upstream',
    model: 'gpt-4o-mini',
    ...more,
  });
  return {
    ...base,
    pools: { 'org-pool': { rpm: 3 } },
    model_groups: {
      'gpt-4o-mini': { deployments: [openai('sim-openai', `${simUrl}/v1`)] },
      capped: {
        deployments: [openai('capped-deployment', `${simUrl}/v1`, { limits: { rpm: 3, tpm: 4_321 } })],
      },
      pooled: { deployments: [openai('pooled-deployment', `${simUrl}/v1`, { pools: ['org-pool'] })] },
      unreachable: { deployments: [openai('dead-deployment', 'http://127.0.0.1:9/v1')] },
      locked: { deployments: [openai('locked-deployment', `${locked.url}/v1`)] },
    },
    tiers: { ...base.tiers, tiny: { rpm: 1, priority: 'normal', max_wait_ms: 0 } },
    tenants: [...(base.tenants ?? []), { id: 'tiny-co', key: TINY_KEY, tier: 'tiny' }],
    ...extra,
  };
}

beforeAll(async () => {
  locked = await startFakeUpstream({ status: 401 });
  rig = await startRig({ config: (simUrl) => config(simUrl) });
});
afterAll(async () => {
  await rig.close();
  await locked.close();
});

interface Answer {
  status: number;
  refusal: string | null;
  deploymentHeader: string | null;
  text: string;
}

async function ask(
  model: string,
  options: { key?: string; maxTokens?: number; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${rig.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${options.key ?? KEYS.pro}`,
      'x-sluice-max-wait-ms': '0',
      ...options.headers,
    },
    body: JSON.stringify({ model, messages: hello, max_tokens: options.maxTokens ?? 16 }),
  });
  return {
    status: response.status,
    refusal: response.headers.get('x-sluice-refusal'),
    deploymentHeader: response.headers.get('x-sluice-deployment'),
    text: `${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await response.text()}`,
  };
}

function expectNothingInternal(answer: Answer): void {
  for (const secret of INTERNAL) expect(answer.text, `${answer.refusal}: ${secret}`).not.toContain(secret);
  expect(answer.text).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/);
  expect(answer.deploymentHeader).toBeNull();
}

describe('refusal messages tell tenants what bound them, in their terms', () => {
  it('upstream capacity (deployment or pool limit): names the model group, not the limit or its owner', async () => {
    let exhausted: Answer | undefined;
    for (let i = 0; i < 6 && !exhausted; i++) {
      const answer = await ask('capped');
      if (answer.status === 503) exhausted = answer;
    }
    expect(exhausted?.refusal).toBe('capacity_exhausted');
    expect(exhausted?.text).toMatch(/upstream capacity for `capped`/i);
    expectNothingInternal(exhausted as Answer);

    let pooled: Answer | undefined;
    for (let i = 0; i < 6 && !pooled; i++) {
      const answer = await ask('pooled');
      if (answer.status === 503) pooled = answer;
    }
    expect(pooled?.refusal).toBe('capacity_exhausted');
    expectNothingInternal(pooled as Answer);
    const line = rig.logs.findLast((l) => l.msg === 'request' && l.refusal === 'capacity_exhausted');
    expect(line).toMatchObject({ group: 'pooled' });
  });

  it('a request larger than an upstream limit: says so without the limit', async () => {
    const answer = await ask('capped', { maxTokens: 9_000 });
    expect(answer.status).toBe(429);
    expect(answer.refusal).toBe('request_too_large');
    expect(answer.text).toMatch(/capped/);
    expectNothingInternal(answer);
  });

  it('the tenant’s own tier budget: named with its number', async () => {
    await ask('gpt-4o-mini', { key: TINY_KEY });
    const answer = await ask('gpt-4o-mini', { key: TINY_KEY });
    expect(answer.status).toBe(429);
    expect(answer.refusal).toBe('tenant_rate_limited');
    expect(answer.text).toMatch(/1 requests per minute/);
    expectNothingInternal(answer);
  });

  it('an unreachable upstream: no address; the log line keeps it for the operator', async () => {
    const answer = await ask('unreachable');
    expect(answer.status).toBe(502);
    expectNothingInternal(answer);
    const line = rig.logs.findLast((l) => l.msg === 'request' && l.group === 'unreachable');
    expect(line).toMatchObject({ deployment: 'dead-deployment', upstream_error: 'network' });
    expect(String(line?.upstream_detail)).toMatch(/127\.0\.0\.1:9/);
  });

  it('an upstream that refuses the gateway’s credentials: no deployment id', async () => {
    const answer = await ask('locked');
    expect(answer.status).toBe(502);
    expect(answer.text).toMatch(/credentials/);
    expectNothingInternal(answer);
    expect(rig.logs.findLast((l) => l.msg === 'request' && l.group === 'locked')).toMatchObject({
      deployment: 'locked-deployment',
    });
  });

  it('a success carries no x-sluice-deployment by default', async () => {
    const answer = await ask('gpt-4o-mini');
    expect(answer.status).toBe(200);
    expect(answer.deploymentHeader).toBeNull();
  });
});

describe('server.deployment_header', () => {
  it('names the deployment that answered when the operator turns it on', async () => {
    const on = await startRig({
      config: (simUrl) => config(simUrl, { server: { deployment_header: true } }),
    });
    try {
      const client = new OpenAI({ apiKey: KEYS.pro, baseURL: `${on.gateway.url}/v1`, maxRetries: 0 });
      const { response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 })
        .withResponse();
      expect(response.headers.get('x-sluice-deployment')).toBe('sim-openai');
    } finally {
      await on.close();
    }
  });
});
