/**
 * `kill -9` in the middle of a batch (issue 19): the gateway is killed while
 * lines are in flight, started again on the same state, and the batch goes
 * on to completion with every `custom_id` exactly once in its output, even
 * the lines the crash cut after they reached the provider (they run again:
 * the simulator counts more calls than lines).
 *
 * Memory store: one process, state under `data_dir`. Redis store: two
 * gateways on one private Redis; one is killed and the other takes up its
 * claimed lines once their lease ends, then the killed one comes back.
 *
 * Real processes and real time (slow suite); bounds are liveness bounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { simulatorGroup } from '../stores/redis/gateway-fleet.js';
import { type GatewayProcess, startGatewayProcess } from '../stores/redis/gateway-processes.js';
import { type RedisServer, startRedisServer, testPrefix } from '../stores/redis/redis-server.js';
import { chatLine, submitBatch } from './sdk-batches.js';

const LINES = 300;
const KEY = 'sk-acme-batch-crash';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  const steps = cleanup;
  cleanup = [];
  for (const step of steps.reverse()) await step().catch(() => undefined);
});

function config(simUrl: string, extra: Record<string, unknown>) {
  return {
    ...extra,
    batches: { line_lease_ms: 2_000, concurrency: 16, poll_ms: 200 },
    model_groups: simulatorGroup(simUrl, 3_000),
    tenants: [{ id: 'acme', key: KEY }],
    log: { level: 'warn', requests: false },
  };
}

async function sim(): Promise<Simulator> {
  // Slow answers keep lines in flight when the kill lands.
  const simulator = await startSimulator({
    defaults: { rpm: 3_000 },
    response: { tokens: 5 },
    latency: { ttft_ms: 150 },
  });
  cleanup.push(() => simulator.close());
  return simulator;
}

async function gateway(cfg: Record<string, unknown>): Promise<GatewayProcess> {
  const g = await startGatewayProcess(cfg);
  cleanup.push(async () => {
    await g.stop();
  });
  return g;
}

function client(g: GatewayProcess): OpenAI {
  return new OpenAI({ baseURL: `${g.url}/v1`, apiKey: KEY, maxRetries: 0 });
}

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kill9(g: GatewayProcess): Promise<void> {
  return new Promise((resolve) => {
    g.child.once('exit', () => resolve());
    g.child.kill('SIGKILL');
  });
}

async function submit(openai: OpenAI): Promise<string> {
  const lines = Array.from({ length: LINES }, (_, i) => chatLine(`line-${i}`, { max_tokens: 8 }));
  return (await submitBatch(openai, lines)).id;
}

/** Every custom_id of the output and error files, with how often it appears. */
async function outputIds(openai: OpenAI, batch: OpenAI.Batches.Batch): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const fileId of [batch.output_file_id, batch.error_file_id]) {
    if (!fileId) continue;
    const text = await (await openai.files.content(fileId)).text();
    for (const row of text.split('\n')) {
      if (row.trim() === '') continue;
      const id = (JSON.parse(row) as { custom_id: string }).custom_id;
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
  }
  return ids;
}

function expectEachOnce(ids: Map<string, number>): void {
  expect(ids.size).toBe(LINES);
  for (let i = 0; i < LINES; i++) expect(ids.get(`line-${i}`), `line-${i}`).toBe(1);
}

describe('a batch survives kill -9', () => {
  it('memory store: the restarted gateway finishes it from data_dir, every custom_id once', {
    timeout: 180_000,
  }, async () => {
    const simulator = await sim();
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-data-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const cfg = config(simulator.url, { data_dir: dataDir });

    const first = await gateway(cfg);
    const id = await submit(client(first));
    const before = await until(
      () => client(first).batches.retrieve(id),
      (b) => (b.request_counts?.completed ?? 0) >= LINES / 4,
      'a quarter of the lines',
    );
    await kill9(first);
    expect(before.status).toBe('in_progress');

    const second = await gateway(cfg);
    const done = await until(
      () => client(second).batches.retrieve(id),
      (b) => b.status === 'completed',
      'completion after the restart',
      120_000,
    );
    expect(done.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    expectEachOnce(await outputIds(client(second), done));
    // Lines in flight at the kill (16 at a time, 150 ms each) reached the simulator and ran again after
    // the restart: more calls than lines, each line once in the output all the same.
    expect(simulator.stats().requests).toBeGreaterThan(LINES);
  });

  it('Redis store: a survivor takes up the killed gateway’s lines after their lease, every custom_id once', {
    timeout: 180_000,
  }, async () => {
    const simulator = await sim();
    const redis: RedisServer = await startRedisServer();
    cleanup.push(() => redis.stop());
    const cfg = config(simulator.url, {
      store: { kind: 'redis', url: redis.url, prefix: testPrefix('batches'), expected_instances: 2 },
    });
    const [a, b] = await Promise.all([gateway(cfg), gateway(cfg)]);
    const id = await submit(client(a as GatewayProcess));
    await until(
      () => client(b as GatewayProcess).batches.retrieve(id),
      (x) => (x.request_counts?.completed ?? 0) >= LINES / 4,
      'a quarter of the lines',
    );
    await kill9(a as GatewayProcess);
    const done = await until(
      () => client(b as GatewayProcess).batches.retrieve(id),
      (x) => x.status === 'completed',
      'completion by the survivor',
      120_000,
    );
    expect(done.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    expectEachOnce(await outputIds(client(b as GatewayProcess), done));
    expect(simulator.stats().requests).toBeGreaterThan(LINES);
    // The killed gateway comes back on the same Redis and sees the same finished batch.
    const back = await gateway(cfg);
    const seen = await client(back).batches.retrieve(id);
    expect(seen.status).toBe('completed');
    expectEachOnce(await outputIds(client(back), seen));
  });
});
