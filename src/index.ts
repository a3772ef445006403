/** The library face of Sluice. */
export { type Clock, ManualClock, systemClock } from './core/clock.js';
export { type Cost, costOf, DIMENSIONS, type Dimension, type Usage } from './core/cost.js';
export type {
  BucketSnapshot,
  Decision,
  ProviderObservation,
  RefusalReason,
  Reservation,
  SettleOutcome,
} from './core/decision.js';
export { type BucketSpec, bucketKey, defineBucket, type LimitDefinition, type Window } from './core/limit.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.js';
export type { ReserveOptions, Store, StoreStats } from './stores/store.js';
