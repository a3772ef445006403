/**
 * `npm run bench under-pressure`: what each mitigation at `act` changes in
 * the same burst (issue 20's closing numbers). One gateway and one
 * simulator in this process per configuration, the simulator enforcing the
 * deployments' limits; the same open-loop arrivals each time (seeded): free
 * tenants (class `low`) and paid ones (`normal`) sending multi-turn
 * conversations of mixed lengths, a third of them without `max_tokens`, at
 * about 2× what the main deployment's tokens allow, for BENCH_SECONDS (20).
 *
 * Per row: calls served and refused (by status), served per tier, p99 queue
 * wait inside the gateway (the request log's `wait_ms` of served calls; all,
 * and paid ones),
 * tokens the upstream served on the main and the cheaper deployment,
 * upstream 429s, and served / tokens as a ratio to the baseline (no
 * mitigation). The peer is the baseline in the same run.
 */
import { Writable } from 'node:stream';
import { Pool } from 'undici';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { createLogger } from '../../src/gateway/logging.js';
import { startGateway } from '../../src/gateway/server.js';
import { startSimulator } from '../../src/simulator/index.js';
import { printTable, type Row, writeResults } from '../lib/report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
/** The main deployment's limits; the cheaper one has twice as much. */
const RPM = 600;
const TPM = 150_000;
const KEYS = { free: 'sk-free-bench-0000', paid: 'sk-paid-bench-0000' } as const;

type Mitigation = NonNullable<GatewayConfigInput['model_groups'][string]['mitigation']>;
interface Variant {
  readonly name: string;
  readonly mitigation?: Mitigation;
  readonly promptBudget?: { tokens: number; when: 'act' };
}

const VARIANTS: readonly Variant[] = [
  { name: 'baseline' },
  { name: 'downgrade', mitigation: { downgrade: { tiers: ['free'] } } },
  { name: 'clamp', mitigation: { clamp_max_tokens: { classes: ['low'], to: 64 } } },
  { name: 'pause', mitigation: { pause: { classes: ['low'] } } },
  { name: 'tighten', mitigation: { tighten: { tiers: ['free'], factor: 0.5 } } },
  { name: 'prompt-budget', promptBudget: { tokens: 400, when: 'act' } },
  {
    name: 'all',
    mitigation: {
      downgrade: { tiers: ['free'] },
      clamp_max_tokens: { classes: ['low'], to: 64 },
      pause: { classes: ['low'] },
      tighten: { tiers: ['free'], factor: 0.5 },
    },
    promptBudget: { tokens: 400, when: 'act' },
  },
];

/** A seeded uniform [0, 1): every variant sees the same arrivals. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORDS =
  'the quick brown fox jumps over a lazy dog while seven agents plan tools and read long documents'.split(
    ' ',
  );

interface Arrival {
  readonly atMs: number;
  readonly tier: 'free' | 'paid';
  readonly body: string;
}

/** The burst: ~2× the main deployment's tokens per minute, half free and half paid. */
function arrivals(): Arrival[] {
  const random = seeded(20);
  const text = (words: number) =>
    Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const perSecond = 18;
  const out: Arrival[] = [];
  for (let i = 0; i < perSecond * SECONDS; i++) {
    const turns = 1 + Math.floor(random() * 8);
    const messages: { role: string; content: string }[] = [
      { role: 'system', content: 'You are a careful assistant.' },
    ];
    for (let t = 0; t < turns; t++) {
      messages.push({ role: 'user', content: text(20 + Math.floor(random() * 120)) });
      if (t < turns - 1) messages.push({ role: 'assistant', content: text(10 + Math.floor(random() * 60)) });
    }
    const body: Record<string, unknown> = { model: 'chat', messages };
    if (random() > 1 / 3) body.max_tokens = 64 + Math.floor(random() * 448);
    out.push({
      atMs: (i * 1000) / perSecond,
      tier: random() < 0.5 ? 'free' : 'paid',
      body: JSON.stringify(body),
    });
  }
  return out;
}

function config(simUrl: string, variant: Variant): GatewayConfigInput {
  const deployment = (id: string, model: string, scale: number) => ({
    id,
    provider: 'openai' as const,
    base_url: `${simUrl}/v1`,
    api_key: id,
    model,
    limits: { rpm: RPM * scale, tpm: TPM * scale },
  });
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { enabled: false },
    model_groups: {
      chat: {
        deployments: [deployment('sk-main', 'gpt-4o', 1)],
        downgrade: { to: 'chat-mini', when_headroom_below: 0 },
        ...(variant.mitigation && { mitigation: { ...variant.mitigation, hold_ms: 5_000 } }),
        ...(variant.promptBudget && { prompt_budget: variant.promptBudget }),
      },
      'chat-mini': { deployments: [deployment('sk-mini', 'gpt-4o-mini', 2)] },
    },
    tiers: {
      free: { rpm: 150, tpm: 60_000, priority: 'low', max_wait_ms: 10_000 },
      paid: { rpm: 600, tpm: 240_000, priority: 'normal', max_wait_ms: 10_000 },
    },
    tenants: [
      { id: 'free-co', key: KEYS.free, tier: 'free' },
      { id: 'paid-co', key: KEYS.paid, tier: 'paid' },
    ],
    alerts: { interval_ms: 1_000 },
    batches: { enabled: false },
  };
}

interface Line {
  readonly msg?: string;
  readonly tenant?: string;
  readonly status?: number;
  readonly wait_ms?: number;
}

async function runVariant(variant: Variant, plan: readonly Arrival[]): Promise<Row> {
  const sim = await startSimulator({
    response: { mode: 'lorem', tokens: 300 },
    latency: { ttft_ms: 150, per_token_ms: 1 },
    keys: {
      'sk-main': { models: { 'gpt-4o': { rpm: RPM, tpm: TPM } } },
      'sk-mini': { models: { 'gpt-4o-mini': { rpm: RPM * 2, tpm: TPM * 2 } } },
    },
  });
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  const gateway = await startGateway({
    config: parseConfig(config(sim.url, variant), 'under-pressure', {}),
    logger: createLogger({ level: 'info', destination: sink }),
    metricsListener: false,
  });
  const pool = new Pool(gateway.url, { connections: 256 });
  const results: { tier: string; status: number }[] = [];
  const start = performance.now();
  await Promise.all(
    plan.map(async (a) => {
      const wait = start + a.atMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const res = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS[a.tier]}`, 'content-type': 'application/json' },
        body: a.body,
      });
      await res.body.dump();
      results.push({ tier: a.tier, status: res.statusCode });
    }),
  );
  await pool.close();
  const stats = sim.stats();
  await gateway.close({ timeoutMs: 2_000 });
  await sim.close();

  const served = results.filter((r) => r.status === 200);
  const byStatus = new Map<number, number>();
  for (const r of results) if (r.status !== 200) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const p99 = (tenant?: string) => {
    const waits = lines
      .filter((l) => typeof l.wait_ms === 'number' && l.status === 200 && (!tenant || l.tenant === tenant))
      .map((l) => l.wait_ms as number)
      .sort((a, b) => a - b);
    return Math.round(waits[Math.min(waits.length - 1, Math.floor(0.99 * waits.length))] ?? 0);
  };
  const tokens = (key: string, model: string) => {
    const c = stats.per_key[key]?.[model];
    return (c?.input_tokens ?? 0) + (c?.output_tokens ?? 0);
  };
  const mitigations = lines.filter((l) => l.msg?.startsWith('mitigation engaged')).length;
  return {
    config: variant.name,
    offered: results.length,
    served: served.length,
    'served free': served.filter((r) => r.tier === 'free').length,
    'served paid': served.filter((r) => r.tier === 'paid').length,
    refused: [...byStatus].map(([s, n]) => `${s}: ${n}`).join(', ') || '-',
    'p99 wait ms': p99(),
    'p99 wait paid ms': p99('paid-co'),
    'tokens main': tokens('sk-main', 'gpt-4o'),
    'tokens mini': tokens('sk-mini', 'gpt-4o-mini'),
    'upstream 429': stats.responses['429'] ?? 0,
    engaged: mitigations,
  };
}

export async function run(): Promise<void> {
  const plan = arrivals();
  const rows: Row[] = [];
  for (const variant of VARIANTS) rows.push(await runVariant(variant, plan));
  const base = rows[0] as Row;
  for (const row of rows) {
    row['served × base'] = Math.round(((row.served as number) / (base.served as number)) * 100) / 100;
    const main = (row['tokens main'] as number) + (row['tokens mini'] as number);
    const baseTokens = (base['tokens main'] as number) + (base['tokens mini'] as number);
    row['tokens × base'] = Math.round((main / baseTokens) * 100) / 100;
  }
  printTable(rows);
  writeResults('under-pressure', { seconds: SECONDS, rpm: RPM, tpm: TPM, rows });
}
