/** The Redis store: shared limits across instances, with a stated policy when Redis is unavailable. */
export { createSharedStore, type SharedStoreConfig } from './create-store.js';
export { CrossSlotReservationError, StoreUnavailableError } from './errors.js';
export {
  type FallbackStatus,
  FallbackStore,
  type FallbackStoreOptions,
  type SharedStore,
  type StoreLogger,
  type StoreMode,
  type UnavailablePolicy,
} from './fallback-store.js';
export { createRedisStore, RedisStore, type RedisStoreOptions } from './redis-store.js';
