/**
 * The library face: `createGovernor(config, options)` → `governor.fetch` for
 * the official SDKs and `governor.schedule(meta, fn)` for any other call,
 * both thin faces over the runtime's one request lifecycle.
 *
 * `config` is data, in the gateway's format (snake_case, validated by the
 * same schema: see library/config.ts); `options` is code (a fetch, a store
 * instance, a clock, observers).
 */

import { MemoryCacheStore } from '../cache/memory-cache-store.js';
import { SemanticIndex } from '../cache/semantic-index.js';
import { parseConfigWith } from '../config/load.js';
import { toGovernorOptions, toIdempotency, toTopology } from '../config/to-topology.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Usage } from '../core/cost.js';
import { MemoryIdempotencyStore } from '../idempotency/memory-idempotency-store.js';
import type { GovernorObserver } from '../runtime/events.js';
import { Governor } from '../runtime/governor.js';
import type { GroupLoad } from '../runtime/load/load-level.js';
import { type GroupSpillover, SpilloverTally, termsByDeployment } from '../runtime/spillover.js';
import { type ConfiguredStore, storeFromConfig } from '../stores/from-config.js';
import type { StoreLogger } from '../stores/redis/fallback-store.js';
import type { Store } from '../stores/store.js';
import { type LibraryConfigInput, libraryConfigSchema } from './config.js';
import { governedFetch } from './governed-fetch.js';
import { type ScheduleContext, type ScheduleMeta, schedule } from './schedule.js';

export type { GroupLoad } from '../runtime/load/load-level.js';
export { GovernorRefusalError, type ScheduleContext, type ScheduleMeta } from './schedule.js';
export type { LibraryConfigInput };

export interface LibraryOptions {
  /** The fetch that reaches providers. Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Where limits live, overriding the config's `store:`; e.g. one
   * `createSharedStore(...)` (Redis) for several processes.
   */
  store?: Store;
  clock?: Clock;
  observers?: GovernorObserver[];
  /** Uniform random in [0, 1), for backoff jitter (tests inject it). */
  random?: () => number;
  /** Tenant of calls that name none (header `x-sluice-tenant`). Default `default`. */
  tenant?: string;
  /** Priority class of calls that name none (header `x-sluice-priority`). */
  priority?: string;
  /** Lease of a reservation, renewed while a call runs. Default 120 s. */
  leaseMs?: number;
  /** Where the store's mode changes are told (Redis lost and back). Default: the console. */
  logger?: StoreLogger;
}

export interface LibraryGovernor {
  readonly fetch: typeof fetch;
  /**
   * Runs `fn` once admitted (queued by priority and tenant like any call),
   * then settles with `usageOf(result)` (or the estimate when it returns
   * nothing). Throws `GovernorRefusalError` when refused.
   */
  schedule<T>(
    meta: ScheduleMeta,
    fn: (ctx: ScheduleContext) => Promise<T>,
    usageOf?: (result: T) => Usage | undefined,
  ): Promise<T>;
  /**
   * The load of a model group as the last sample saw it: `level` (`ok`,
   * `warn`, `act`; the `x-sluice-load` header of every answer), what holds
   * it up, and whether mitigation is engaged. Observers hear each change as
   * the `load` event.
   */
  load(group: string): GroupLoad;
  readonly governor: Governor;
  /**
   * Per model group since start: calls, tokens and cost served by reserved
   * and by on-demand deployments, and the on-demand (spillover) share;
   * what the gateway exposes as `sluice_served_*` and `sluice_cost_usd_total`.
   */
  spillover(): GroupSpillover[];
  close(): Promise<void>;
}

/** Throws `ConfigError` naming every key that is wrong. */
export function createGovernor(config: LibraryConfigInput, options: LibraryOptions = {}): LibraryGovernor {
  const parsed = parseConfigWith(libraryConfigSchema, config, 'the createGovernor config');
  const clock = options.clock ?? systemClock;
  const unknown = parsed.unknown_tenants;
  const topology = toTopology(parsed);
  const terms = termsByDeployment(topology);
  const tally = new SpilloverTally({ termsOf: (deployment) => terms.get(deployment) });
  for (const [name, group] of Object.entries(topology.modelGroups))
    tally.declare(
      name,
      group.deployments.map((d) => d.id),
    );
  const configured = options.store ? undefined : storeFromConfig(parsed.store, clock, options.logger);
  const governor = new Governor({
    ...topology,
    ...(unknown !== 'refuse' && { unknownTenantTier: unknown.tier }),
    ...toGovernorOptions(parsed),
    store: options.store ?? (configured as ConfiguredStore).store,
    // A store handed in (shared by several processes) brings no cache store: entries stay in this process.
    responseCache: {
      entries: configured?.responseCache ?? new MemoryCacheStore(),
      semantic: configured?.semanticIndex ?? new SemanticIndex(),
    },
    // A store handed in brings no idempotency records either: they stay in this process.
    idempotency: toIdempotency(parsed.idempotency, (max) =>
      configured ? configured.idempotency(max) : new MemoryIdempotencyStore(max),
    ),
    clock,
    observers: [tally.observer(), ...(options.observers ?? [])],
    ...(options.random && { random: options.random }),
    ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
  });
  let fetch: typeof globalThis.fetch;
  try {
    fetch = governedFetch(governor, {
      fetch: options.fetch,
      tenant: options.tenant,
      priority: options.priority,
      forwarding: parsed.forwarding,
      undeclaredModels: parsed.undeclared_models,
    });
  } catch (error) {
    governor.close();
    throw error;
  }
  const defaults = { tenant: options.tenant, priority: options.priority };
  // The load signal (`load()`, the `load` event, `x-sluice-load`) and mitigation follow these samples.
  governor.sampleLoadEvery(parsed.alerts.interval_ms, (error) =>
    options.logger?.warn({ err: error }, 'load sampling failed'),
  );
  return {
    fetch,
    schedule: (meta, fn, usageOf) => schedule(governor, defaults, meta, fn, usageOf),
    load: (group) => governor.load(group),
    governor,
    spillover: () => tally.report(),
    async close() {
      governor.close();
      await governor.store.close();
    },
  };
}
