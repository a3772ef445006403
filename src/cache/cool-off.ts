/**
 * How the response cache's Redis parts (the entry store and the semantic
 * index) stay cheap when Redis stops answering: after a call misses its reply
 * deadline, calls are skipped (a miss, a store not made) for a cool-off,
 * instead of every request waiting out a deadline. Failures of a closed
 * connection start none: they fail at once anyway.
 */
import type { Clock } from '../core/clock.js';
import { ReplyDeadlineError } from '../stores/redis/deadline.js';

export class CoolOff {
  private until = Number.NEGATIVE_INFINITY;
  private skippedCalls = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
  ) {}

  /** True while cooling off; the call is counted as skipped. */
  skips(): boolean {
    if (this.clock.now() >= this.until) return false;
    this.skippedCalls++;
    return true;
  }

  /** A call failed: a missed reply deadline starts a cool-off. */
  failed(error: unknown): void {
    if (error instanceof ReplyDeadlineError) this.until = this.clock.now() + this.ms;
  }

  /** Calls skipped so far. */
  get skipped(): number {
    return this.skippedCalls;
  }
}
