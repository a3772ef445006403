/** A ForwardRunner on a fake store, talking to a simulator on a manual clock. */
import type { BatchApi, BatchLine, BatchRecord, LineResult } from '../../../src/batches/batch.js';
import type { ForwardEnd, ForwardRunnerOptions } from '../../../src/batches/forward/forward-runner.js';
import { ForwardRunner, finishForwarded } from '../../../src/batches/forward/forward-runner.js';
import type { ManualClock } from '../../../src/core/clock.js';
import { createAdapter } from '../../../src/providers/registry.js';
import { Deployment, type DeploymentConfig } from '../../../src/runtime/deployment.js';
import { FakeBatchStore } from './fake-store.js';

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
  store: FakeBatchStore,
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
  readonly store: FakeBatchStore;
  readonly runner: ForwardRunner;
  readonly ended: ForwardEnd[];
  readonly errors: unknown[];
  /** Another instance on the same store (a restart). */
  another(options?: Partial<ForwardRunnerOptions>): ForwardRunner;
}

export function harness(
  clock: ManualClock,
  deployments: readonly Deployment[],
  options: Partial<ForwardRunnerOptions> & { store?: FakeBatchStore } = {},
): Harness {
  const store = options.store ?? new FakeBatchStore();
  const ended: ForwardEnd[] = [];
  const errors: unknown[] = [];
  const finish = finishForwarded(store, clock);
  const make = (extra: Partial<ForwardRunnerOptions> = {}) =>
    new ForwardRunner({
      store,
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
