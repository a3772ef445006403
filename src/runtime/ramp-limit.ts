/**
 * How fast the tokens sent to one deployment may grow (PROVIDERS.md, "2026
 * changes", "Ramps are limited"): OpenAI downgrades Fast/Priority traffic
 * above 1 M TPM that grows more than 50 % within 15 minutes, Anthropic and
 * Vertex throttle sudden ramps ("acceleration limits") even when the bucket
 * has room.
 *
 * Time is cut into windows of `windowMs`. The token rate admitted in one
 * window may be at most `(1 + maxGrowth)` times the previous window's
 * average rate, or `aboveTpm`, whichever is higher: growth below the
 * threshold is free. The deployment enforces it as one more per-minute token
 * bucket whose limit is recomputed here at each window boundary, so
 * admission (and its queueing, its Retry-After) honours it as any limit.
 * What a window used is what its calls delivered (the provider's usage), the
 * unit the bucket itself is settled in.
 */
import { WINDOW_MS } from '../core/limit.js';
import type { GovernorObserver } from './events.js';

export interface RampConfig {
  /** Largest growth from one window's average rate to the next's: 0.5 = +50 %. */
  maxGrowth: number;
  /** Length of a window in ms (OpenAI: 15 minutes). */
  windowMs: number;
  /** Tokens per minute below which growth is not limited (OpenAI: 1 M). */
  aboveTpm: number;
}

export class RampLimit {
  /** Index of the window `tokens` counts (`floor(time / windowMs)`). */
  private window = Number.NEGATIVE_INFINITY;
  private tokens = 0;
  private previous = 0;

  constructor(readonly config: RampConfig) {}

  /** Tokens a call delivered, counted in the window of `now`. */
  record(tokens: number, now: number): void {
    this.roll(now);
    if (tokens > 0) this.tokens += tokens;
  }

  /** The token-per-minute limit in force at `now`. */
  limitAt(now: number): number {
    this.roll(now);
    const { maxGrowth, windowMs, aboveTpm } = this.config;
    const previousTpm = (this.previous * WINDOW_MS.minute) / windowMs;
    return Math.max(aboveTpm, (1 + maxGrowth) * previousTpm);
  }

  private roll(now: number): void {
    const index = Math.floor(now / this.config.windowMs);
    // A clock stepping back stays in the window it was in.
    if (index <= this.window) return;
    // Only the window just before counts: an idle one in between means a ramp from nothing.
    this.previous = index === this.window + 1 ? this.tokens : 0;
    this.tokens = 0;
    this.window = index;
  }
}

/** Feeds each settled call's delivered tokens to its deployment (`Deployment.recordDelivered`). */
export function rampFeed(
  deploymentOf: (id: string) => { recordDelivered(tokens: number): void } | undefined,
): GovernorObserver {
  return {
    settled: (e) =>
      deploymentOf(e.deployment)?.recordDelivered(e.delivered.inputTokens + e.delivered.outputTokens),
  };
}
