/**
 * `sluice serve --workers 2` with the MEMORY store, in front of the
 * simulator: two processes on one port share the limits through the
 * primary, so a burst 3× over the provider's limit gets no 429 upstream and
 * goodput stays within the limit; `/metrics` (served by the primary) counts
 * every request of both workers; SIGHUP reaches both workers; SIGTERM drains
 * both, answering the requests in flight, and the primary exits 0.
 *
 * Real time on purpose (slow suite): OS processes, a wall-clock goodput.
 * Bounds are generous (goodput 95–105 %, as for three gateways on Redis).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../src/dashboard/wire.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { simulatorGroup } from '../stores/redis/gateway-fleet.js';
import { type GatewayProcess, startGatewayProcess } from '../stores/redis/gateway-processes.js';
import { sampleAdmitted, steadyGoodput } from '../stores/redis/goodput.js';
import { waitFor, watchdog } from '../stores/redis/wait-for.js';

const ACME = 'tenant-key-workers-acme';
const BETA = 'tenant-key-workers-beta';
const ADMIN_KEY = 'admin-key-workers-0123456789';

let running: { gateway?: GatewayProcess; simulator?: Simulator } = {};
afterEach(async () => {
  const { gateway, simulator } = running;
  running = {};
  if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
  await simulator?.close();
});

function config(simUrl: string, rpm: number, tenants: { id: string; key: string }[]) {
  return {
    store: { kind: 'memory' },
    model_groups: simulatorGroup(simUrl, rpm),
    tenants,
    admin: { key: ADMIN_KEY },
    log: { level: 'warn', requests: false },
  };
}

/** The dashboard's snapshot, from whichever worker the connection reaches (`agent: false` deals them in turn). */
async function dashboardState(gateway: GatewayProcess): Promise<DashboardSnapshot> {
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${gateway.url}/admin/v1/state`,
      { agent: false, headers: { authorization: `Bearer ${ADMIN_KEY}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
  return JSON.parse(body) as DashboardSnapshot;
}

async function start(simulatorOptions: Parameters<typeof startSimulator>[0], rpm: number) {
  const simulator = await startSimulator(simulatorOptions);
  running.simulator = simulator;
  const gateway = await startGatewayProcess(config(simulator.url, rpm, [{ id: 'acme', key: ACME }]), [
    '--workers',
    '2',
  ]);
  running.gateway = gateway;
  // /healthz answers once one worker listens; the primary says so when both do.
  await waitFor(() => gateway.output().includes('2 workers'), 'both workers listening', 30_000);
  return { simulator, gateway };
}

/** One call on a connection of its own (`agent: false`): the primary deals connections to the workers in turn. */
function call(gateway: GatewayProcess, key: string, maxWaitMs: number): Promise<number> {
  const body = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi.' }],
    max_tokens: 5,
  });
  const answered = new Promise<number>((resolve) => {
    const req = request(
      `${gateway.url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'x-sluice-max-wait-ms': String(maxWaitMs),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
  return watchdog(answered, maxWaitMs + 10_000, 'a gateway call').catch(() => 0);
}

/** The primary's children that are gateways (tsx has an esbuild child of its own). */
function workersOf(gateway: GatewayProcess): string {
  try {
    return execFileSync('pgrep', ['-P', String(gateway.child.pid), '-f', 'serve --config'], {
      encoding: 'utf8',
    });
  } catch {
    return ''; // pgrep exits 1 when none matches
  }
}

function metricsUrl(gateway: GatewayProcess): string {
  const url = /metrics (http:\/\/\S+\/metrics)/.exec(gateway.output())?.[1];
  if (!url) throw new Error(`no metrics URL in ${gateway.output()}`);
  return url;
}

/** The sum of a metric's samples whose labels include `labels`. */
async function metricSum(gateway: GatewayProcess, name: string, labels: Record<string, string> = {}) {
  const text = await (await fetch(metricsUrl(gateway))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function statuses(results: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of results) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('sluice serve --workers 2 on the memory store', () => {
  it('a burst 3× over the limit: zero upstream 429s, goodput within the limit, /metrics counts both workers', {
    timeout: 90_000,
  }, async () => {
    const rpm = 600;
    const { simulator, gateway } = await start(
      { defaults: { rpm }, response: { tokens: 5 }, latency: { ttft_ms: 10 } },
      rpm,
    );
    const maxWaitMs = 25_000;
    const sent = 3 * rpm;
    const calls = Promise.all(Array.from({ length: sent }, () => call(gateway, ACME, maxWaitMs)));
    const samples = await sampleAdmitted(simulator, maxWaitMs);
    const results = await calls;
    const stats = simulator.stats();
    const served = results.filter((s) => s === 200).length;
    expect(results.filter((s) => s === 0)).toHaveLength(0);
    expect(stats.rejected.rpm).toBe(0);
    expect(results.every((s) => s === 200 || s === 503)).toBe(true);
    expect(stats.admitted).toBe(served);
    const { goodput, seconds } = steadyGoodput(samples, rpm * 0.9, rpm);
    console.log(
      `2 workers, memory store: ${served} served, ${sent - served} refused (503), upstream 429s ${stats.rejected.rpm}, steady goodput ${(goodput * 100).toFixed(1)} % of ${rpm} RPM over ${seconds.toFixed(1)} s`,
    );
    expect(goodput).toBeGreaterThanOrEqual(0.95);
    expect(goodput).toBeLessThanOrEqual(1.05);
    // The primary's /metrics is the whole gateway: both workers' counters summed.
    expect(await metricSum(gateway, 'sluice_requests_total')).toBe(sent);
    expect(await metricSum(gateway, 'sluice_requests_total', { status: '200' })).toBe(served);
    // So is the dashboard, whichever worker answers: its totals count both workers' requests.
    for (let i = 0; i < 4; i++) {
      const snapshot = await dashboardState(gateway);
      expect(snapshot.totals.requests).toBe(sent);
      expect(snapshot.tenants.find((t) => t.id === 'acme')?.requests).toBe(sent);
      expect(snapshot.deployments.find((d) => d.id === 'sim')?.responses).toBe(served);
    }
    expect(gateway.child.exitCode).toBeNull();
  });

  it('SIGHUP reloads both workers (a bad file is refused by all); a killed worker is replaced; SIGTERM drains both and exits 0', {
    timeout: 90_000,
  }, async () => {
    const { gateway } = await start({ defaults: { rpm: 10_000 }, latency: { ttft_ms: 1_500 } }, 10_000);
    const before = await Promise.all(Array.from({ length: 8 }, () => call(gateway, BETA, 5_000)));
    expect(before.every((s) => s === 401)).toBe(true);

    // A bad file: refused by the primary, so no worker reloads and the old tenants stay.
    const good = JSON.parse(readFileSync(gateway.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(gateway.configFile, JSON.stringify({ ...good, tenants: [] }));
    gateway.child.kill('SIGHUP');
    await waitFor(() => gateway.output().includes('reload refused'), 'the refusal logged', 10_000);
    expect(await metricSum(gateway, 'sluice_config_reloads_total')).toBe(0);

    writeFileSync(
      gateway.configFile,
      JSON.stringify({
        ...good,
        tenants: [
          { id: 'acme', key: ACME },
          { id: 'beta', key: BETA },
        ],
      }),
    );
    gateway.child.kill('SIGHUP');
    const deadline = Date.now() + 15_000;
    while ((await metricSum(gateway, 'sluice_config_reloads_total', { result: 'ok' })) < 2) {
      if (Date.now() > deadline) throw new Error(`reload did not reach both workers: ${gateway.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Connections go to the workers in turn: 8 calls land on both, each accepts the new tenant.
    const after = await Promise.all(Array.from({ length: 8 }, () => call(gateway, BETA, 5_000)));
    expect(statuses(after)).toEqual({ 200: 8 });

    // A worker killed outright is replaced: the primary logs it and the port keeps answering on two workers.
    const workerPids = workersOf(gateway).split('\n').filter(Boolean).map(Number);
    expect(workerPids).toHaveLength(2);
    process.kill(workerPids[0] as number, 'SIGKILL');
    await waitFor(
      () => gateway.output().includes('worker died; starting another'),
      'the restart logged',
      10_000,
    );
    await waitFor(
      () => gateway.output().includes('replacement worker listening'),
      'the replacement listening',
      30_000,
    );
    expect(workersOf(gateway).split('\n').filter(Boolean)).toHaveLength(2);
    // The new worker read the file as it is now: beta is accepted whichever worker answers.
    const afterRestart = await Promise.all(Array.from({ length: 8 }, () => call(gateway, BETA, 5_000)));
    expect(statuses(afterRestart)).toEqual({ 200: 8 });

    // SIGTERM while calls are upstream (1.5 s to the first token): every one is answered, then exit 0.
    const inFlight = Promise.all(Array.from({ length: 8 }, () => call(gateway, ACME, 5_000)));
    // Both workers' in-flight gauges, summed by the primary, see all eight before the signal.
    const upstream = Date.now() + 10_000;
    while ((await metricSum(gateway, 'sluice_in_flight_requests')) < 8) {
      if (Date.now() > upstream)
        throw new Error(
          `the calls never reached the workers: in flight ${await metricSum(gateway, 'sluice_in_flight_requests')}, answered ${JSON.stringify(statuses(await inFlight))}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const exited = new Promise<number | null>((resolve) =>
      gateway.child.once('exit', (code) => resolve(code)),
    );
    gateway.child.kill('SIGTERM');
    expect(statuses(await inFlight)).toEqual({ 200: 8 });
    expect(await exited).toBe(0);
  });
});
