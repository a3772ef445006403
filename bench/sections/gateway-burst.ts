/**
 * The closing numbers: a sustained burst three times over the
 * upstream limit through `sluice serve`, the simulator enforcing that limit.
 * Open loop at 3 × the limit for BURST_SECONDS (default 60): requests leave on
 * schedule whatever happened to earlier ones. Reported: served, refused (by
 * status), upstream 429s, goodput (served per second from the first refusal
 * on — once the initial bucket is spent — as a share of the simulated
 * limit), and
 * latency of served requests (upstream answers at once, so this is what the
 * gateway adds: queueing for capacity plus proxy cost).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { startChild } from './gateway/processes.js';

const SECONDS = Number(process.env.BURST_SECONDS ?? 60);
const RPM = Number(process.env.BURST_RPM ?? 600);
const KEY = 'sk-burst-tenant';
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Hello there' }],
  max_tokens: 16,
});

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-burst-'));
  const simConfig = join(dir, 'sim.yaml');
  writeFileSync(simConfig, `keys:\n  sk-upstream:\n    models:\n      gpt-4o-mini: { rpm: ${RPM} }\n`);
  const sim = await startChild(
    ['simulate', '--config', simConfig, '--port', '0', '--tokens', '8'],
    /listening on (http:\/\/\S+)/,
  );
  const config = join(dir, 'sluice.yaml');
  writeFileSync(
    config,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
      'model_groups:',
      '  gpt-4o-mini:',
      '    deployments:',
      `      - { id: sim, provider: openai, base_url: "${sim.url}/v1", api_key: sk-upstream, model: gpt-4o-mini, limits: { rpm: ${RPM} } }`,
      'tiers:',
      '  pro: { priority: normal, max_wait_ms: 2000 }',
      'tenants:',
      `  - { id: burst, key: ${KEY}, tier: pro }`,
      'log: { level: warn }',
      '',
    ].join('\n'),
  );
  const gateway = await startChild(['serve', '--config', config], /listening on (http:\/\/\S+)/);
  const rate = (3 * RPM) / 60;
  const pool = new Pool(gateway.url, { connections: 512 });
  const outcomes: { at: number; status: number; ms: number; retryAfter: boolean }[] = [];
  const start = performance.now();
  const total = Math.round(rate * SECONDS);
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / rate <= now) {
        const scheduled = start + (sent * 1000) / rate;
        sent++;
        inFlight.push(
          pool
            .request({
              path: '/v1/chat/completions',
              method: 'POST',
              headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
              body: BODY,
            })
            .then(async (res) => {
              await res.body.dump();
              outcomes.push({
                at: scheduled - start,
                status: res.statusCode,
                ms: performance.now() - scheduled,
                retryAfter: res.headers['retry-after'] !== undefined,
              });
            }),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  await pool.close();
  const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as {
    responses: Record<string, number>;
  };
  await gateway.stop();
  await sim.stop();

  const served = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.status !== 200);
  // Steady state: from the first refusal (the starting bucket is spent) to the end.
  const from = refused.reduce((min, o) => Math.min(min, o.at), Number.POSITIVE_INFINITY);
  const steadySeconds = (SECONDS * 1000 - from) / 1000;
  const servedLate = served.filter((o) => o.at >= from).length;
  const latencies = served.map((o) => o.ms).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const byStatus = new Map<number, number>();
  for (const o of refused) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
  const row: Row = {
    offered: outcomes.length,
    'offered/s': rate,
    'limit/s': RPM / 60,
    served: served.length,
    refused: refused.length,
    'refused by status': [...byStatus].map(([s, n]) => `${s}: ${n}`).join(', ') || '-',
    'refused with Retry-After': refused.filter((o) => o.retryAfter).length,
    'upstream 429': stats.responses['429'] ?? 0,
    'steady from s': Math.round(from / 100) / 10,
    'goodput % of limit (steady)': Math.round((servedLate / steadySeconds / (RPM / 60)) * 1000) / 10,
    'served p50 ms': Math.round(pct(0.5) * 100) / 100,
    'served p99 ms': Math.round(pct(0.99) * 100) / 100,
  };
  printTable([row]);
  writeResults('gateway-burst', row);
}
