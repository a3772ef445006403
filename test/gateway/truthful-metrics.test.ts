/**
 * Counters that tell the truth (issue 14), over real sockets with the
 * official OpenAI SDK as the client and a scripted upstream: a stream the
 * client cuts after three chunks is counted as what it delivered while its
 * reservation keeps the estimate and settles once; every `_total` counter
 * exists at the first scrape; process metrics keep their standard names;
 * the OTel GenAI histograms carry provider and model; estimate accuracy,
 * retry outcomes and the prompt-cache hit ratio follow known answers.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { type Gateway, startGateway } from '../../src/gateway/server.js';
import { advanceUntilSettled, memoryLogger, waitUntil } from './helpers.js';
import {
  chatChunk,
  chatCompletion,
  json,
  type ScriptedUpstream,
  startScriptedUpstream,
} from './scripted-upstream.js';

const KEY = 'sk-tenant-acme-0000';
const ADMIN_KEY = 'test-admin-key-0123456789';
const TPM = 1_000_000;

let upstream: ScriptedUpstream | undefined;
let gateway: Gateway | undefined;
let clock: ManualClock | undefined;
afterEach(async () => {
  // The drain waits on the gateway's clock: a manual one has to be moved for it to end.
  if (gateway && clock) await advanceUntilSettled(clock, gateway.close({ timeoutMs: 500 }));
  await upstream?.close();
  gateway = undefined;
  upstream = undefined;
});

function config(url: string, extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    admin: { key: ADMIN_KEY },
    model_groups: {
      gpt: {
        deployments: [
          { id: 'up-a', provider: 'openai', base_url: `${url}/v1`, api_key: 'sk-up', model: 'gpt-x' },
          { id: 'up-b', provider: 'openai', base_url: `${url}/v1`, api_key: 'sk-up', model: 'gpt-x' },
        ],
      },
    },
    tiers: { pro: { rpm: 10_000, tpm: TPM, priority: 'normal' } },
    tenants: [{ id: 'acme', key: KEY, tier: 'pro' }],
    retry: { base_ms: 0 },
    ...extra,
  };
}

async function start(
  answer: Parameters<typeof startScriptedUpstream>[0],
  extra?: Partial<GatewayConfigInput>,
) {
  upstream = await startScriptedUpstream(answer);
  clock = new ManualClock(1_700_000_000_000);
  gateway = await startGateway({
    config: parseConfig(config(upstream.url, extra), 'test config', {}),
    logger: memoryLogger([]),
    clock,
  });
  const client = new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  return { gateway, client, clock };
}

async function scrape(g: Gateway): Promise<string> {
  const res = await fetch(g.metricsUrl as string);
  return res.text();
}

/** The value of one sample line (`name{labels} value`), by name and a label subset. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('a stream the client cuts after three chunks', () => {
  it('counts what was delivered in sluice_tokens_total and the dashboard, keeps the estimate on the buckets, settles once', async () => {
    const { gateway: g, client } = await start(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Three chunks of four ASCII characters (one token each by the character rule), then nothing: the stream stays open.
      for (let i = 0; i < 3; i++) res.write(chatChunk('abcd'));
    });
    const stream = await client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Tell me a long story about rivers.' }],
      max_tokens: 3_000,
      stream: true,
    });
    let seen = 0;
    for await (const _chunk of stream) if (++seen === 3) break; // the SDK aborts the request
    expect(seen).toBe(3);
    await waitUntil(async () => (await g.governor.store.stats()).active === 0);

    const text = await scrape(g);
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'output' })).toBe(3);
    const input = sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'input' }) as number;
    expect(input).toBeGreaterThan(0);
    expect(input).toBeLessThan(100);
    expect(sample(text, 'sluice_store_duplicate_settles')).toBe(0);
    expect(sample(text, 'sluice_store_active_reservations')).toBe(0);
    // The buckets keep the estimate (PROVIDERS.md §1.8): the tenant's tokens bucket still holds input + max_tokens.
    const buckets = await g.state.buckets();
    const tpm = buckets.find((b) => b.scope === 'tenant' && b.dimension === 'tokens');
    expect(tpm?.used).toBeCloseTo(input + 3_000, 1);

    const res = await fetch(`${g.url}/admin/v1/state`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const state = (await res.json()) as { totals: { inputTokens: number; outputTokens: number } };
    expect(state.totals).toMatchObject({ inputTokens: input, outputTokens: 3 });
  });
});

describe('/metrics right after start', () => {
  it('has every _total counter at 0, Node process metrics under their standard names', async () => {
    const { gateway: g } = await start(({ res }) =>
      json(res, 200, chatCompletion({ prompt: 1, completion: 1 })),
    );
    const text = await scrape(g);
    const counters = [...text.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1] as string);
    expect(counters.length).toBeGreaterThan(10);
    for (const name of counters) {
      expect(name, `${name} ends in _total`).toMatch(/_total$/);
      const values = text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
      expect(values.length, `${name} has a sample at start`).toBeGreaterThan(0);
      // Process counters (CPU seconds) have run since the process started; everything of Sluice's starts at 0.
      if (!name.startsWith('process_'))
        expect(
          values.every((v) => v === 0),
          `${name} starts at 0`,
        ).toBe(true);
    }
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'output' })).toBe(0);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'up-a', outcome: 'failed' })).toBe(0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    expect(text).not.toMatch(/^sluice_process_|^sluice_nodejs_/m);
  });
});
