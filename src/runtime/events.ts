/**
 * What the runtime tells observers (metrics, logs, the dashboard): typed
 * callbacks, each optional. Observers must not throw; a throwing one is
 * ignored so that observability can never break traffic.
 */
import type { Cost } from '../core/cost.js';
import type {
  ProviderErrorKind,
  ProviderUsage,
  RateLimitObservation,
  ResetClamp,
} from '../providers/adapter.js';
import type { CircuitState } from './circuit-breaker.js';
import type { LimitRef, RefusalCode } from './refusal.js';

export interface GovernorEvents {
  admitted(e: {
    tenant: string;
    priority: string;
    group: string;
    deployment: string;
    waitedMs: number;
    cost: Cost;
  }): void;
  refused(e: {
    tenant: string;
    priority: string;
    group: string;
    code: RefusalCode;
    status: number;
    waitedMs: number;
    limitedBy: LimitRef | undefined;
  }): void;
  upstream(e: {
    deployment: string;
    status: number;
    latencyMs: number;
    errorKind: ProviderErrorKind | undefined;
  }): void;
  retry(e: { deployment: string; attempt: number; delayMs: number; errorKind: ProviderErrorKind }): void;
  fallback(e: { from: string; to: string; errorKind: ProviderErrorKind | 'circuit_open' | 'capacity' }): void;
  settled(e: {
    tenant: string;
    group: string;
    deployment: string;
    /** What was reserved: the adapter's estimate corrected by what was learned (`runtime/estimates/`). */
    estimate: Cost;
    /** The adapter's estimate before learned corrections, to measure what learning gains. */
    unadjusted: Cost;
    /** The provider's usage (with its cache split where it reports one); undefined when the estimate stood. */
    usage: ProviderUsage | undefined;
  }): void;
  observed(e: { deployment: string; observations: readonly RateLimitObservation[] }): void;
  clamped(e: { deployment: string; clamp: ResetClamp }): void;
  paused(e: { deployment: string; bucket: string; untilMs: number }): void;
  circuit(e: { deployment: string; state: CircuitState }): void;
  adaptive(e: { deployment: string; factor: number }): void;
}

export type GovernorObserver = Partial<GovernorEvents>;

/** Calls every observer's handler for `name`, isolating failures. */
export function emitter(observers: readonly GovernorObserver[]) {
  return <K extends keyof GovernorEvents>(name: K, event: Parameters<GovernorEvents[K]>[0]): void => {
    for (const observer of observers) {
      const handler = observer[name] as ((e: typeof event) => void) | undefined;
      if (!handler) continue;
      try {
        handler(event);
      } catch {
        // An observer's bug must not fail a request.
      }
    }
  };
}

export type Emit = ReturnType<typeof emitter>;
