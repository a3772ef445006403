/**
 * Retries are budgeted and safe (DESIGN.md, idea 7). The policy is one pure
 * function of the attempt: stop, or wait `delayMs` and go again. Exponential
 * backoff with full jitter, capped; the provider's own hint (retry-after,
 * retry-after-ms, RetryInfo) wins when present; never past the deadline;
 * never for errors no retry can fix; and a budget keeps retries a bounded
 * share of traffic so a struggling upstream is not hammered harder.
 */
import type { ProviderError } from '../providers/adapter.js';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number;
  /** Backoff base and cap (ms). Defaults 500 and 8,000. */
  baseMs?: number;
  capMs?: number;
  /** Retries allowed per deployment as a share of its requests over `budgetWindowMs`. Default 0.2. */
  budgetRatio?: number;
  /** Retries always allowed per window, so a quiet deployment can still retry. Default 10. */
  budgetMinimum?: number;
  budgetWindowMs?: number;
  /**
   * The longest `Retry-After` a client is left to sleep out on its own: an
   * answer asking for a longer wait says `x-should-retry: false`, because the
   * official SDKs now honour any wait (a per-day refusal would park them for
   * hours). Default 60 s.
   */
  maxClientWaitMs?: number;
}

export const DEFAULT_MAX_CLIENT_WAIT_MS = 60_000;

export type RetryVerdict =
  | { readonly retry: false; readonly why: string }
  | { readonly retry: true; readonly delayMs: number };

export interface RetryInput {
  /** Attempts made so far (1 after the first failed). */
  readonly attempt: number;
  readonly error: ProviderError;
  readonly now: number;
  readonly deadline: number;
  /** Uniform random number in [0, 1) (injected for deterministic tests). */
  readonly random: number;
}

export function retryPolicy(options: RetryOptions = {}): (input: RetryInput) => RetryVerdict {
  const maxAttempts = options.maxAttempts ?? 3;
  const baseMs = options.baseMs ?? 500;
  const capMs = options.capMs ?? 8_000;
  return ({ attempt, error, now, deadline, random }) => {
    if (!error.retryable) return { retry: false, why: `not retryable (${error.kind})` };
    if (attempt >= maxAttempts) return { retry: false, why: `attempts exhausted (${maxAttempts})` };
    const backoff = random * Math.min(capMs, baseMs * 2 ** (attempt - 1));
    const delayMs = error.retryAfterMs !== undefined ? Math.max(0, error.retryAfterMs) : backoff;
    if (now + delayMs > deadline) return { retry: false, why: 'the wait would pass the deadline' };
    return { retry: true, delayMs };
  };
}

/**
 * Retries ≤ ratio × requests (+ a minimum) over a sliding window made of
 * ten slots, per deployment.
 */
export class RetryBudget {
  private readonly slots = 10;
  private readonly slotMs: number;
  private readonly requests: number[];
  private readonly retries: number[];
  private slotStart = Number.NaN;
  private index = 0;
  private readonly ratio: number;
  private readonly minimum: number;

  constructor(options: RetryOptions = {}) {
    this.slotMs = (options.budgetWindowMs ?? 60_000) / this.slots;
    this.ratio = options.budgetRatio ?? 0.2;
    this.minimum = options.budgetMinimum ?? 10;
    this.requests = new Array<number>(this.slots).fill(0);
    this.retries = new Array<number>(this.slots).fill(0);
  }

  recordRequest(now: number): void {
    this.advance(now);
    this.requests[this.index] = (this.requests[this.index] ?? 0) + 1;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now: number): boolean {
    this.advance(now);
    const requests = this.requests.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    if (retries >= this.minimum + this.ratio * requests) return false;
    this.retries[this.index] = (this.retries[this.index] ?? 0) + 1;
    return true;
  }

  private advance(now: number): void {
    if (Number.isNaN(this.slotStart)) this.slotStart = now;
    let steps = Math.floor((now - this.slotStart) / this.slotMs);
    if (steps <= 0) return;
    if (steps > this.slots) steps = this.slots;
    for (let i = 0; i < steps; i++) {
      this.index = (this.index + 1) % this.slots;
      this.requests[this.index] = 0;
      this.retries[this.index] = 0;
    }
    this.slotStart += Math.floor((now - this.slotStart) / this.slotMs) * this.slotMs;
  }
}
