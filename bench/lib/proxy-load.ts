/**
 * Load generators for the proxy-cost measurement: autocannon (closed loop,
 * N connections, as fast as the target answers) and a fixed-rate open-loop
 * client on `node:http` with keep-alive that times each request in µs
 * (autocannon's histogram rounds to whole ms, too coarse for a 0.2 ms budget).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { type Percentiles, percentiles } from '../../src/bench/stats.js';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body: string;
}) => Promise<AutocannonResult>;

// autocannon ships no types; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Endpoint {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ClosedLoopResult {
  readonly requestsPerSecond: number;
  readonly total: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

export async function closedLoop(
  endpoint: Endpoint,
  connections: number,
  seconds: number,
): Promise<ClosedLoopResult> {
  const r = await autocannon({
    url: endpoint.url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: endpoint.headers,
    body: endpoint.body,
  });
  return {
    requestsPerSecond: r.requests.average,
    total: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly latencyMs: Percentiles;
  readonly non2xx: number;
  readonly errors: number;
}

/** `rate` requests per second on a fixed schedule for `seconds`; latency from send to the last byte. */
export async function openLoop(endpoint: Endpoint, rate: number, seconds: number): Promise<OpenLoopResult> {
  const url = new URL(endpoint.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let outstanding = 0;
  const body = Buffer.from(endpoint.body);
  const headers = { ...endpoint.headers, 'content-length': String(body.length) };
  const fire = () => {
    outstanding++;
    const t0 = performance.now();
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          outstanding--;
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          else latencies.push(performance.now() - t0);
        });
      },
    );
    req.on('error', () => {
      outstanding--;
      errors++;
    });
    req.end(body);
  };
  const interval = 1_000 / rate;
  const durationMs = seconds * 1_000;
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now() - start;
      while (sent * interval <= now && sent * interval < durationMs) {
        fire();
        sent++;
      }
      if (sent * interval >= durationMs) resolve();
      else setTimeout(tick, Math.max(0, sent * interval - now - 0.5));
    };
    tick();
  });
  const deadline = performance.now() + 10_000;
  while (outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  agent.destroy();
  return { sent, latencyMs: percentiles(latencies), non2xx, errors };
}

/** CPU time (user + system) a process has used so far, in ms; undefined off Linux. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000) / 100;
  } catch {
    return undefined;
  }
}
