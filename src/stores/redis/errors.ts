/**
 * Typed errors of the Redis store (STYLE.md, rule 7). The gateway maps them
 * at its edge: `store_unavailable` → 503 with `Retry-After`.
 */

/**
 * The shared store cannot decide now (connection lost, command timed out,
 * cluster down). `retryAfterMs` is when asking again makes sense.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  readonly retryAfterMs: number;

  constructor(message: string, options: { retryAfterMs: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * One reservation named buckets of different hash-tag groups: Redis Cluster
 * cannot run one atomic script over keys in different slots. A configuration
 * error (fix `hashTag`), never a runtime condition.
 */
export class CrossSlotReservationError extends Error {
  readonly code = 'cross_slot_reservation';

  constructor(message: string) {
    super(message);
    this.name = 'CrossSlotReservationError';
  }
}
