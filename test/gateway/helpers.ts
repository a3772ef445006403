/**
 * Gateway test rig: the simulator in-process as upstream, a gateway in front
 * of it on 127.0.0.1 port 0, and the official SDKs pointed at the gateway.
 * Logs go to an in-memory list so tests can assert on them.
 */
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, expect } from 'vitest';
import { type Clock, ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfig, GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { createLogger, type GatewayLogger } from '../../src/gateway/logging.js';
import type { Gateway } from '../../src/gateway/server.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import { startTestGateway } from './test-gateway.js';

export const KEYS = {
  free: 'sk-test-free-0000',
  pro: 'sk-test-pro-00000',
  enterprise: 'sk-test-ent-00000',
} as const;

export interface Rig {
  sim: Simulator;
  gateway: Gateway;
  logs: Record<string, unknown>[];
  openai(key?: string, options?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  anthropic(key?: string, options?: Partial<ConstructorParameters<typeof Anthropic>[0]>): Anthropic;
  close(): Promise<void>;
}

type DeploymentInput = GatewayConfigInput['model_groups'][string]['deployments'][number];

/** The `sim-openai` deployment: `gpt-4o-mini` on the simulator, with the given key and limits. */
export function simOpenAiDeployment(
  simUrl: string,
  extra: { api_key?: string; limits?: DeploymentInput['limits'] } = {},
): DeploymentInput {
  return {
    id: 'sim-openai',
    provider: 'openai',
    base_url: `${simUrl}/v1`,
    api_key: extra.api_key ?? 'sk-upstream',
    model: 'gpt-4o-mini',
    ...(extra.limits ? { limits: extra.limits } : {}),
  };
}

/** A Gemini deployment of `gemini-2.5-flash` at `baseUrl` (the simulator or a fake upstream). */
export function geminiDeployment(
  id: string,
  baseUrl: string,
  limits?: DeploymentInput['limits'],
): DeploymentInput {
  return {
    id,
    provider: 'gemini',
    base_url: baseUrl,
    api_key: 'AIza-upstream',
    model: 'gemini-2.5-flash',
    ...(limits ? { limits } : {}),
  };
}

/** `config` with one more model group served by `deployments`. */
export function withGroup(
  config: GatewayConfigInput,
  group: string,
  ...deployments: DeploymentInput[]
): GatewayConfigInput {
  return { ...config, model_groups: { ...config.model_groups, [group]: { deployments } } };
}

/** The `sim-anthropic` deployment: `claude-3-5-haiku-latest` on the simulator. */
export function simAnthropicDeployment(simUrl: string): DeploymentInput {
  return {
    id: 'sim-anthropic',
    provider: 'anthropic',
    base_url: simUrl,
    api_key: 'sk-ant-upstream',
    model: 'claude-3-5-haiku-latest',
  };
}

/** A config with `gpt-4o-mini` and `claude-haiku` on the simulator, three tiers and three tenants. */
export function baseConfig(simUrl: string, overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    model_groups: {
      'gpt-4o-mini': { deployments: [simOpenAiDeployment(simUrl)] },
      'claude-haiku': { deployments: [simAnthropicDeployment(simUrl)] },
    },
    tiers: {
      free: { rpm: 600, tpm: 600_000, priority: 'low', max_wait_ms: 2_000 },
      pro: { rpm: 6_000, tpm: 6_000_000, priority: 'normal', max_wait_ms: 10_000 },
      enterprise: { priority: 'critical', max_wait_ms: 10_000 },
    },
    tenants: [
      { id: 'free-co', key: KEYS.free, tier: 'free' },
      { id: 'pro-co', key: KEYS.pro, tier: 'pro' },
      { id: 'big-co', key: KEYS.enterprise, tier: 'enterprise' },
    ],
    ...overrides,
  };
}

/** The gateway's own logger (its serializers cut and escape client text, its redaction), writing into `lines`. */
export function memoryLogger(lines: Record<string, unknown>[]): GatewayLogger {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return createLogger({ level: 'debug', destination: sink });
}

export async function startRig(
  options: {
    sim?: SimulatorOptions;
    config?: (simUrl: string) => GatewayConfigInput;
    /** One clock for the simulator and the gateway (limits, waits, latency, drain); default the system clock. */
    clock?: Clock;
  } = {},
): Promise<Rig> {
  const { clock } = options;
  const sim = await startSimulator({
    response: { mode: 'lorem', tokens: 8 },
    ...options.sim,
    ...(clock && { clock }),
  });
  const input = options.config ? options.config(sim.url) : baseConfig(sim.url);
  const config: GatewayConfig = parseConfig(input, 'test config', {});
  const logs: Record<string, unknown>[] = [];
  const gateway = await startTestGateway({ config, logger: memoryLogger(logs), ...(clock && { clock }) });
  return {
    sim,
    gateway,
    logs,
    openai: (key = KEYS.pro, opts = {}) =>
      new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0, ...opts }),
    anthropic: (key = KEYS.pro, opts = {}) =>
      new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0, ...opts }),
    async close() {
      const closing = gateway.close({ timeoutMs: 1_000 });
      // The drain waits on the gateway's clock: a manual one has to be moved for it to end.
      if (clock instanceof ManualClock) await advanceUntilSettled(clock, closing);
      else await closing;
      await sim.close();
    },
  };
}

/**
 * Resolves once `check` holds: a wait for sockets and the event loop, not
 * for time. Use it beside a manual clock, where what is checked cannot
 * depend on how long the wait takes; the 10 s timeout is only a safety net.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>): Promise<void> {
  await expect.poll(check, { timeout: 10_000, interval: 2 }).toBe(true);
}

/**
 * Moves a manual clock on, `stepMs` at a time, until `promise` settles: for
 * work that waits on the clock and on sockets in turn (a drain). Socket
 * callbacks run between steps; no real time is waited. Fails, rather than
 * spinning for ever, once `limitMs` of clock time have passed.
 */
export async function advanceUntilSettled<T>(
  clock: ManualClock,
  promise: Promise<T>,
  { stepMs = 25, limitMs = 600_000 } = {},
): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let moved = 0; !settled; moved += stepMs) {
    if (moved >= limitMs) throw new Error(`not settled after ${limitMs} ms of clock time`);
    await clock.advanceAsync(stepMs);
  }
  return promise;
}

export const hello = [{ role: 'user' as const, content: 'Hello there' }];

/** What `startRig` takes. */
export type RigOptions = Parameters<typeof startRig>[0];

/** A `startRig` whose rigs are closed after each test of the file that calls this at its top level. */
export function rigsClosedAfterEach(): typeof startRig {
  let rigs: Rig[] = [];
  afterEach(async () => {
    await Promise.all(rigs.map((r) => r.close()));
    rigs = [];
  });
  return async (options) => {
    const r = await startRig(options);
    rigs.push(r);
    return r;
  };
}
