/**
 * A circuit breaker per deployment: closed (normal) → open after too many
 * consecutive failures or too high an error rate → half-open after a cool-down,
 * where one probe request decides between closed and open again.
 *
 * Failures are upstream faults (5xx, overload, timeouts, network errors), not
 * rate limits: a 429 is handled by pausing buckets, not by declaring the
 * deployment broken.
 *
 * Every attempt carries the generation of the breaker it was sent under (a
 * new one starts at each opening and each closing). A result from an earlier
 * generation is stale and ignored: an attempt sent before the circuit opened
 * says nothing about the deployment now, so a late success may not close it
 * (which made it flap open → closed → open) and a late failure may not count
 * against a freshly closed circuit.
 *
 * The first opening is short (`firstOpenMs`), so a brief burst of errors does
 * not take a group's only deployment away for long; each re-opening without
 * a healthy spell in between doubles it, up to `openMs`.
 *
 * A key that cannot serve (out of credit or quota, credentials refused) is
 * not flaky, it is out: one such answer opens the circuit at once, until the
 * provider's stated reset or the next probe, whichever is later. Probes start
 * `deadKeyProbeMs` apart and double, up to `deadKeyProbeMaxMs`, until one
 * succeeds (runtime/rotation.ts).
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  consecutiveFailures?: number;
  /** Error rate (0..1) over `windowMs` that opens it, once `minRequests` were seen. Default 0.5. */
  errorRate?: number;
  /** Window of the error rate. Default 30 s. */
  windowMs?: number;
  /** Results needed in the window before the error rate may open the circuit. Default 20. */
  minRequests?: number;
  /** Longest an opening lasts before a probe is allowed. Default 30 s. */
  openMs?: number;
  /**
   * How long a first opening lasts; each re-opening doubles it up to `openMs`.
   * It starts over once the circuit has stayed closed for `openMs`. Default 5 s
   * (or `openMs` when that is shorter).
   */
  firstOpenMs?: number;
  /** First wait before probing a key that cannot serve; each failed probe doubles it. Default 60 s. */
  deadKeyProbeMs?: number;
  /** Longest wait between probes of a key that cannot serve. Default 15 min. */
  deadKeyProbeMaxMs?: number;
}

/** Why a key cannot serve (`ProviderError.cannotServe`), and when the provider says it is back. */
export interface KeyOutage {
  readonly reason: 'quota' | 'credentials';
  /** Epoch ms; the circuit stays open at least until the next probe anyway. */
  readonly resumeAt?: number | undefined;
}

/** What the breaker hands out when an attempt is sent, and takes back with its result. */
export interface CircuitAttempt {
  /** The breaker's generation when it was sent. */
  readonly generation: number;
  /** Whether this attempt is the half-open probe. */
  readonly probe: boolean;
}

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private generation = 0;
  private consecutive = 0;
  private openedAt = 0;
  private openForMs = 0;
  /** Openings since the circuit last stayed closed for `openMs`. */
  private reopenings = 0;
  private closedAt = Number.NEGATIVE_INFINITY;
  private probeInFlight = false;
  private windowStart = 0;
  private requests = 0;
  private failures = 0;
  private readonly consecutiveLimit: number;
  private readonly errorRate: number;
  private readonly windowMs: number;
  private readonly minRequests: number;
  private readonly openMs: number;
  private readonly firstOpenMs: number;
  private readonly deadKeyProbeMs: number;
  private readonly deadKeyProbeMaxMs: number;
  /** Outages since the circuit last closed: each doubles the wait before the next probe. */
  private outages = 0;
  /** Why the circuit is open when a key cannot serve (undefined: closed, or open for faults). */
  private outage: KeyOutage['reason'] | undefined;

  constructor(
    options: CircuitOptions = {},
    private readonly onChange?: (state: CircuitState) => void,
  ) {
    this.consecutiveLimit = options.consecutiveFailures ?? 5;
    this.errorRate = options.errorRate ?? 0.5;
    this.windowMs = options.windowMs ?? 30_000;
    this.minRequests = options.minRequests ?? 20;
    this.openMs = options.openMs ?? 30_000;
    this.firstOpenMs = Math.max(0, Math.min(options.firstOpenMs ?? 5_000, this.openMs));
    this.deadKeyProbeMaxMs = options.deadKeyProbeMaxMs ?? 900_000;
    this.deadKeyProbeMs = Math.max(0, Math.min(options.deadKeyProbeMs ?? 60_000, this.deadKeyProbeMaxMs));
  }

  /** The state at `now` (an open circuit turns half-open once its cool-down is over). */
  stateAt(now: number): CircuitState {
    if (this.state === 'open' && now - this.openedAt >= this.openForMs) this.transition('half_open');
    return this.state;
  }

  /** Whether a request may go now; in half-open, only one probe at a time. */
  allows(now: number): boolean {
    const state = this.stateAt(now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return !this.probeInFlight;
  }

  /**
   * An attempt is about to be sent: its ticket, to hand back with its result,
   * or undefined when the circuit refuses it now (open, or the half-open probe
   * is already out). Routing checked `allows` earlier, but admission may have
   * waited since.
   */
  onSend(now: number): CircuitAttempt | undefined {
    if (!this.allows(now)) return undefined;
    const probe = this.state === 'half_open';
    if (probe) this.probeInFlight = true;
    return { generation: this.generation, probe };
  }

  /** Why the circuit is not closed at `now`, when it is because a key cannot serve. */
  outageAt(now: number): KeyOutage['reason'] | undefined {
    return this.stateAt(now) === 'closed' ? undefined : this.outage;
  }

  /** Ms until an open circuit lets a probe through (0 when not open). */
  retryInMs(now: number): number {
    return this.stateAt(now) === 'open' ? this.openedAt + this.openForMs - now : 0;
  }

  recordSuccess(attempt: CircuitAttempt, now: number): void {
    if (!this.current(attempt)) return;
    if (attempt.probe) {
      this.probeInFlight = false;
      this.close(now);
      return;
    }
    this.count(now, false);
    this.consecutive = 0;
  }

  recordFailure(attempt: CircuitAttempt, now: number): void {
    if (!this.current(attempt)) return;
    if (attempt.probe) {
      this.probeInFlight = false;
      this.open(now);
      return;
    }
    this.count(now, true);
    this.consecutive++;
    const rateTripped = this.requests >= this.minRequests && this.failures / this.requests >= this.errorRate;
    if (this.consecutive >= this.consecutiveLimit || rateTripped) this.open(now);
  }

  /**
   * The attempt's answer said its key cannot serve: a failure that opens the
   * circuit at once, until `resumeAt` (the provider's reset) or the next
   * probe, whichever is later. Answers to attempts sent before the opening
   * are stale: a burst of them counts once. Returns whether it counted.
   */
  recordCannotServe(attempt: CircuitAttempt, now: number, outage: KeyOutage): boolean {
    if (!this.current(attempt)) return false;
    if (attempt.probe) this.probeInFlight = false;
    else this.count(now, true);
    this.shutOut(now, outage);
    return true;
  }

  /**
   * Another deployment's answer said this one's key, project or organisation
   * cannot serve either: out of rotation as if it had answered so itself.
   * An opening that already lasts longer is kept.
   */
  shutOut(now: number, outage: KeyOutage): void {
    const probeInMs = Math.min(this.deadKeyProbeMaxMs, this.deadKeyProbeMs * 2 ** this.outages);
    const openForMs = Math.max(probeInMs, (outage.resumeAt ?? now) - now);
    if (this.stateAt(now) === 'open' && this.openedAt + this.openForMs >= now + openForMs) return;
    this.outages = Math.min(this.outages + 1, 30);
    this.outage = outage.reason;
    // A probe still out belongs to the state being left: its answer is stale.
    this.probeInFlight = false;
    this.openedAt = now;
    this.openForMs = openForMs;
    this.transition('open');
  }

  /** The attempt ended saying nothing about health (a 429, the caller went away): its probe slot is free again. */
  release(attempt: CircuitAttempt): void {
    if (attempt.probe && this.current(attempt)) this.probeInFlight = false;
  }

  /** Whether a result still belongs to the state it was sent under. */
  private current(attempt: CircuitAttempt): boolean {
    return (
      attempt.generation === this.generation &&
      (attempt.probe ? this.state === 'half_open' : this.state === 'closed')
    );
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
    this.outage = undefined; // open for upstream faults now
    // A re-opening soon after the last one (or straight from a failed probe) lasts longer.
    if (this.state === 'closed' && now - this.closedAt >= this.openMs) this.reopenings = 0;
    this.openForMs = Math.min(this.openMs, this.firstOpenMs * 2 ** this.reopenings);
    this.reopenings = Math.min(this.reopenings + 1, 30);
    this.openedAt = now;
    this.transition('open');
  }

  private close(now: number): void {
    this.closedAt = now;
    this.consecutive = 0;
    this.outages = 0;
    this.outage = undefined;
    this.windowStart = now;
    this.requests = 0;
    this.failures = 0;
    this.transition('closed');
  }

  private transition(next: CircuitState): void {
    if (next === this.state) return;
    // Results of attempts sent before an opening or a closing are stale from now on.
    if (next !== 'half_open') this.generation++;
    this.state = next;
    this.onChange?.(next);
  }
}
