/**
 * What the runner keeps of every request: how it ended (served, refused
 * with a status, or failed without an answer), its timing, tokens, retries
 * and the intervals it spent queued, all in ms from the run's start.
 */
import type { PlannedRequest } from './workload.js';

/** served: 2xx with an answer; refused: an HTTP error status; failed: no answer (network, timeout, cut). */
export type Outcome = 'served' | 'refused' | 'failed';

export interface WaitInterval {
  readonly start: number;
  readonly end: number;
}

export interface RequestRecord {
  readonly plan: PlannedRequest;
  /** When the request was actually sent (≥ plan.at by the timer's lateness). */
  readonly firedAt: number;
  endedAt: number | undefined;
  outcome: Outcome | undefined;
  /** Final HTTP status (refusals and served); undefined when no answer came. */
  status: number | undefined;
  /** Why a request failed or was refused, in a few words (error code, `timeout`, `unanswered` …). */
  reason: string | undefined;
  inputTokens: number;
  outputTokens: number;
  /** HTTP attempts the client SDK made (its own retries are attempts − 1). */
  attempts: number;
  /** Retries made inside the target (Sluice's governor, a gateway's retry setting). */
  targetRetries: number;
  /** Time spent queued in the target, when the target tells (Sluice, bottleneck). */
  readonly waits: WaitInterval[];
  /** What a response cache did, as the answer's `x-sluice-cache` says (Sluice targets with a cache). */
  cache: CacheOutcome | undefined;
  /** The answer's text, kept when the request asks a planned question (to check whose answer it is). */
  answerText?: string;
}

export const CACHE_OUTCOMES = ['hit', 'miss', 'stale', 'bypass'] as const;
export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];

/** The `x-sluice-cache` header's value, when it is one Sluice sends. */
export function cacheOutcomeOf(headers: Headers): CacheOutcome | undefined {
  const value = headers.get('x-sluice-cache');
  return CACHE_OUTCOMES.find((o) => o === value);
}

export function newRecord(plan: PlannedRequest, firedAt: number): RequestRecord {
  return {
    plan,
    firedAt,
    endedAt: undefined,
    outcome: undefined,
    status: undefined,
    reason: undefined,
    inputTokens: 0,
    outputTokens: 0,
    attempts: 0,
    targetRetries: 0,
    waits: [],
    cache: undefined,
  };
}

/** Total queue wait of a request, or undefined when the target does not tell. */
export function waitOf(record: RequestRecord): number | undefined {
  if (record.waits.length === 0) return undefined;
  return record.waits.reduce((sum, w) => sum + (w.end - w.start), 0);
}

/** End-to-end latency from the planned arrival (open loop: lateness of the load generator counts). */
export function latencyOf(record: RequestRecord): number | undefined {
  return record.endedAt === undefined ? undefined : record.endedAt - record.plan.at;
}
