/**
 * `sluice serve --workers 2` beside `--workers 1` (issue 18, "All cores"):
 * gateway requests/s and CPU per request on this machine, with the memory
 * store (every decision a round trip to the primary: the IPC's cost) and
 * with Redis (each worker one more instance on it; a redis-server of our
 * own on a free port). Upstream: the simulator answering at once, limits
 * far above the load. Closed loop, 100 connections, BENCH_ROUNDS
 * interleaved rounds of BENCH_SECONDS; medians, and ratios workers 2 /
 * workers 1 taken round by round. CPU per request is the whole process
 * tree's (primary + workers) user + system time. Not pinned: two workers
 * need both cores, so the load generator and the simulator share them
 * (the ratio is what this machine gives, not what the gateway could).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../../test/stores/redis/redis-server.js';
import { closedLoop, cpuMs, type Endpoint } from '../lib/proxy-load.js';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { type Child, startChild } from './gateway/processes.js';
import { medianColumns, ratioText, type Sample } from './gateway/rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 100;
const KEY = 'sk-bench-tenant-key';
const LISTENING = /listening on (http:\/\/\S+)/;
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 16,
});

interface Case {
  readonly name: string;
  readonly gateway: Child;
  readonly peer?: string;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-workers-'));
  const upstream = await startChild(['simulate', '--port', '0', '--tokens', '8'], LISTENING);
  const redis = await startRedisServer();
  const children: Child[] = [upstream];
  try {
    const cases: Case[] = [];
    for (const [store, storeYaml] of [
      ['memory', 'store: { kind: memory }'],
      ['redis', `store: { kind: redis, url: "${redis.url}", prefix: "bench-workers-${process.pid}" }`],
    ] as const) {
      const config = gatewayConfig(dir, store, storeYaml, upstream.url);
      for (const workers of [1, 2]) {
        const gateway = await startChild(
          ['serve', '--config', config, '--workers', String(workers)],
          LISTENING,
        );
        children.push(gateway);
        cases.push({
          name: `${store} store, --workers ${workers}`,
          gateway,
          ...(workers === 2 && { peer: `${store} store, --workers 1` }),
        });
      }
    }
    for (const c of cases) await measure(c, 2);
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) samples.get(c.name)?.push(await measure(c, SECONDS));
    }
    const rows: Row[] = cases.map((c) => {
      const own = samples.get(c.name) ?? [];
      const peer = c.peer === undefined ? undefined : samples.get(c.peer);
      return {
        case: c.name,
        ...medianColumns(own),
        'req/s × w1': ratioText(own, peer, (s) => s.rps),
        'CPU × w1': ratioText(own, peer, (s) => s.cpuUs),
        errors: own.reduce((n, s) => n + s.errors, 0),
      };
    });
    printTable(rows);
    writeResults('workers', { rounds: ROUNDS, seconds: SECONDS, rows, samples: Object.fromEntries(samples) });
  } finally {
    for (const child of children.reverse()) await child.stop();
    await redis.stop();
  }
}

/** User + system CPU of `pid` and its children (the workers of a primary). */
function treeCpuMs(pid: number): number {
  let total = cpuMs(pid) ?? 0;
  for (const task of safeList(`/proc/${pid}/task`)) {
    const children = safeRead(`/proc/${pid}/task/${task}/children`).split(' ').filter(Boolean);
    for (const child of children) total += cpuMs(Number(child)) ?? 0;
  }
  return total;
}

function safeList(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function measure(c: Case, seconds: number): Promise<Sample> {
  const endpoint: Endpoint = {
    url: `${c.gateway.url}/v1/chat/completions`,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: BODY,
  };
  const before = treeCpuMs(c.gateway.pid);
  const r = await closedLoop(endpoint, CONNECTIONS, seconds);
  const used = treeCpuMs(c.gateway.pid) - before;
  return {
    rps: r.requestsPerSecond,
    p50: r.p50Ms,
    p99: r.p99Ms,
    cpuUs: r.total > 0 ? (used * 1_000) / r.total : 0,
    errors: r.errors + r.non2xx,
  };
}

function gatewayConfig(dir: string, name: string, store: string, upstreamUrl: string): string {
  const path = join(dir, `sluice-${name}.yaml`);
  writeFileSync(
    path,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
      store,
      'model_groups:',
      '  gpt-4o-mini:',
      '    deployments:',
      `      - { id: fixed, provider: openai, base_url: "${upstreamUrl}/v1", api_key: sk-upstream, model: gpt-4o-mini, limits: { rpm: 100000000, tpm: 100000000000 } }`,
      'tiers:',
      '  bench: { rpm: 100000000, tpm: 100000000000, priority: normal }',
      'tenants:',
      `  - { id: bench, key: ${KEY}, tier: bench }`,
      'log: { level: warn, requests: false }',
      '',
    ].join('\n'),
  );
  return path;
}
