/**
 * A circuit breaker per deployment: closed (normal) → open after too many
 * consecutive failures or too high an error rate → half-open after a cool-down,
 * where one probe request decides between closed and open again.
 *
 * Failures are upstream faults (5xx, overload, timeouts, network errors), not
 * rate limits: a 429 is handled by pausing buckets, not by declaring the
 * deployment broken.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  consecutiveFailures?: number;
  /** Error rate (0..1) over `windowMs` that opens it, once `minRequests` were seen. Default 0.5. */
  errorRate?: number;
  windowMs?: number;
  minRequests?: number;
  /** How long it stays open before a probe is allowed. Default 30 s. */
  openMs?: number;
}

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private windowStart = 0;
  private requests = 0;
  private failures = 0;
  private readonly consecutiveLimit: number;
  private readonly errorRate: number;
  private readonly windowMs: number;
  private readonly minRequests: number;
  private readonly openMs: number;

  constructor(
    options: CircuitOptions = {},
    private readonly onChange?: (state: CircuitState) => void,
  ) {
    this.consecutiveLimit = options.consecutiveFailures ?? 5;
    this.errorRate = options.errorRate ?? 0.5;
    this.windowMs = options.windowMs ?? 30_000;
    this.minRequests = options.minRequests ?? 20;
    this.openMs = options.openMs ?? 30_000;
  }

  /** The state at `now` (an open circuit turns half-open once its cool-down is over). */
  stateAt(now: number): CircuitState {
    if (this.state === 'open' && now - this.openedAt >= this.openMs) this.transition('half_open');
    return this.state;
  }

  /** Whether a request may go now; in half-open, only one probe at a time. */
  allows(now: number): boolean {
    const state = this.stateAt(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return !this.probeInFlight;
  }

  /** Call when a request is actually sent (claims the half-open probe). */
  onSend(now: number): void {
    if (this.stateAt(now) === 'half_open') this.probeInFlight = true;
  }

  /** Ms until an open circuit lets a probe through (0 when not open). */
  retryInMs(now: number): number {
    return this.stateAt(now) === 'open' ? this.openedAt + this.openMs - now : 0;
  }

  recordSuccess(now: number): void {
    this.count(now, false);
    this.consecutive = 0;
    this.probeInFlight = false;
    if (this.state !== 'closed') this.transition('closed');
  }

  recordFailure(now: number): void {
    this.count(now, true);
    this.consecutive++;
    this.probeInFlight = false;
    if (this.state === 'half_open') {
      this.open(now);
      return;
    }
    const rateTripped = this.requests >= this.minRequests && this.failures / this.requests >= this.errorRate;
    if (this.state === 'closed' && (this.consecutive >= this.consecutiveLimit || rateTripped)) this.open(now);
  }

  private count(now: number, failed: boolean): void {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.requests = 0;
      this.failures = 0;
    }
    this.requests++;
    if (failed) this.failures++;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.transition('open');
  }

  private transition(next: CircuitState): void {
    if (next === this.state) return;
    this.state = next;
    if (next === 'closed') {
      this.requests = 0;
      this.failures = 0;
    }
    this.onChange?.(next);
  }
}
