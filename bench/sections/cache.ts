/**
 * `npm run bench cache`: the response cache on repeated and paraphrased
 * questions (bench/scenarios/cache-repeats.yaml: 20 % exact repeats, 30 %
 * paraphrases), through `sluice serve` and `governor.fetch` in front of the
 * simulator, three ways in one run: no cache (the floor), `cache: { mode:
 * exact }` and `cache: { mode: semantic }` embedding through an embeddings
 * group on the simulator. Semantic mode runs only where a paraphrase probe
 * is a hit (`cache/semantic-probe.ts`); otherwise the table says why.
 *
 * Per variant: hit rate (hits ÷ hits + misses, from each answer's
 * `x-sluice-cache`), the provider's own count of chat calls and tokens and
 * of embedding calls and tokens, the tokens saved against the no-cache run
 * of the same target, answer time of hits and of misses (client side, from
 * the planned arrival) and goodput. Writes bench/results/cache.json.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, runBench } from '../../src/bench/bench.js';
import type { CacheSummary } from '../../src/bench/cache-summary.js';
import { BENCH_API_KEY } from '../../src/bench/provider.js';
import { fmt, markdownTable, pct } from '../../src/bench/report/table.js';
import {
  type BenchCache,
  EMBEDDINGS_MODEL,
  loadScenarioFile,
  type Scenario,
} from '../../src/bench/scenario.js';
import type { Percentiles } from '../../src/bench/stats.js';
import type { TargetName } from '../../src/bench/targets/target.js';
import type { StatsSnapshot } from '../../src/simulator/stats.js';
import { writeResults } from '../lib/report.js';
import { semanticUnavailable } from './cache/semantic-probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const TARGETS: readonly TargetName[] = ['gateway', 'library'];

interface Variant {
  readonly name: 'no cache' | 'exact' | 'semantic';
  readonly cache: BenchCache | undefined;
}

const VARIANTS: readonly Variant[] = [
  { name: 'no cache', cache: undefined },
  { name: 'exact', cache: { mode: 'exact', ttl_s: 600, scope: 'tenant' } },
  { name: 'semantic', cache: { mode: 'semantic', ttl_s: 600, scope: 'tenant' } },
];

/** What reached the provider for one model: calls it admitted and the tokens it counted. */
interface Upstream {
  readonly requests: number;
  readonly tokens: number;
}

interface VariantResult {
  readonly target: TargetName;
  readonly variant: Variant['name'];
  readonly description?: string;
  /** Why it did not run (semantic mode without a semantic index). */
  readonly skipped?: string;
  readonly requests?: { total: number; served: number; refused: number; failed: number };
  readonly cache?: CacheSummary;
  readonly chat?: Upstream;
  readonly embeddings?: Upstream;
  /** 1 − (chat + embedding tokens upstream) ÷ chat tokens upstream of the no-cache run. */
  readonly tokensSaved?: number;
  readonly goodput?: { tokensPerMin: number; ofLimit: number | undefined };
  /** Answer time of every served request (without a cache, each is a miss). */
  readonly latencyMs?: Percentiles;
}

export async function run(): Promise<void> {
  const scenario = await loadScenarioFile(join(here, '..', 'scenarios', 'cache-repeats.yaml'));
  const results: VariantResult[] = [];
  for (const target of TARGETS) {
    const semanticMissing = await semanticUnavailable(scenario, target);
    let floor: Upstream | undefined;
    for (const variant of VARIANTS) {
      if (variant.name === 'semantic' && semanticMissing) {
        results.push({ target, variant: variant.name, skipped: semanticMissing });
        continue;
      }
      const result = await runBench({ scenario: withCache(scenario, variant.cache), target });
      const row = variantResult(target, variant, result, scenario.model);
      floor ??= row.chat;
      results.push({ ...row, tokensSaved: saved(row, floor) });
    }
  }
  console.log(cacheTable(results));
  writeResults('cache', {
    scenario: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    durationMs: scenario.duration,
    runs: results,
  });
}

function withCache(scenario: Scenario, cache: BenchCache | undefined): Scenario {
  return { ...scenario, sluice: { ...scenario.sluice, cache } };
}

function variantResult(
  target: TargetName,
  variant: Variant,
  { summary, providerStats }: BenchResult,
  model: string,
): VariantResult {
  const perModel = (providerStats as StatsSnapshot | undefined)?.per_key[BENCH_API_KEY];
  const upstream = (name: string): Upstream => {
    const c = perModel?.[name];
    return { requests: c?.admitted ?? 0, tokens: c ? c.input_tokens + c.output_tokens : 0 };
  };
  const r = summary.requests;
  return {
    target,
    variant: variant.name,
    description: summary.targetDescription,
    requests: { total: r.total, served: r.served, refused: r.refused, failed: r.failed },
    cache: summary.cache,
    chat: upstream(model),
    embeddings: upstream(EMBEDDINGS_MODEL),
    goodput: { tokensPerMin: summary.goodput.tokensPerMin, ofLimit: summary.goodput.ofLimit },
    latencyMs: summary.latencyMs,
  };
}

function saved(row: VariantResult, floor: Upstream | undefined): number | undefined {
  if (!floor || floor.tokens === 0 || !row.chat) return undefined;
  return 1 - (row.chat.tokens + (row.embeddings?.tokens ?? 0)) / floor.tokens;
}

function cacheTable(results: readonly VariantResult[]): string {
  const ms = (v: number | undefined) => fmt(v, v !== undefined && v < 10 ? 1 : 0);
  const headers = [
    'target',
    'cache',
    'requests',
    'served',
    'hits / misses',
    'hit rate',
    'upstream chat calls',
    'upstream chat tokens',
    'embedding calls / tokens',
    'tokens saved vs no cache',
    'hit p50 / p99 ms',
    'miss p50 / p99 ms',
    'goodput tokens/min',
    'goodput % of limit',
    'hits answering another question',
  ];
  const rows = results.map((r) => {
    if (r.skipped) return [r.target, r.variant, 'did not run (below)', ...headers.slice(3).map(() => '')];
    const c = r.cache;
    return [
      r.target,
      r.variant,
      fmt(r.requests?.total),
      fmt(r.requests?.served),
      c ? `${fmt(c.answers.hit)} / ${fmt(c.answers.miss)}` : '–',
      pct(c?.hitRate),
      fmt(r.chat?.requests),
      fmt(r.chat?.tokens),
      r.embeddings?.requests ? `${fmt(r.embeddings.requests)} / ${fmt(r.embeddings.tokens)}` : '–',
      r.variant === 'no cache' ? '(floor)' : pct(r.tokensSaved),
      c?.hitMs.count ? `${ms(c.hitMs.p50)} / ${ms(c.hitMs.p99)}` : '–',
      // Without a cache every answer came from upstream: the floor's misses are all its answers.
      c?.missMs.count
        ? `${ms(c.missMs.p50)} / ${ms(c.missMs.p99)}`
        : r.latencyMs?.count
          ? `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)}`
          : '–',
      fmt(r.goodput?.tokensPerMin),
      pct(r.goodput?.ofLimit),
      c ? fmt(c.foreignAnswers.hit) : '–',
    ];
  });
  const notes = results
    .filter((r) => r.skipped)
    .map((r) => `- ${r.target} · ${r.variant} did not run: ${r.skipped}`);
  return [markdownTable(headers, rows), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
