/**
 * Keeps a provider's reset time sane before it re-syncs a local bucket
 * (hard requirement: never a nonsense sync). A bucket is full again at most
 * one window after now (PROVIDERS.md §1.3: reset = time to refill fully), and
 * a reset cannot lie in the past.
 *
 * Small excursions are expected and clamped silently: Anthropic rounds resets
 * to whole seconds and clocks drift (§3.1). Larger ones are clamped and
 * flagged so the runtime can count them.
 */
import type { ResetClamp } from '../adapter.js';

/** Tolerated clock skew and rounding before a clamp is flagged. */
export const RESET_TOLERANCE_MS = 2_000;

export interface ClampedReset {
  readonly resetAt: number;
  readonly clamped: ResetClamp | undefined;
}

export function clampResetAt(resetAt: number, now: number, windowMs: number): ClampedReset | undefined {
  if (!Number.isFinite(resetAt) || !Number.isFinite(now) || !(windowMs > 0)) return undefined;
  if (resetAt < now) {
    return { resetAt: now, clamped: resetAt < now - RESET_TOLERANCE_MS ? 'past' : undefined };
  }
  const latest = now + windowMs;
  if (resetAt > latest) {
    return { resetAt: latest, clamped: resetAt > latest + RESET_TOLERANCE_MS ? 'future' : undefined };
  }
  return { resetAt, clamped: undefined };
}
