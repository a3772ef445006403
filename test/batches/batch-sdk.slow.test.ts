/**
 * The background lane end to end with the official SDKs as clients, on a
 * real gateway with its real lane (FileBatchStore under a temporary
 * data_dir) in front of the simulator: upload, create, poll, download,
 * cancel; drain mode (Sluice runs each line) and forward mode (the
 * provider's own Batch API). Real time (slow suite): the runner and the
 * SDKs poll as they do in use; bounds are liveness bounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { SimulatorOptions } from '../../src/simulator/index.js';
import {
  baseConfig,
  KEYS,
  type Rig,
  simAnthropicDeployment,
  simOpenAiDeployment,
  startRig,
} from '../gateway/helpers.js';
import { chatLine, messageRequests, submitBatch } from './sdk-batches.js';

let rigs: { rig: Rig; dir: string }[] = [];
afterEach(async () => {
  for (const { rig, dir } of rigs) {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  }
  rigs = [];
});

async function start(
  extra: (simUrl: string) => Partial<GatewayConfigInput> = () => ({}),
  sim: SimulatorOptions = {},
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-data-'));
  const rig = await startRig({
    sim: { response: { mode: 'lorem', tokens: 8 }, ...sim },
    config: (url) => ({
      ...baseConfig(url),
      data_dir: dir,
      batches: { poll_ms: 100, concurrency: 32 },
      ...extra(url),
    }),
  });
  rigs.push({ rig, dir });
  return rig;
}

async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function fileLines(client: OpenAI, id: string | null | undefined): Promise<Record<string, unknown>[]> {
  if (!id) return [];
  const text = await (await client.files.content(id)).text();
  return text
    .split('\n')
    .filter((row) => row.trim() !== '')
    .map((row) => JSON.parse(row) as Record<string, unknown>);
}

describe('drain mode through the official SDKs', () => {
  it('openai: upload, create, poll, download; malformed lines are error-file lines', {
    timeout: 60_000,
  }, async () => {
    const rig = await start();
    const client = new OpenAI({ baseURL: `${rig.gateway.url}/v1`, apiKey: KEYS.pro, maxRetries: 0 });
    const good = Array.from({ length: 40 }, (_, i) => chatLine(`ok-${i}`));
    const bad = [
      '{not json',
      JSON.stringify({ custom_id: 'no-body', method: 'POST', url: '/v1/chat/completions' }),
    ];
    const created = await submitBatch(client, [...good.slice(0, 20), ...bad, ...good.slice(20)]);
    const done = await until(
      () => client.batches.retrieve(created.id),
      (b) => b.status === 'completed',
      'completion',
    );
    expect(done.request_counts).toEqual({ total: 42, completed: 40, failed: 2 });
    const output = await fileLines(client, done.output_file_id);
    const errors = await fileLines(client, done.error_file_id);
    expect(output.map((l) => l.custom_id).sort()).toEqual(good.map((g) => JSON.parse(g).custom_id).sort());
    for (const line of output) {
      expect(line).toMatchObject({ response: { status_code: 200 }, error: null });
      expect((line.response as { body: { object: string } }).body.object).toBe('chat.completion');
    }
    expect(errors.map((l) => l.custom_id).sort()).toEqual(['line-21', 'no-body']);
    // Each line was a call of its tenant: the simulator served exactly the good ones.
    expect(rig.sim.stats().requests).toBe(40);
  });

  it('anthropic: message batch created, polled, results through the SDK decoder', {
    timeout: 60_000,
  }, async () => {
    const rig = await start();
    const client = new Anthropic({ baseURL: rig.gateway.url, apiKey: KEYS.pro, maxRetries: 0 });
    const requests = messageRequests('q', 30);
    const created = await client.messages.batches.create({ requests });
    const ended = await until(
      () => client.messages.batches.retrieve(created.id),
      (b) => b.processing_status === 'ended',
      'the batch to end',
    );
    expect(ended.request_counts).toMatchObject({ succeeded: 30, errored: 0, processing: 0 });
    const seen = new Set<string>();
    for await (const entry of await client.messages.batches.results(created.id)) {
      expect(seen.has(entry.custom_id)).toBe(false);
      seen.add(entry.custom_id);
      expect(entry.result.type).toBe('succeeded');
    }
    expect(seen.size).toBe(30);
  });

  it('cancel mid-batch: the rest ends cancelled, every custom_id once', { timeout: 60_000 }, async () => {
    const rig = await start(() => ({ batches: { poll_ms: 100, concurrency: 4 } }), {
      latency: { ttft_ms: 100 },
    });
    const client = new OpenAI({ baseURL: `${rig.gateway.url}/v1`, apiKey: KEYS.pro, maxRetries: 0 });
    const lines = Array.from({ length: 200 }, (_, i) => chatLine(`c-${i}`));
    const created = await submitBatch(client, lines);
    await until(
      () => client.batches.retrieve(created.id),
      (b) => (b.request_counts?.completed ?? 0) >= 8,
      'some lines',
    );
    const cancelling = await client.batches.cancel(created.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const cancelled = await until(
      () => client.batches.retrieve(created.id),
      (b) => b.status === 'cancelled',
      'cancelled',
    );
    const completed = cancelled.request_counts?.completed ?? 0;
    expect(completed).toBeLessThan(200);
    expect(cancelled.request_counts).toEqual({ total: 200, completed, failed: 200 - completed });
    const ids = [
      ...(await fileLines(client, cancelled.output_file_id)),
      ...(await fileLines(client, cancelled.error_file_id)),
    ].map((l) => l.custom_id as string);
    expect(ids.length).toBe(200);
    expect(new Set(ids).size).toBe(200);
  });
});

describe('forward mode through the official SDKs', () => {
  it('openai: the batch goes to the provider’s Batch API and its results come back', {
    timeout: 60_000,
  }, async () => {
    const rig = await start(
      (url) => ({
        model_groups: {
          ...baseConfig(url).model_groups,
          'gpt-4o-mini': {
            deployments: [
              {
                ...simOpenAiDeployment(url),
                enqueued_tokens: 1_000_000,
                price: { input_per_mtok: 2, output_per_mtok: 8 },
              },
            ],
            batch: { mode: 'forward' },
          },
        },
        tiers: {
          ...baseConfig(url).tiers,
          pro: { ...baseConfig(url).tiers?.pro, usd_per_day: 1 },
        },
      }),
      { batches: { pace_ms_per_line: 1 } },
    );
    const client = new OpenAI({ baseURL: `${rig.gateway.url}/v1`, apiKey: KEYS.pro, maxRetries: 0 });
    const lines = Array.from({ length: 20 }, (_, i) => chatLine(`f-${i}`));
    const created = await submitBatch(client, lines);
    const done = await until(
      () => client.batches.retrieve(created.id),
      (b) => b.status === 'completed',
      'completion at the provider',
    );
    expect(done.request_counts).toEqual({ total: 20, completed: 20, failed: 0 });
    const output = await fileLines(client, done.output_file_id);
    expect(new Set(output.map((l) => l.custom_id)).size).toBe(20);
    // Not one line ran as an interactive call: the provider's batch queue served them.
    expect(rig.sim.stats().requests).toBe(0);
    // The deployment's enqueued-token bucket is on /metrics, empty again once the batch ended.
    const metrics = await (await fetch(rig.gateway.metricsUrl as string)).text();
    expect(metrics).toMatch(/sluice_batch_enqueued_tokens\{deployment="[^"]+"\} 0/);
    expect(metrics).toMatch(/sluice_batch_enqueued_tokens_limit\{deployment="[^"]+"\} 1000000/);
    // What the provider served is billed once, at half the price, to the tenant and its budget.
    const usages = output.map((l) => {
      const usage = ((l.response as { body: { usage: Record<string, number> } }).body.usage ?? {}) as Record<
        string,
        number
      >;
      return { input: usage.prompt_tokens ?? 0, output: usage.completion_tokens ?? 0 };
    });
    const input = usages.reduce((n, u) => n + u.input, 0);
    expect(input).toBeGreaterThan(0);
    const usd = ((input * 2 + usages.reduce((n, u) => n + u.output, 0) * 8) / 1_000_000) * 0.5;
    // Billed by the instance whose finalization won, just after the batch read `completed`.
    const spentNow = async () => {
      const text = await (await fetch(rig.gateway.metricsUrl as string)).text();
      return Number(
        text.match(/sluice_tenant_cost_usd_total\{tenant="pro-co",group="gpt-4o-mini"\} ([\d.e-]+)/)?.[1],
      );
    };
    expect(await until(spentNow, (n) => n > 0, 'the batch to be billed')).toBeCloseTo(usd, 9);
    const answer = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 })
      .withResponse();
    const left = Number(answer.response.headers.get('x-sluice-budget-usd-remaining'));
    // The remaining budget is $1 less the batch and this call's reservation (under a cent).
    expect(left).toBeLessThan(1 - usd + 1e-9);
    expect(left).toBeGreaterThan(1 - usd - 0.01);
  });

  it('anthropic: the message batch goes to the provider and its results come back', {
    timeout: 60_000,
  }, async () => {
    const rig = await start(
      (url) => ({
        model_groups: {
          ...baseConfig(url).model_groups,
          'claude-haiku': { deployments: [simAnthropicDeployment(url)], batch: { mode: 'forward' } },
        },
      }),
      { batches: { pace_ms_per_line: 1 } },
    );
    const client = new Anthropic({ baseURL: rig.gateway.url, apiKey: KEYS.pro, maxRetries: 0 });
    const requests = messageRequests('a', 12);
    const created = await client.messages.batches.create({ requests });
    await until(
      () => client.messages.batches.retrieve(created.id),
      (b) => b.processing_status === 'ended',
      'the batch to end at the provider',
    );
    const ids: string[] = [];
    for await (const entry of await client.messages.batches.results(created.id)) {
      expect(entry.result.type).toBe('succeeded');
      ids.push(entry.custom_id);
    }
    expect(ids.sort()).toEqual(requests.map((r) => r.custom_id).sort());
    expect(rig.sim.stats().requests).toBe(0);
  });
});
