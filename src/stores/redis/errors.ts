/**
 * Typed errors of the Redis store (STYLE.md, rule 7). `StoreUnavailableError`
 * is the store port's own (stores/store.ts), re-exported here for the store's
 * users.
 */
export { StoreUnavailableError } from '../store.js';

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
