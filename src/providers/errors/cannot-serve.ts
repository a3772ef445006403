/**
 * What the providers' error tables share when an error says "this key
 * cannot serve" (PROVIDERS.md §1.6, §3.2, §4.2, "2026 changes"): rejected
 * credentials, and when service resumes.
 */
import { zonePeriod } from '../../core/time-zone.js';
import type { CannotServe, CannotServeScope } from '../adapter.js';

const DAY_MS = 86_400_000;

/**
 * 401 is the key itself (every deployment sending it is out); 403 is a
 * permission the key lacks, often for one model or resource only.
 */
export function credentialsRefused(status: number): CannotServe | undefined {
  if (status === 401) return { reason: 'credentials', scope: 'key' };
  if (status === 403) return { reason: 'credentials', scope: 'deployment' };
  return undefined;
}

/** A quota outage of `scope`, back when the provider's wait (if any) is over. */
export function quotaOutage(
  scope: CannotServeScope,
  now: number,
  retryAfterMs: number | undefined,
): CannotServe {
  const resumeAt = retryAfterMs !== undefined && Number.isFinite(now) ? now + retryAfterMs : undefined;
  return { reason: 'quota', scope, ...(resumeAt !== undefined && { resumeAt }) };
}

/** Gemini's per-day quotas reset at midnight Pacific time (PROVIDERS.md §4.1). */
export function nextPacificMidnight(now: number): number {
  const period = new Float64Array(2);
  zonePeriod('America/Los_Angeles', DAY_MS, now, period);
  return period[1] as number;
}
