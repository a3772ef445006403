/**
 * End to end: `sluice serve` in front of `sluice simulate`, four cases in
 * interleaved rounds (the gateway section's machinery: its processes, its
 * bare proxy, its rounds), so what translation adds is seen on top of what
 * proxying costs:
 *
 * - the bare node:http + undici proxy, OpenAI call (the floor of a proxy);
 * - an OpenAI-shaped call to a group on an OpenAI deployment (same family);
 * - an Anthropic-shaped call to a group on an Anthropic deployment (same
 *   family on the simulator's Anthropic flavour: the peer that holds the
 *   upstream's side equal);
 * - the OpenAI-shaped call to the Anthropic group (translated both ways).
 *
 * Closed loop (requests/s, p50/p99 in autocannon's whole ms, the gateway's
 * CPU per request), then an open loop at a fixed rate for latency in µs.
 * Load generator and simulator on core 0, proxies on core 1 where taskset
 * works. Everything on 127.0.0.1, ports chosen by the OS. With `--profile`,
 * a pass under `--cpu-prof` per call shape says where the gateway's CPU goes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop, type Endpoint, openLoop } from '../../lib/proxy-load.js';
import type { Row } from '../../lib/report.js';
import { type Child, pinSelf, startChild, startScript } from '../gateway/processes.js';
import { profileGateway } from '../gateway/profile.js';
import { measureRound, median, roundRatio, type Sample } from '../gateway/rounds.js';

const SECONDS = Number(process.env.TRANSLATION_E2E_SECONDS ?? 3);
const ROUNDS = Number(process.env.TRANSLATION_E2E_ROUNDS ?? 3);
const RATE = Number(process.env.TRANSLATION_E2E_RATE ?? 600);
const CONNECTIONS = 50;
const KEY = 'sk-bench-tenant-key';
const LISTENING = /listening on (http:\/\/\S+)/;
const here = dirname(fileURLToPath(import.meta.url));
const QUESTION = 'Say hello in five words.';

const OPENAI_CALL = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: QUESTION }], max_tokens: 16 });
const ANTHROPIC_CALL = JSON.stringify({
  model: 'claude',
  messages: [{ role: 'user', content: QUESTION }],
  max_tokens: 16,
});
const OPENAI_HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const ANTHROPIC_HEADERS = {
  'x-api-key': KEY,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};

const BARE = 'bare proxy, OpenAI call';
const SAME = 'sluice, OpenAI call → OpenAI deployment';
const ANTHROPIC = 'sluice, Anthropic call → Anthropic deployment';
const CROSSED = 'sluice, OpenAI call → Anthropic deployment (translated)';

interface Case {
  readonly name: string;
  readonly proxy: Child;
  readonly endpoint: Endpoint;
}

/** `[case, peer]`: what each comparison row divides. */
const COMPARISONS: readonly [string, string][] = [
  [SAME, BARE],
  [CROSSED, SAME],
  [CROSSED, ANTHROPIC],
];

function gatewayConfig(dir: string, simulatorUrl: string): string {
  const path = join(dir, 'sluice.yaml');
  writeFileSync(
    path,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'metrics: { listen: { host: 127.0.0.1, port: 0 } }',
      'model_groups:',
      '  gpt:',
      '    deployments:',
      `      - { id: openai, provider: openai, base_url: "${simulatorUrl}/v1", api_key: sk-upstream, model: gpt-4o-mini, limits: { rpm: 100000000, tpm: 100000000000 } }`,
      '  claude:',
      '    deployments:',
      `      - { id: anthropic, provider: anthropic, base_url: "${simulatorUrl}", api_key: sk-ant-upstream, model: claude-3-5-haiku-latest, limits: { rpm: 100000000, itpm: 100000000000, otpm: 100000000000 } }`,
      'tiers:',
      '  bench: { rpm: 100000000, tpm: 100000000000, priority: normal }',
      'tenants:',
      `  - { id: bench, key: ${KEY}, tier: bench }`,
      '',
    ].join('\n'),
  );
  return path;
}

/** One call per case before timing anything: a case that does not answer 200 would measure its error path. */
async function probe(c: Case): Promise<void> {
  const response = await fetch(c.endpoint.url, {
    method: 'POST',
    headers: c.endpoint.headers,
    body: c.endpoint.body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${c.name}: ${response.status} ${text}`);
}

export interface EndToEnd {
  readonly pinned: boolean;
  readonly cases: Row[];
  readonly comparisons: Row[];
  readonly samples: Record<string, Sample[]>;
}

/** `profile`: afterwards, where a gateway's CPU goes under the same-family and the translated call (`--profile`). */
export async function measureEndToEnd(options: { profile: boolean }): Promise<EndToEnd> {
  const pinned = pinSelf('0');
  const upstreamCores = pinned ? '0' : undefined;
  const proxyCores = pinned ? '1' : undefined;
  const simulator = await startChild(['simulate', '--port', '0', '--tokens', '8'], LISTENING, {
    cores: upstreamCores,
  });
  const children: Child[] = [simulator];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-translation-'));
  try {
    const config = gatewayConfig(dir, simulator.url);
    const gateway = await startChild(['serve', '--config', config], LISTENING, {
      cores: proxyCores,
    });
    children.push(gateway);
    const bare = await startScript(
      join(here, '..', 'gateway', 'bare-proxy.mjs'),
      [simulator.url],
      LISTENING,
      {
        cores: proxyCores,
      },
    );
    children.push(bare);
    const openai = (proxy: Child, model: string): Endpoint => ({
      url: `${proxy.url}/v1/chat/completions`,
      headers: OPENAI_HEADERS,
      body: OPENAI_CALL(model),
    });
    const cases: Case[] = [
      { name: BARE, proxy: bare, endpoint: openai(bare, 'gpt-4o-mini') },
      { name: SAME, proxy: gateway, endpoint: openai(gateway, 'gpt') },
      {
        name: ANTHROPIC,
        proxy: gateway,
        endpoint: { url: `${gateway.url}/v1/messages`, headers: ANTHROPIC_HEADERS, body: ANTHROPIC_CALL },
      },
      { name: CROSSED, proxy: gateway, endpoint: openai(gateway, 'claude') },
    ];
    for (const c of cases) await probe(c);
    for (const c of cases) await measureRound(c.proxy.pid, c.endpoint, CONNECTIONS, 2);
    const samples: Record<string, Sample[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        process.stderr.write(`translation end to end: round ${round + 1}, ${c.name} …\n`);
        samples[c.name]?.push(await measureRound(c.proxy.pid, c.endpoint, CONNECTIONS, SECONDS));
      }
    }
    // The open loop in rounds too, each case's latency the median over them: one pass is at the mercy of one GC or one burst.
    const open: Record<string, { p50: number; p99: number; errors: number }[]> = Object.fromEntries(
      cases.map((c) => [c.name, []]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const r = await openLoop(c.endpoint, RATE, SECONDS);
        open[c.name]?.push({
          p50: r.latencyMs.p50 ?? Number.NaN,
          p99: r.latencyMs.p99 ?? Number.NaN,
          errors: r.errors + r.non2xx,
        });
      }
    }
    const openMedian = (name: string, pick: (o: { p50: number; p99: number }) => number) =>
      median((open[name] ?? []).map(pick));
    const rows: Row[] = cases.map((c) => {
      const own = samples[c.name] ?? [];
      return {
        case: c.name,
        'req/s': Math.round(median(own.map((s) => s.rps))),
        'p50 ms': median(own.map((s) => s.p50)),
        'p99 ms': median(own.map((s) => s.p99)),
        'proxy CPU µs/req': Math.round(median(own.map((s) => s.cpuUs))),
        [`open ${RATE}/s p50 ms`]: round3(openMedian(c.name, (o) => o.p50)),
        [`open ${RATE}/s p99 ms`]: round3(openMedian(c.name, (o) => o.p99)),
        errors:
          own.reduce((n, s) => n + s.errors, 0) + (open[c.name] ?? []).reduce((n, o) => n + o.errors, 0),
      };
    });
    const comparisons: Row[] = COMPARISONS.map(([name, peerName]) => {
      const own = samples[name] ?? [];
      const peer = samples[peerName] ?? [];
      return {
        case: name,
        'compared with': peerName,
        'req/s ×': roundRatio(own, peer, (s) => s.rps),
        'CPU ×': roundRatio(own, peer, (s) => s.cpuUs),
        'CPU added µs/req': median(own.map((s, i) => s.cpuUs - (peer[i]?.cpuUs ?? Number.NaN))),
        'p99 ×': roundRatio(own, peer, (s) => s.p99),
        'open p50 ×': openMedian(name, (o) => o.p50) / openMedian(peerName, (o) => o.p50),
        'open p99 ×': openMedian(name, (o) => o.p99) / openMedian(peerName, (o) => o.p99),
      };
    });
    if (options.profile) {
      // A gateway of its own under the profiler, loaded with one case at a time: same family, then translated.
      for (const c of [SAME, CROSSED]) {
        const endpoint = cases.find((k) => k.name === c)?.endpoint;
        if (!endpoint) continue;
        console.log(`\n#### profile: ${c}`);
        await profileGateway({
          start: (nodeFlags) =>
            startChild(['serve', '--config', config], LISTENING, { cores: proxyCores, nodeFlags }),
          load: (proxy) =>
            closedLoop(
              { ...endpoint, url: endpoint.url.replace(gateway.url, proxy.url) },
              CONNECTIONS,
              SECONDS * 2,
            ),
        });
      }
    }
    return { pinned, cases: rows, comparisons, samples };
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
