/**
 * Additive increase, multiplicative decrease of a deployment's admitted rate
 * (DESIGN.md, idea 6): a 429 from upstream means our view of its limits was
 * too generous (foreign traffic, a lower limit than declared), so the share
 * we admit drops at once; each success wins a little back, up to the
 * configured limit.
 *
 * One decrease per wave: calls sent before (or as) the last decrease were admitted
 * on the old view, so their 429s say nothing new about the lowered rate.
 * Counting each of them (20 calls of one burst) would drive the factor to
 * its floor for one mistake and waste the limit while it climbs back.
 */
export interface AdaptiveRateOptions {
  /** Factor applied on each upstream 429. Default 0.7. */
  decrease?: number;
  /** Added back on each success. Default 0.01 (100 successes from 0 to 1). */
  increase?: number;
  /** Lowest factor. Default 0.1. */
  floor?: number;
}

export class AdaptiveRate {
  private current = 1;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private readonly decrease: number;
  private readonly increase: number;
  private readonly floor: number;

  constructor(options: AdaptiveRateOptions = {}) {
    this.decrease = options.decrease ?? 0.7;
    this.increase = options.increase ?? 0.01;
    this.floor = options.floor ?? 0.1;
  }

  /** Share of the configured limits admitted now, in [floor, 1]. */
  get factor(): number {
    return this.current;
  }

  /**
   * A 429 for a call sent at `sentAt`, seen at `now` (both omitted: it counts).
   * Returns true when the factor changed.
   */
  onRateLimited(wave?: { sentAt: number; now: number }): boolean {
    if (wave) {
      if (wave.sentAt <= this.lastDecreaseAt) return false;
      this.lastDecreaseAt = wave.now;
    }
    const next = Math.max(this.floor, this.current * this.decrease);
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }

  /** Returns true when the factor changed. */
  onSuccess(): boolean {
    if (this.current >= 1) return false;
    this.current = Math.min(1, this.current + this.increase);
    return true;
  }
}
