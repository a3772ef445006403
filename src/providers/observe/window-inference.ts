/**
 * Which window a limit refills over, from one response's numbers. OpenAI's
 * `x-ratelimit-limit-requests` is per minute on most keys but per day on
 * free-tier ones (PROVIDERS.md §1.3: `10000` with reset `8.64s` is RPD).
 *
 * In the continuous bucket, reset = (L − level)·W/L and remaining =
 * floor(level). With deficit d = L − remaining, the estimate
 * est = reset·L/d therefore lies in (W·(d−1)/d, W]: for d ≥ 2 that pins W to
 * within a factor of two, which separates a minute from a day. For d = 1
 * (the common "one request since full") any W ≥ est fits, so only an
 * estimate close to a candidate is trusted. Otherwise: undefined, and the
 * caller falls back to its default (marked `assumed`).
 */
import { WINDOW_MS, type Window } from '../../core/limit.js';

/** Go output truncates to whole ms, and levels move between read and print. */
const SLACK = 0.05;
const CLOSE = 0.1;

export function inferWindow(
  limit: number,
  remaining: number,
  resetMs: number,
  candidates: readonly Window[],
): Window | undefined {
  const deficit = limit - remaining;
  if (!(deficit >= 1) || !(resetMs > 0) || !Number.isFinite(limit) || !Number.isFinite(resetMs)) {
    return undefined;
  }
  const est = (resetMs * limit) / deficit;
  const lowShare = (deficit - 1) / deficit;
  const consistent = candidates.filter((w) => {
    const ms = WINDOW_MS[w];
    return est <= ms * (1 + SLACK) && est > ms * lowShare * (1 - SLACK);
  });
  if (consistent.length === 1) return consistent[0];
  const close = consistent.filter((w) => Math.abs(est / WINDOW_MS[w] - 1) <= CLOSE);
  return close.length === 1 ? close[0] : undefined;
}
