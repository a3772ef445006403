/**
 * Proxy cost: what a hop costs when limits are far above the load. The same
 * small chat completion goes to the simulator directly, through `sluice
 * serve` and through the Portkey gateway, each in its own process, measured
 * in one run: closed loop at 50 connections (requests/s, p50/p99, proxy CPU
 * per request), then open loop at a fixed 600 requests/s (added latency in µs).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, markdownTable } from '../../src/bench/report/table.js';
import { startGatewayProcess } from '../../src/bench/targets/gateway.js';
import { PORTKEY_PACKAGE, startPortkey } from '../../src/bench/targets/portkey.js';
import { type ChildServer, freePort, waitUntilUp } from '../../src/bench/targets/process.js';
import { startSluice } from '../../src/bench/targets/sluice-process.js';
import { closedLoop, cpuMs, type Endpoint, openLoop } from '../lib/proxy-load.js';

export const CONNECTIONS = 50;
export const OPEN_LOOP_RATE = 600;
const CLOSED_SECONDS = Number(process.env.PROXY_SECONDS ?? 10);
const OPEN_SECONDS = Number(process.env.PROXY_OPEN_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
const here = dirname();

function dirname(): string {
  return join(fileURLToPath(import.meta.url), '..');
}

export interface ProxyRow {
  readonly target: 'direct' | 'gateway' | 'portkey';
  readonly available: boolean;
  /** Why it did not run. */
  readonly reason?: string;
  readonly requestsPerSecond?: number;
  readonly closedP50Ms?: number;
  readonly closedP99Ms?: number;
  readonly non2xx?: number;
  readonly errors?: number;
  /** CPU the proxy process used per request in the closed-loop run. */
  readonly cpuPerRequestUs?: number;
  readonly openP50Ms?: number;
  readonly openP99Ms?: number;
  /** Open-loop p50 / p99 minus the direct path's. */
  readonly addedP50Ms?: number;
  readonly addedP99Ms?: number;
}

const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hi' }],
  max_tokens: 16,
});

interface Hop {
  readonly target: ProxyRow['target'];
  readonly endpoint: Endpoint;
  readonly process: ChildServer | undefined;
}

export async function measureProxyCost(options: { portkeyDir?: string } = {}): Promise<ProxyRow[]> {
  const port = await freePort();
  const upstream = startSluice([
    'simulate',
    '--port',
    String(port),
    '--mode',
    'fixed',
    '--text',
    'Hello there.',
  ]);
  const upstreamUrl = `http://127.0.0.1:${port}`;
  const hops: Hop[] = [];
  const rows: ProxyRow[] = [];
  const started: ChildServer[] = [upstream];
  try {
    await waitUntilUp(`${upstreamUrl}/v1/models`, upstream);
    const auth = { authorization: 'Bearer sk-proxy-bench', 'content-type': 'application/json' };
    hops.push({
      target: 'direct',
      endpoint: { url: `${upstreamUrl}/v1/chat/completions`, headers: auth, body: BODY },
      process: undefined,
    });
    try {
      const gateway = await startGatewayProcess({
        providerBaseUrl: `${upstreamUrl}/v1`,
        model: 'gpt-4o-mini',
        limits: { rpm: 1e9, tpm: 1e12 },
      });
      started.push(gateway.server);
      hops.push({
        target: 'gateway',
        endpoint: {
          url: `${gateway.url}/v1/chat/completions`,
          headers: { ...auth, ...gateway.headers },
          body: BODY,
        },
        process: gateway.server,
      });
    } catch (error) {
      rows.push({ target: 'gateway', available: false, reason: (error as Error).message });
    }
    try {
      const portkey = await startPortkey(options.portkeyDir ?? join(here, '..', '.portkey'));
      started.push(portkey.server);
      hops.push({
        target: 'portkey',
        endpoint: {
          url: `${portkey.url}/v1/chat/completions`,
          headers: { ...auth, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1` },
          body: BODY,
        },
        process: portkey.server,
      });
    } catch (error) {
      rows.push({ target: 'portkey', available: false, reason: (error as Error).message });
    }

    const measured = new Map<ProxyRow['target'], ProxyRow>();
    for (const hop of hops) {
      process.stderr.write(`proxy cost: ${hop.target} closed loop ${CONNECTIONS} connections …\n`);
      await closedLoop(hop.endpoint, CONNECTIONS, WARMUP_SECONDS);
      const pid = hop.process?.child.pid;
      const cpuBefore = pid === undefined ? undefined : cpuMs(pid);
      const closed = await closedLoop(hop.endpoint, CONNECTIONS, CLOSED_SECONDS);
      const cpuAfter = pid === undefined ? undefined : cpuMs(pid);
      process.stderr.write(`proxy cost: ${hop.target} open loop ${OPEN_LOOP_RATE} req/s …\n`);
      const open = await openLoop(hop.endpoint, OPEN_LOOP_RATE, OPEN_SECONDS);
      measured.set(hop.target, {
        target: hop.target,
        available: true,
        requestsPerSecond: closed.requestsPerSecond,
        closedP50Ms: closed.p50Ms,
        closedP99Ms: closed.p99Ms,
        non2xx: closed.non2xx + open.non2xx,
        errors: closed.errors + open.errors,
        cpuPerRequestUs:
          cpuBefore !== undefined && cpuAfter !== undefined && closed.total > 0
            ? ((cpuAfter - cpuBefore) * 1_000) / closed.total
            : undefined,
        openP50Ms: open.latencyMs.p50,
        openP99Ms: open.latencyMs.p99,
      });
    }
    const direct = measured.get('direct');
    for (const row of measured.values()) {
      rows.push(
        row.target === 'direct' || !direct
          ? row
          : {
              ...row,
              addedP50Ms: (row.openP50Ms ?? 0) - (direct.openP50Ms ?? 0),
              addedP99Ms: (row.openP99Ms ?? 0) - (direct.openP99Ms ?? 0),
            },
      );
    }
    const order: ProxyRow['target'][] = ['direct', 'gateway', 'portkey'];
    return rows.sort((a, b) => order.indexOf(a.target) - order.indexOf(b.target));
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}

export function proxyTable(rows: readonly ProxyRow[]): string {
  const ms = (v: number | undefined) => (v === undefined ? '–' : fmt(v, v < 10 ? 2 : 1));
  return markdownTable(
    [
      'path',
      `req/s at ${CONNECTIONS} conn.`,
      'p50 / p99 ms',
      'proxy CPU µs/req',
      `open loop ${OPEN_LOOP_RATE}/s p50 / p99 ms`,
      'added p50 / p99 ms',
      'errors',
    ],
    rows.map((r) =>
      r.available
        ? [
            r.target === 'direct'
              ? 'direct to the simulator'
              : r.target === 'gateway'
                ? '`sluice serve`'
                : `Portkey ${PORTKEY_PACKAGE.split('@')[2]}`,
            fmt(r.requestsPerSecond),
            `${ms(r.closedP50Ms)} / ${ms(r.closedP99Ms)}`,
            r.cpuPerRequestUs === undefined ? '–' : fmt(r.cpuPerRequestUs),
            `${ms(r.openP50Ms)} / ${ms(r.openP99Ms)}`,
            r.addedP50Ms === undefined ? '–' : `${ms(r.addedP50Ms)} / ${ms(r.addedP99Ms)}`,
            fmt((r.non2xx ?? 0) + (r.errors ?? 0)),
          ]
        : [r.target, `did not run: ${r.reason ?? ''}`, '', '', '', '', ''],
    ),
  );
}

/** `npm run bench proxy`. */
export async function run(): Promise<void> {
  const rows = await measureProxyCost();
  console.log(proxyTable(rows));
}
