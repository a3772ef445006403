/**
 * Proxy cost of the gateway (issue 13): `sluice serve` beside the least a
 * Node proxy of the same design can do (node:http server, JSON.parse, an
 * undici pool upstream: gateway/bare-proxy.mjs), in one run, each in its own
 * process, upstream the simulator answering at once with limits far above
 * the load.
 *
 * Cases: bare proxy; gateway with its request log on (the default) and off;
 * a streamed answer of 40 chunks (one every ms) through the bare proxy and
 * the gateway. Closed loop, 50 connections, BENCH_ROUNDS interleaved rounds
 * of BENCH_SECONDS per case, so machine noise hits every case alike; the
 * table shows medians, and ratios against the bare proxy of the same shape
 * (medians of the ratios taken round by round).
 * Where `taskset` works, the load generator and the upstreams run on core 0,
 * the proxies on core 1. CPU per request is the proxy process's user +
 * system time from /proc over the requests it served.
 *
 * Then an open loop at BENCH_RATE req/s (latency in µs, no coordinated
 * omission) for the bare proxy and the gateway. `--profile` (or
 * BENCH_PROFILE=1) adds a pass with the gateway under `--cpu-prof` and
 * prints where its CPU goes (bench/profile-summary.ts). BENCH_BASELINE=<a
 * built dist/cli/main.js of another revision> adds that gateway's cases
 * (log on, streamed) to the same rounds: before and after under the same
 * noise. BENCH_STREAMS=0 leaves the streamed cases out.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop, type Endpoint, openLoop } from '../lib/proxy-load.js';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { type Child, pinSelf, startChild, startScript } from './gateway/processes.js';
import { profileGateway } from './gateway/profile.js';
import { measureRound, medianColumns, ratioText, type Sample } from './gateway/rounds.js';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 600);
const CONNECTIONS = 50;
const STREAMS = process.env.BENCH_STREAMS !== '0';
/** A built `dist/cli/main.js` of another revision, measured beside this one (before/after in one run). */
const BASELINE = process.env.BENCH_BASELINE;
const PROFILE = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';
const KEY = 'sk-bench-tenant-key';
const LISTENING = /listening on (http:\/\/\S+)/;
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const messages = [{ role: 'user', content: 'Say hello in five words.' }];
/** A small completion, answered at once (the fixed upstream). */
const COMPLETION = JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 16 });
/** A stream of 40 content chunks, one per ms (the streaming upstream). */
const STREAMED = JSON.stringify({ model: 'gpt-4o', messages, max_tokens: 64, stream: true });

interface Case {
  readonly name: string;
  readonly proxy: Child;
  readonly body: string;
  /** The case this one is compared with (the bare proxy of the same shape). */
  readonly peer?: string;
}

export async function run(): Promise<void> {
  // Core 0: this process (the load generator) and the upstreams; core 1: the proxy under test.
  const pinned = pinSelf('0');
  const upstreamCores = pinned ? '0' : undefined;
  const proxyCores = pinned ? '1' : undefined;
  console.log(pinned ? 'pinned: load and upstreams on core 0, proxies on core 1' : 'not pinned (no taskset)');
  const fixed = await startChild(['simulate', '--port', '0', '--tokens', '8'], LISTENING, {
    cores: upstreamCores,
  });
  const streaming = await startChild(
    ['simulate', '--port', '0', '--tokens', '40', '--per-token-ms', '1'],
    LISTENING,
    { cores: upstreamCores },
  );
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const config = (logRequests: boolean) => gatewayConfig(dir, fixed.url, streaming.url, logRequests);
  const children: Child[] = [fixed, streaming];
  try {
    const logged = await startChild(['serve', '--config', config(true)], LISTENING, { cores: proxyCores });
    children.push(logged);
    const quiet = await startChild(['serve', '--config', config(false)], LISTENING, { cores: proxyCores });
    children.push(quiet);
    const bare = await startScript(
      join(here, 'gateway', 'bare-proxy.mjs'),
      [fixed.url, streaming.url],
      LISTENING,
      {
        cores: proxyCores,
      },
    );
    children.push(bare);
    const BARE = 'bare node:http + undici proxy';
    const BARE_STREAM = 'streamed, 40 chunks: bare proxy';
    const cases: Case[] = [
      { name: BARE, proxy: bare, body: COMPLETION },
      { name: 'sluice serve, request log on', proxy: logged, body: COMPLETION, peer: BARE },
      { name: 'sluice serve, request log off', proxy: quiet, body: COMPLETION, peer: BARE },
    ];
    const baseline = BASELINE
      ? await startScript(BASELINE, ['serve', '--config', config(true)], LISTENING, { cores: proxyCores })
      : undefined;
    if (baseline) {
      children.push(baseline);
      cases.push({
        name: 'baseline sluice serve, request log on',
        proxy: baseline,
        body: COMPLETION,
        peer: BARE,
      });
    }
    if (STREAMS) {
      cases.push(
        { name: BARE_STREAM, proxy: bare, body: STREAMED },
        { name: 'streamed, 40 chunks: sluice serve', proxy: logged, body: STREAMED, peer: BARE_STREAM },
      );
      if (baseline) {
        cases.push({
          name: 'streamed, 40 chunks: baseline',
          proxy: baseline,
          body: STREAMED,
          peer: BARE_STREAM,
        });
      }
    }
    for (const c of cases) await measure(c, 2);
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) samples.get(c.name)?.push(await measure(c, SECONDS));
    }
    const rows: Row[] = cases.map((c) => row(c, samples));
    for (const [name, proxy] of [
      ['bare proxy', bare],
      ['sluice serve, request log on', logged],
    ] as const) {
      const open = await openLoop(endpoint(proxy, COMPLETION), RATE, SECONDS);
      rows.push({
        case: `open loop ${RATE}/s: ${name}`,
        'req/s': Math.round(open.sent / SECONDS),
        'p50 ms': round3(open.latencyMs.p50 ?? 0),
        'p99 ms': round3(open.latencyMs.p99 ?? 0),
        'CPU µs/req': '',
        'CPU × bare': '',
        'p99 × bare': '',
        errors: open.errors + open.non2xx,
      });
    }
    printTable(rows);
    writeResults('gateway', {
      rounds: ROUNDS,
      seconds: SECONDS,
      pinned,
      rows,
      samples: Object.fromEntries(samples),
    });
    if (PROFILE) {
      await profileGateway({
        start: (nodeFlags) =>
          startChild(['serve', '--config', config(true)], LISTENING, { cores: proxyCores, nodeFlags }),
        load: (proxy) => closedLoop(endpoint(proxy, COMPLETION), CONNECTIONS, SECONDS * 2),
      });
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

function endpoint(proxy: Child, body: string): Endpoint {
  return { url: `${proxy.url}/v1/chat/completions`, headers: HEADERS, body };
}

async function measure(c: Case, seconds: number): Promise<Sample> {
  return measureRound(c.proxy.pid, endpoint(c.proxy, c.body), CONNECTIONS, seconds);
}

/** Medians over the rounds; a ratio is the median of the ratios taken round by round (`roundRatio`). */
function row(c: Case, samples: ReadonlyMap<string, readonly Sample[]>): Row {
  const own = samples.get(c.name) ?? [];
  const peer = c.peer === undefined ? undefined : samples.get(c.peer);
  return {
    case: c.name,
    ...medianColumns(own),
    'CPU × bare': ratioText(own, peer, (s) => s.cpuUs),
    'p99 × bare': ratioText(own, peer, (s) => s.p99),
    errors: own.reduce((n, s) => n + s.errors, 0),
  };
}

function gatewayConfig(dir: string, fixedUrl: string, streamingUrl: string, logRequests: boolean): string {
  const path = join(dir, `sluice-${logRequests ? 'logged' : 'quiet'}.yaml`);
  const deployment = (id: string, url: string, model: string) =>
    `      - { id: ${id}, provider: openai, base_url: "${url}/v1", api_key: sk-upstream, model: ${model}, limits: { rpm: 100000000, tpm: 100000000000 } }`;
  writeFileSync(
    path,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
      'model_groups:',
      '  gpt-4o-mini:',
      '    deployments:',
      deployment('fixed', fixedUrl, 'gpt-4o-mini'),
      '  gpt-4o:',
      '    deployments:',
      deployment('streaming', streamingUrl, 'gpt-4o'),
      'tiers:',
      '  bench: { rpm: 100000000, tpm: 100000000000, priority: normal }',
      'tenants:',
      `  - { id: bench, key: ${KEY}, tier: bench }`,
      `log: { level: info, requests: ${logRequests} }`,
      '',
    ].join('\n'),
  );
  return path;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
