/**
 * Additive increase, multiplicative decrease of a deployment's admitted rate
 * (DESIGN.md, idea 6): a 429 from upstream means our view of its limits was
 * too generous (foreign traffic, a lower limit than declared), so the share
 * we admit drops at once; once the 429s stop, it climbs back up to the
 * configured limit.
 *
 * One decrease per wave: calls sent before (or as) the last decrease were admitted
 * on the old view, so their 429s say nothing new about the lowered rate.
 * Counting each of them (20 calls of one burst) would drive the factor to
 * its floor for one mistake and waste the limit while it climbs back.
 *
 * The increase is paced by time, not by successes: a step every
 * `increaseEveryMs` without a new decrease. Counting successes made recovery
 * depend on traffic (+0.01 a call: a deployment serving ten calls a minute
 * stayed at 70 % for three minutes after one 429); by time, the factor is
 * back to 1 at most `ceil((1 − floor) / increase)` steps after the last
 * 429 wave, however much or little traffic there is.
 */
export interface AdaptiveRateOptions {
  /** Factor applied on each upstream 429 wave. Default 0.7. */
  decrease?: number;
  /** Added back per step. Default 0.1. */
  increase?: number;
  /** Length of a step without a new decrease. Default 5 s (0.7 → 1 in 15 s, floor → 1 in 45 s). */
  increaseEveryMs?: number;
  /** Lowest factor. Default 0.1. */
  floor?: number;
}

/** Float sums (0.7 + 3 × 0.1) must still reach exactly 1. */
const FULL_WITHIN = 1e-9;

export class AdaptiveRate {
  private current = 1;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** When the next step's interval began (the last decrease, or the last step). */
  private stepFrom = Number.NEGATIVE_INFINITY;
  private readonly decrease: number;
  private readonly increase: number;
  private readonly increaseEveryMs: number;
  private readonly floor: number;

  constructor(options: AdaptiveRateOptions = {}) {
    this.decrease = options.decrease ?? 0.7;
    this.increase = options.increase ?? 0.1;
    this.increaseEveryMs = options.increaseEveryMs ?? 5_000;
    this.floor = options.floor ?? 0.1;
  }

  /** Share of the configured limits admitted now, in [floor, 1]. */
  get factor(): number {
    return this.current;
  }

  /**
   * A 429 seen at `now` for a call sent at `sentAt` (omitted: it counts).
   * Returns true when the factor changed.
   */
  onRateLimited(wave: { sentAt?: number | undefined; now: number }): boolean {
    if (wave.sentAt !== undefined) {
      if (wave.sentAt <= this.lastDecreaseAt) return false;
      this.lastDecreaseAt = wave.now;
    }
    this.stepFrom = wave.now;
    const next = Math.max(this.floor, this.current * this.decrease);
    const changed = next !== this.current;
    this.current = next;
    return changed;
  }

  /** Wins back `increase` for every whole step since the last decrease. Returns true when the factor changed. */
  recover(now: number): boolean {
    if (this.current >= 1) return false;
    const steps = Math.floor((now - this.stepFrom) / this.increaseEveryMs);
    if (!(steps >= 1)) return false;
    this.stepFrom += steps * this.increaseEveryMs;
    const next = this.current + steps * this.increase;
    this.current = next >= 1 - FULL_WITHIN ? 1 : next;
    return true;
  }
}
