/**
 * What a response cache did in a run, from the client's side: each answer's
 * `x-sluice-cache` counted, the hit rate (hits ÷ hits + misses: bypassed
 * and stale answers are neither), and the answer time of hits and of misses
 * (from the planned arrival, like every latency of a run), served or not.
 */
import { CACHE_OUTCOMES, type CacheOutcome, latencyOf, type RequestRecord } from './record.js';
import { type Percentiles, percentiles } from './stats.js';

export interface CacheSummary {
  /** Answers by what the cache said; requests without the header are not counted. */
  readonly answers: Record<CacheOutcome, number>;
  /** hits ÷ (hits + misses); undefined without either. */
  readonly hitRate: number | undefined;
  readonly hitMs: Percentiles;
  readonly missMs: Percentiles;
  /** Hits by what the workload planned (a repeat, a paraphrase, a new question that met its twin). */
  readonly hitsByQuestion: Record<string, number>;
}

/** The cache's side of a run, or undefined when no answer said anything about a cache. */
export function cacheSummary(records: readonly RequestRecord[]): CacheSummary | undefined {
  const told = records.filter((r) => r.cache !== undefined);
  if (told.length === 0) return undefined;
  const answers = Object.fromEntries(CACHE_OUTCOMES.map((o) => [o, 0])) as Record<CacheOutcome, number>;
  for (const r of told) answers[r.cache as CacheOutcome]++;
  const times = (outcome: CacheOutcome) =>
    percentiles(
      told.flatMap((r) => {
        const ms = r.cache === outcome ? latencyOf(r) : undefined;
        return ms === undefined ? [] : [ms];
      }),
    );
  const hitsByQuestion: Record<string, number> = {};
  for (const r of told) {
    if (r.cache !== 'hit') continue;
    const kind = r.plan.question?.kind ?? 'unplanned';
    hitsByQuestion[kind] = (hitsByQuestion[kind] ?? 0) + 1;
  }
  const looked = answers.hit + answers.miss;
  return {
    answers,
    hitRate: looked > 0 ? answers.hit / looked : undefined,
    hitMs: times('hit'),
    missMs: times('miss'),
    hitsByQuestion,
  };
}
