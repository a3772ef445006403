/**
 * Proxy cost of the gateway (issue "Proof in numbers"): the simulator alone
 * versus the same simulator behind `sluice serve`, in one run, each in its
 * own process (as deployed), upstream answering a small chat completion at
 * once with limits far above the load.
 *
 * 1. Closed loop: autocannon, 50 connections → req/s, p50/p99.
 * 2. Open loop at a fixed rate (default 600 req/s): requests leave on
 *    schedule whether or not earlier ones finished, latency is measured from
 *    the scheduled time (no coordinated omission) in µs → added p50/p99.
 *
 * Env: BENCH_SECONDS (closed-loop duration, default 10), BENCH_RATE
 * (open-loop rate, default 600), BENCH_PROFILE=1 writes a CPU profile of the
 * gateway to bench/results/gateway-profile/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { printTable, type Row, writeResults } from '../lib/report.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
// autocannon ships no types; only these fields are read.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string;
  method: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  body: string;
}) => Promise<AutocannonResult>;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 600);
const KEY = 'sk-bench-tenant-key';
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  max_tokens: 16,
});

export async function run(): Promise<void> {
  const sim = await startChild(['simulate', '--port', '0', '--tokens', '8'], /listening on (http:\/\/\S+)/);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const configPath = join(dir, 'sluice.yaml');
  writeFileSync(
    configPath,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
      'model_groups:',
      '  gpt-4o-mini:',
      '    deployments:',
      `      - { id: sim, provider: openai, base_url: "${sim.url}/v1", api_key: sk-upstream, model: gpt-4o-mini,`,
      '          limits: { rpm: 100000000, tpm: 100000000000 } }',
      'tiers:',
      '  bench: { rpm: 100000000, tpm: 100000000000, priority: normal }',
      'tenants:',
      `  - { id: bench, key: ${KEY}, tier: bench }`,
      `log: { level: info, requests: ${process.env.BENCH_NO_LOG ? 'false' : 'true'} }`,
      '',
    ].join('\n'),
  );
  const profileDir = join(root, 'bench', 'results', 'gateway-profile');
  const nodeFlags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const gateway = await startChild(
    ['serve', '--config', configPath],
    /listening on (http:\/\/\S+)/,
    nodeFlags,
  );
  const bare = await startScript(
    join(here, 'gateway', 'bare-proxy.mjs'),
    [sim.url],
    /listening on (http:\/\/\S+)/,
  );
  const results: Row[] = [];
  try {
    const direct = `${sim.url}/v1/chat/completions`;
    const proxied = `${gateway.url}/v1/chat/completions`;
    const bareProxied = `${bare.url}/v1/chat/completions`;
    for (const url of [direct, bareProxied, proxied]) await closedLoop(url, 2);
    const closedDirect = await closedLoop(direct, SECONDS, sim.pid);
    const closedBare = await closedLoop(bareProxied, SECONDS, bare.pid);
    const closedProxied = await closedLoop(proxied, SECONDS, gateway.pid);
    results.push({ case: 'closed loop, 50 conns: simulator alone', ...closedDirect });
    results.push({ case: 'closed loop, 50 conns: bare node:http + undici proxy', ...closedBare });
    results.push({ case: 'closed loop, 50 conns: through sluice serve', ...closedProxied });
    const openDirect = await openLoop(direct, RATE, SECONDS);
    const openBare = await openLoop(bareProxied, RATE, SECONDS);
    const openProxied = await openLoop(proxied, RATE, SECONDS);
    results.push({ case: `open loop ${RATE}/s: simulator alone`, ...openDirect });
    results.push({ case: `open loop ${RATE}/s: bare node:http + undici proxy`, ...openBare });
    results.push({ case: `open loop ${RATE}/s: through sluice serve`, ...openProxied });
    const added = (name: string, through: Row): Row => ({
      case: `added at ${RATE}/s: ${name}`,
      'req/s': 0,
      'p50 ms': round(Number(through['p50 ms']) - Number(openDirect['p50 ms'])),
      'p99 ms': round(Number(through['p99 ms']) - Number(openDirect['p99 ms'])),
      errors: 0,
    });
    results.push(added('bare proxy', openBare), added('sluice serve', openProxied));
  } finally {
    await gateway.stop();
    await bare.stop();
    await sim.stop();
  }
  printTable(results);
  writeResults('gateway', results);
}

/**
 * CPU time (user + system, ms) a process has used, from /proc: unlike req/s it
 * barely moves when other processes compete for the cores. Linux only (0
 * elsewhere); assumes the usual 100 clock ticks per second.
 */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

async function closedLoop(url: string, seconds: number, pid?: number): Promise<Row> {
  const cpuBefore = pid ? cpuMs(pid) : 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 50,
    duration: seconds,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: BODY,
  });
  return {
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    errors: result.errors + result.non2xx,
    'CPU µs/req':
      pid && result.requests.total > 0
        ? Math.round(((cpuMs(pid) - cpuBefore) * 1000) / result.requests.total)
        : 0,
  };
}

/** Fixed-rate load; latency from each request's scheduled start, in µs resolution. */
async function openLoop(url: string, rate: number, seconds: number): Promise<Row> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 256 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const scheduled = start + sent * interval;
        sent++;
        inFlight.push(
          pool
            .request({
              path: target.pathname,
              method: 'POST',
              headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
              body: BODY,
            })
            .then(async (res) => {
              await res.body.dump();
              if (res.statusCode !== 200) errors++;
              latencies.push(performance.now() - scheduled);
            })
            .catch(() => {
              errors++;
            }),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    'req/s': Math.round(latencies.length / ((performance.now() - start) / 1000)),
    'p50 ms': round(pct(0.5)),
    'p99 ms': round(pct(0.99)),
    errors,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

let built = false;
// The built CLI, as deployed: under the tsx loader the same code measured several times slower.
/** Builds dist/ once per run, so the children run the current sources. */
function ensureBuilt(): void {
  if (built) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  if (result.status !== 0) throw new Error('npm run build failed');
  built = true;
}

export interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `sluice <args>` in its own process and waits for the line giving its URL. */
export async function startChild(args: string[], ready: RegExp, nodeFlags: string[] = []): Promise<Child> {
  ensureBuilt();
  return startScript(join(root, 'dist', 'cli', 'main.js'), args, ready, nodeFlags);
}

async function startScript(
  script: string,
  args: string[],
  ready: RegExp,
  nodeFlags: string[] = [],
): Promise<Child> {
  // The built CLI, as deployed: under the tsx loader the same code measured several times slower.
  // Request logs go to a file, as in production: a pipe read by this busy process would hold up the child's writes.
  const logFile = openSync(join(tmpdir(), `sluice-bench-${basename(script)}-${process.pid}.log`), 'w');
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, script, ...args], {
    cwd: root,
    stdio: ['ignore', args[0] === 'serve' ? logFile : 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = ready.exec(seen);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sluice ${args[0]} exited with ${code}: ${seen}`)));
  });
  // Request logs are part of the cost; reading them keeps the pipe from filling up.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
