/**
 * The library face: `createGovernor(config)` → `governor.fetch` for the
 * official SDKs and `governor.schedule(meta, fn)` for any other call, both
 * thin faces over the runtime's one request lifecycle.
 */
import type { Usage } from '../core/cost.js';
import { Governor, type GovernorOptions } from '../runtime/governor.js';
import { type GovernedFetchOptions, governedFetch } from './governed-fetch.js';
import { type ScheduleContext, type ScheduleMeta, schedule } from './schedule.js';

export { GovernorRefusalError, type ScheduleContext, type ScheduleMeta } from './schedule.js';

export interface GovernorConfig extends GovernorOptions, GovernedFetchOptions {}

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
  readonly governor: Governor;
  close(): Promise<void>;
}

export function createGovernor(config: GovernorConfig): LibraryGovernor {
  const governor = new Governor(config);
  let fetch: typeof globalThis.fetch;
  try {
    fetch = governedFetch(governor, config);
  } catch (error) {
    governor.close();
    throw error;
  }
  const defaults = { tenant: config.tenant, priority: config.priority };
  return {
    fetch,
    schedule: (meta, fn, usageOf) => schedule(governor, defaults, meta, fn, usageOf),
    governor,
    async close() {
      governor.close();
      await governor.store.close();
    },
  };
}
