/**
 * Batch-store section: a burst of 1,000 `complete()` calls, all in flight at
 * once (the drain runner finishing a wave of lines), on each BatchStore.
 *
 * FileBatchStore group-commits: appends that arrive while one write is
 * being fsynced share the next fsync. Its peer in the same run is the same
 * store driven one `complete()` at a time, which pays one fsync per result
 * (what the burst would cost without group commit). RedisBatchStore runs
 * on a private redis-server (no persistence: Redis's own fsync policy is
 * the deployment's choice). Medians of RUNS bursts, each on a fresh batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { BatchLine, BatchRecord, LineResult } from '../../src/batches/batch.js';
import type { BatchStore } from '../../src/batches/batch-store.js';
import { FileBatchStore } from '../../src/batches/store/file-batch-store.js';
import { RedisBatchStore } from '../../src/batches/store/redis-batch-store.js';
import { startRedisServer } from '../../test/stores/redis/redis-server.js';
import { median, printTable, type Row, writeResults } from '../lib/report.js';

const BURST = 1_000;
const RUNS = 5;
let batches = 0;

function batchOf(total: number): { record: BatchRecord; lines: BatchLine[] } {
  const id = `batch-bench-${batches++}`;
  const record: BatchRecord = {
    id,
    tenant: 'bench',
    api: 'openai',
    mode: 'drain',
    endpoint: '/v1/chat/completions',
    model: 'gpt-bench',
    completionWindow: '24h',
    createdAt: 0,
    expiresAt: 86_400_000,
    status: 'in_progress',
    times: {},
    total,
    inputTokens: 0,
  };
  const lines = Array.from({ length: total }, (_, index) => ({
    index,
    customId: `req-${index}`,
    url: '/v1/chat/completions',
    body: { model: 'gpt-bench', messages: [{ role: 'user', content: 'hi' }] },
  }));
  return { record, lines };
}

function result(index: number): LineResult {
  // About the size of a short chat completion.
  const body = {
    id: `chatcmpl-${index}`,
    choices: [{ message: { role: 'assistant', content: 'x'.repeat(300) } }],
  };
  return {
    index,
    customId: `req-${index}`,
    outcome: 'succeeded',
    status: 200,
    requestId: `r-${index}`,
    body,
    tokens: 80,
  };
}

/** Milliseconds for BURST completes: all at once, or one after another. */
async function burstMs(store: BatchStore, together: boolean): Promise<number> {
  const { record, lines } = batchOf(BURST);
  await store.createBatch(record, lines, []);
  const started = performance.now();
  if (together) await Promise.all(lines.map((line) => store.complete(record.id, result(line.index))));
  else for (const line of lines) await store.complete(record.id, result(line.index));
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-batches-'));
  const server = await startRedisServer();
  const client = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const file = new FileBatchStore({ dir });
    const redis = new RedisBatchStore({ redis: client, prefix: 'bench-batches' });
    const cases: { store: string; mode: string; ms: number }[] = [
      {
        store: 'FileBatchStore',
        mode: 'burst (group commit)',
        ms: await median(RUNS, () => burstMs(file, true)),
      },
      { store: 'FileBatchStore', mode: 'one at a time', ms: await median(RUNS, () => burstMs(file, false)) },
      { store: 'RedisBatchStore', mode: 'burst', ms: await median(RUNS, () => burstMs(redis, true)) },
    ];
    const rows: Row[] = cases.map((c) => ({
      store: c.store,
      [`${BURST} completes`]: c.mode,
      'ms (median)': c.ms,
      'completes/s': (BURST / c.ms) * 1_000,
    }));
    printTable(rows);
    writeResults('batch-store', cases);
    await file.close();
  } finally {
    client.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
