/**
 * Counters that tell the truth (issue 14), over real sockets with the
 * official OpenAI SDK as the client and a scripted upstream: a stream the
 * client cuts after three chunks is counted as what it delivered while its
 * reservation keeps the estimate and settles once; every `_total` counter
 * exists at the first scrape; process metrics keep their standard names;
 * the OTel GenAI histograms carry provider and model; estimate accuracy,
 * retry outcomes and the prompt-cache hit ratio follow known answers.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { type Gateway, startGateway } from '../../src/gateway/server.js';
import { createAdapter } from '../../src/providers/registry.js';
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

type Groups = GatewayConfigInput['model_groups'];

function config(url: string, extra: Partial<GatewayConfigInput> = {}, groups?: Groups): GatewayConfigInput {
  // Deployments given without a base URL go to the scripted upstream.
  const routed = groups
    ? Object.fromEntries(
        Object.entries(groups).map(([name, g]) => [
          name,
          {
            ...g,
            deployments: g.deployments.map((d) => ({
              ...d,
              base_url: d.base_url || (d.provider === 'anthropic' ? url : `${url}/v1`),
            })),
          },
        ]),
      )
    : undefined;
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
    ...(routed && { model_groups: routed }),
  };
}

async function start(
  answer: Parameters<typeof startScriptedUpstream>[0],
  extra?: Partial<GatewayConfigInput>,
  groups?: Groups,
) {
  upstream = await startScriptedUpstream(answer);
  clock = new ManualClock(1_700_000_000_000);
  gateway = await startGateway({
    config: parseConfig(config(upstream.url, extra, groups), 'test config', {}),
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

describe('accuracy and GenAI metrics after calls', () => {
  it('labels the GenAI histograms with operation, provider and model, and compares a known estimate with the report', async () => {
    const body = {
      model: 'gpt',
      messages: [{ role: 'user' as const, content: 'How many rivers cross Paris?' }],
      max_tokens: 100,
    };
    const estimated = createAdapter('openai').estimate('chat_completions', body, '/v1/chat/completions').cost;
    const { gateway: g, client } = await start(({ body: sent, res }) => {
      if (JSON.parse(sent).stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chatChunk('ok'));
        res.end(
          `data: ${JSON.stringify({ ...chatCompletion({ prompt: 5, completion: 1 }), choices: [] })}\n\ndata: [DONE]\n\n`,
        );
        return;
      }
      // Twice the estimated input, half the reserved output.
      json(res, 200, chatCompletion({ prompt: estimated.inputTokens * 2, completion: 50 }));
    });
    await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    for await (const _chunk of stream);
    const text = await scrape(g);

    const genai = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-x',
    };
    expect(sample(text, 'gen_ai_client_token_usage_count', { ...genai, gen_ai_token_type: 'input' })).toBe(2);
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...genai, gen_ai_token_type: 'output' })).toBe(51);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', genai)).toBe(2);
    expect(sample(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', genai)).toBe(1);

    const up = { deployment: 'up-a' };
    const sum = (name: string, direction: string) =>
      (sample(text, name, { deployment: 'up-a', direction }) ?? 0) +
      (sample(text, name, { deployment: 'up-b', direction }) ?? 0);
    expect(sum('sluice_estimated_tokens_total', 'output')).toBe(200);
    expect(sum('sluice_reported_tokens_total', 'output')).toBe(51);
    expect(sum('sluice_estimated_tokens_total', 'input')).toBe(estimated.inputTokens * 2);
    expect(sum('sluice_reported_tokens_total', 'input')).toBe(estimated.inputTokens * 2 + 5);
    // The non-streamed call: estimated ÷ reported input is 0.5, output 100 ÷ 50 = 2.
    const ratio = (direction: string, le: string) =>
      (sample(text, 'sluice_estimate_ratio_bucket', { ...up, direction, le }) ?? 0) +
      (sample(text, 'sluice_estimate_ratio_bucket', { deployment: 'up-b', direction, le }) ?? 0);
    expect(ratio('input', '0.5') - ratio('input', '0.25')).toBe(1);
    expect(ratio('output', '2') - ratio('output', '1.5')).toBe(1);
    expect(
      sample(text, 'sluice_request_tokens_count', { tenant: 'acme', group: 'gpt', direction: 'output' }),
    ).toBe(2);
  });

  it('counts retries that got the call served apart from those that did not', async () => {
    const solo = {
      gpt: {
        deployments: [
          { id: 'solo', provider: 'openai' as const, base_url: '', api_key: 'sk-up', model: 'gpt-x' },
        ],
      },
    };
    // Calls 0 and 2, 3 fail with a 500; call 1 succeeds.
    const { gateway: g, client } = await start(
      ({ n, res }) =>
        n === 1
          ? json(res, 200, chatCompletion({ prompt: 3, completion: 1 }))
          : json(res, 500, { error: { message: 'boom', type: 'server_error' } }),
      { retry: { base_ms: 0, max_attempts: 2 } },
      solo,
    );
    const body = { model: 'gpt', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
    await client.chat.completions.create(body);
    await expect(client.chat.completions.create(body)).rejects.toMatchObject({ status: 500 });
    const text = await scrape(g);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'solo', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'solo', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'sluice_retries_total', { deployment: 'solo', kind: 'server_error' })).toBe(2);
    const failed = { gen_ai_provider_name: 'openai', error_type: 'server_error' };
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', failed)).toBe(3);
  });

  it('derives the prompt-cache hit ratio from Anthropic cache_read_input_tokens', async () => {
    const claude = {
      claude: {
        deployments: [
          {
            id: 'claude-a',
            provider: 'anthropic' as const,
            base_url: '',
            api_key: 'sk-ant',
            model: 'claude-sonnet-4-5',
          },
        ],
      },
    };
    const { gateway: g } = await start(
      ({ res }) =>
        json(res, 200, {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          usage: {
            input_tokens: 100,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 300,
            output_tokens: 10,
          },
        }),
      {},
      claude,
    );
    const anthropic = new Anthropic({ apiKey: KEY, baseURL: g.url, maxRetries: 0 });
    await anthropic.messages.create({
      model: 'claude',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const text = await scrape(g);
    expect(sample(text, 'sluice_prompt_cache_read_tokens_total', { deployment: 'claude-a' })).toBe(300);
    expect(sample(text, 'sluice_prompt_tokens_total', { deployment: 'claude-a' })).toBe(400);
    expect(sample(text, 'sluice_prompt_cache_hit_ratio', { deployment: 'claude-a' })).toBe(0.75);
    // Cache reads do not count toward this model's input limit: the tokens counter has the 100 uncached ones.
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'input' })).toBe(100);
  });
});
