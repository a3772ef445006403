/**
 * What a response cache did in a run, from the client's side: each answer's
 * `x-sluice-cache` counted, the hit rate (hits ÷ hits + misses: bypassed
 * and stale answers are neither), and the answer time of hits and of misses
 * (from the planned arrival, like every latency of a run), served or not.
 */

import { questionText } from './question-text.js';
import { CACHE_OUTCOMES, type CacheOutcome, latencyOf, type RequestRecord } from './record.js';
import { type Percentiles, percentiles } from './stats.js';
import { messageSizes } from './workload.js';

export interface CacheSummary {
  /** Answers by what the cache said; requests without the header are not counted. */
  readonly answers: Record<CacheOutcome, number>;
  /** hits ÷ (hits + misses); undefined without either. */
  readonly hitRate: number | undefined;
  readonly hitMs: Percentiles;
  readonly missMs: Percentiles;
  /** Hits by what the workload planned (a repeat, a paraphrase, a new question that met its twin). */
  readonly hitsByQuestion: Record<string, number>;
  /**
   * Served answers that are not their question's: the simulator echoes the
   * question, so an answer sharing less than half its words with the
   * question as first asked came from another question's entry. Should be 0.
   */
  readonly foreignAnswers: { readonly hit: number; readonly other: number };
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
  const foreignAnswers = { hit: 0, other: 0 };
  for (const r of told) {
    if (r.outcome !== 'served' || !r.plan.question || r.answerText === undefined) continue;
    const asked = questionText({ topic: r.plan.question.topic, wording: 0 }, messageSizes(r.plan).user);
    if (sharedWords(asked, r.answerText) < 0.5) foreignAnswers[r.cache === 'hit' ? 'hit' : 'other']++;
  }
  const looked = answers.hit + answers.miss;
  return {
    answers,
    hitRate: looked > 0 ? answers.hit / looked : undefined,
    hitMs: times('hit'),
    missMs: times('miss'),
    hitsByQuestion,
    foreignAnswers,
  };
}

/** Share of `question`'s words (lower-cased, as a multiset) that `answer` has too. */
function sharedWords(question: string, answer: string): number {
  const words = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];
  const left = new Map<string, number>();
  for (const w of words(answer)) left.set(w, (left.get(w) ?? 0) + 1);
  const asked = words(question);
  let shared = 0;
  for (const w of asked) {
    const n = left.get(w) ?? 0;
    if (n > 0) {
      shared++;
      left.set(w, n - 1);
    }
  }
  return asked.length ? shared / asked.length : 1;
}
