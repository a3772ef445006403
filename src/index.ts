/** The library face of Sluice. */

export { ConfigError } from './config/load.js';
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
export {
  createGovernor,
  GovernorRefusalError,
  type LibraryConfigInput,
  type LibraryGovernor,
  type LibraryOptions,
  type ScheduleContext,
  type ScheduleMeta,
} from './library/create-governor.js';
export * from './providers/index.js';
export type { DeploymentConfig } from './runtime/deployment.js';
export type { GovernorObserver } from './runtime/events.js';
export { Governor, type GovernorOptions } from './runtime/governor.js';
export type { LimitsConfig } from './runtime/limits.js';
export type { GroupLoad, LoadLevelName } from './runtime/load/load-level.js';
export type { MitigationAction, MitigationConfig } from './runtime/load/mitigation-config.js';
export type { GovernorTopology, ModelGroupConfig } from './runtime/model-groups.js';
export type { Refusal, RefusalCode } from './runtime/refusal.js';
export type { DeploymentServed, GroupSpillover, ServedCounts } from './runtime/spillover.js';
export type { TenantConfig, TierConfig } from './runtime/tenants.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory/memory-store.js';
export { createSharedStore, type SharedStoreConfig } from './stores/redis/create-store.js';
export type {
  FallbackStatus,
  SharedStore,
  StoreMode,
  UnavailablePolicy,
} from './stores/redis/fallback-store.js';
export { type ReserveOptions, type Store, type StoreStats, StoreUnavailableError } from './stores/store.js';
