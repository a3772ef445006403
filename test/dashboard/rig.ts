/**
 * Dashboard test rig: the simulator as upstream, a real gateway on
 * 127.0.0.1 port 0 in front of it with an admin key, a tier tiny enough to
 * drive a bucket over 90 %, and the page built fresh from source (so a
 * stale `dist/` can never make a test pass or fail).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { pino } from 'pino';
import { type Clock, ManualClock } from '../../src/core/clock.js';
import { buildDashboardClient } from '../../src/dashboard/build-client.js';
import type { StreamEvent } from '../../src/dashboard/client/event-stream.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { Gateway } from '../../src/gateway/server.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import { advanceUntilSettled, simOpenAiDeployment } from '../gateway/helpers.js';
import { startTestGateway } from '../gateway/test-gateway.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const UPSTREAM_KEY = 'sk-upstream-secret-4242';
export const KEYS = { pro: 'sk-dash-pro-000001', tiny: 'sk-dash-tiny-00001' } as const;
/** The tiny tier allows 10 requests a day (a tier budget has no safety margin). */
export const TINY_BUCKET = 'tenant:tiny-co:requests:day';

export interface DashboardRig {
  readonly sim: Simulator;
  readonly gateway: Gateway;
  readonly url: string;
  /** One chat completion; resolves with the status. */
  send(key: string, content?: string, model?: string, headers?: Record<string, string>): Promise<number>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

let built: Promise<string> | undefined;

/** Builds the page once per test file into a temporary directory. */
export function builtAssets(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
    await buildDashboardClient(dir);
    return dir;
  })();
  return built;
}

export function rigConfig(simUrl: string, overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    model_groups: {
      'gpt-4o-mini': {
        deployments: [
          {
            ...simOpenAiDeployment(simUrl, { api_key: UPSTREAM_KEY, limits: { rpm: 600, tpm: 400_000 } }),
            // Reserved and priced, so the page's reserved-vs-on-demand panel and costs have something to show.
            capacity: 'reserved',
            price: { input_per_mtok: 0.15, output_per_mtok: 0.6 },
          },
        ],
      },
    },
    tiers: {
      pro: { rpm: 6_000, priority: 'normal', max_wait_ms: 10_000 },
      tiny: { rpd: 10, priority: 'low', max_wait_ms: 100 },
    },
    tenants: [
      { id: 'pro-co', key: KEYS.pro, tier: 'pro' },
      { id: 'tiny-co', key: KEYS.tiny, tier: 'tiny' },
    ],
    admin: { key: ADMIN_KEY },
    alerts: { interval_ms: 200 },
    ...overrides,
  };
}

export async function startDashboardRig(
  options: {
    sim?: SimulatorOptions;
    config?: (simUrl: string) => GatewayConfigInput;
    /** One clock for the simulator and the gateway (the page's ticks included); default the system clock. */
    clock?: Clock;
  } = {},
): Promise<DashboardRig> {
  const { clock } = options;
  const sim = await startSimulator({
    response: { mode: 'lorem', tokens: 12 },
    // Limits make the simulator send rate-limit headers, which the deployments table shows.
    defaults: { rpm: 1_000, tpm: 1_000_000 },
    ...options.sim,
    ...(clock && { clock }),
  });
  const input = options.config ? options.config(sim.url) : rigConfig(sim.url);
  const gateway = await startTestGateway({
    config: parseConfig(input, 'dashboard test config', {}),
    logger: pino({ level: 'silent' }),
    dashboardAssetsDir: await builtAssets(),
    ...(clock && { clock }),
  });
  const url = gateway.url;
  return {
    sim,
    gateway,
    url,
    async send(key, content = 'Hello there', model = 'gpt-4o-mini', headers = {}) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model, max_tokens: 60, messages: [{ role: 'user', content }] }),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async metrics() {
      return (await fetch(gateway.metricsUrl as string)).text();
    },
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
 * The sum of a metric's samples in Prometheus text, over the series whose
 * labels include `labels`.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Reads the admin stream until `until` says stop (or it ends); returns every event seen. */
export async function readStream(
  url: string,
  headers: Record<string, string>,
  until: (events: readonly StreamEvent[]) => boolean,
  onOpen?: () => void,
): Promise<{ status: number; events: StreamEvent[]; ended: boolean }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/admin/v1/stream`, { headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  if (!res.ok || !res.body) return { status: res.status, events, ended: true };
  onOpen?.();
  const parser = createParser({
    onEvent: (message) => events.push({ event: message.event ?? 'message', data: message.data }),
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { status: res.status, events, ended: true };
    parser.feed(value);
    if (until(events)) {
      controller.abort();
      return { status: res.status, events, ended: false };
    }
  }
}
