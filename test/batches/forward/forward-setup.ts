/** A ForwardRunner on a BatchStore (the fake, or the real FileBatchStore), talking to a simulator on a manual clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import type { BatchApi, BatchLine, BatchRecord, LineResult } from '../../../src/batches/batch.js';
import type { BatchStore } from '../../../src/batches/batch-store.js';
import type { ForwardEnd, ForwardRunnerOptions } from '../../../src/batches/forward/forward-runner.js';
import { ForwardRunner, finishForwarded } from '../../../src/batches/forward/forward-runner.js';
import { FileBatchStore } from '../../../src/batches/store/file-batch-store.js';
import { RedisBatchStore } from '../../../src/batches/store/redis-batch-store.js';
import type { ManualClock } from '../../../src/core/clock.js';
import { createAdapter } from '../../../src/providers/registry.js';
import { Deployment, type DeploymentConfig } from '../../../src/runtime/deployment.js';
import { deleteKeys, type RedisServer, redisForFile, testPrefix } from '../../stores/redis/redis-server.js';
import { FakeBatchStore } from '../fake-batch-store.js';

export type StoreKind = 'fake' | 'file' | 'redis';
/** Every runner test runs on the fake and on both real stores. */
export const STORE_KINDS: readonly StoreKind[] = ['fake', 'file', 'redis'];

const opened: { store: BatchStore; dir?: string; redis?: Redis; prefix?: string }[] = [];
let redisServer: (() => RedisServer) | undefined;

/**
 * Call at the top level of a test file: a Redis server for the file (REDIS_URL's when set), and
 * stores made by `newStore` closed after each test (folders removed, keys deleted).
 */
export function storesClosedAfterEach(): void {
  redisServer = redisForFile();
  afterEach(async () => {
    for (const { store, dir, redis, prefix } of opened.splice(0)) {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (redis && prefix) {
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
    }
  });
}

export function newStore(kind: StoreKind): BatchStore {
  if (kind === 'fake') {
    const store = new FakeBatchStore();
    opened.push({ store });
    return store;
  }
  if (kind === 'redis') {
    if (!redisServer) throw new Error('call storesClosedAfterEach() at the top of the test file');
    const redis = new Redis(redisServer().url);
    const prefix = testPrefix('forward');
    const store = new RedisBatchStore({ redis, prefix });
    opened.push({ store, redis, prefix });
    return store;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-forward-'));
  const store = new FileBatchStore({ dir });
  opened.push({ store, dir });
  return store;
}

/** The store with some of its operations replaced (a crash injected), every other bound to it. */
export function withOverrides(store: BatchStore, overrides: Partial<BatchStore>): BatchStore {
  const bound = {} as Record<string, unknown>;
  for (const name of [
    'putFile',
    'file',
    'fileContent',
    'deleteFile',
    'listFiles',
    'createBatch',
    'batch',
    'listBatches',
    'activeBatches',
    'transition',
    'claim',
    'renew',
    'release',
    'complete',
    'endRemaining',
    'progress',
    'results',
    'close',
  ] as const) {
    bound[name] = (store[name] as (...args: unknown[]) => unknown).bind(store);
  }
  return { ...(bound as unknown as BatchStore), ...overrides };
}

export const GROUP = 'chat';
export const OPENAI_KEY = 'sk-forward';
export const ANTHROPIC_KEY = 'sk-ant-forward';

export function deploymentFor(api: BatchApi, url: string, extra: Partial<DeploymentConfig> = {}): Deployment {
  const config: DeploymentConfig =
    api === 'openai'
      ? {
          id: 'oa',
          provider: 'openai',
          baseUrl: `${url}/v1`,
          apiKey: OPENAI_KEY,
          model: 'gpt-4o-mini',
          ...extra,
        }
      : {
          id: 'an',
          provider: 'anthropic',
          baseUrl: url,
          apiKey: ANTHROPIC_KEY,
          model: 'claude-sonnet-4-5',
          headers: { 'anthropic-version': '2023-06-01' },
          ...extra,
        };
  return new Deployment(config, { adapter: createAdapter(config.provider), margin: 0.1 });
}

export function chatLine(index: number, customId: string, text = 'Hello there'): BatchLine {
  return {
    index,
    customId,
    url: '/v1/chat/completions',
    body: { model: GROUP, messages: [{ role: 'user', content: text }], max_tokens: 8 },
  };
}

export function messageLine(index: number, customId: string, text = 'Hello there'): BatchLine {
  return {
    index,
    customId,
    url: '/v1/messages',
    body: { model: GROUP, max_tokens: 8, messages: [{ role: 'user', content: text }] },
  };
}

let ordinal = 0;

export async function createBatch(
  store: BatchStore,
  clock: ManualClock,
  init: { api: BatchApi; lines: readonly BatchLine[]; inputTokens?: number; known?: readonly LineResult[] },
): Promise<BatchRecord> {
  const now = clock.now();
  const total = init.lines.length + (init.known?.length ?? 0);
  const batch: BatchRecord = {
    id: `batch_fwd_${++ordinal}`,
    tenant: 'acme',
    api: init.api,
    mode: 'forward',
    endpoint: init.api === 'openai' ? '/v1/chat/completions' : '/v1/messages',
    model: GROUP,
    completionWindow: '24h',
    createdAt: now + ordinal,
    expiresAt: now + 86_400_000,
    status: 'validating',
    times: { validating: now },
    total,
    inputTokens: init.inputTokens ?? 100,
  };
  await store.createBatch(batch, init.lines, init.known ?? []);
  return batch;
}

export interface Harness {
  readonly store: BatchStore;
  readonly runner: ForwardRunner;
  readonly ended: ForwardEnd[];
  readonly errors: unknown[];
  /** Another instance on the same store (a restart). */
  another(options?: Partial<ForwardRunnerOptions>): ForwardRunner;
}

export function harness(
  clock: ManualClock,
  deployments: readonly Deployment[],
  options: Partial<ForwardRunnerOptions> & { store: BatchStore },
): Harness {
  const store = options.store;
  const ended: ForwardEnd[] = [];
  const errors: unknown[] = [];
  const finish = finishForwarded(store, clock);
  const make = (extra: Partial<ForwardRunnerOptions> = {}) =>
    new ForwardRunner({
      clock,
      deployments: {
        group: (name) => (name === GROUP ? deployments : []),
        byId: (id) => deployments.find((d) => d.id === id),
      },
      onEnded: async (end) => {
        ended.push(end);
        await finish(end);
      },
      onError: (_id, error) => errors.push(error),
      ...options,
      ...extra,
    });
  return { store, runner: make(), ended, errors, another: make };
}
