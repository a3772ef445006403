/**
 * What the runtime tells observers (metrics, logs, the dashboard): typed
 * callbacks, each optional. Observers must not throw; a throwing one is
 * ignored so that observability can never break traffic.
 */
import type { Cost } from '../core/cost.js';
import type {
  Endpoint,
  ProviderErrorKind,
  ProviderKind,
  ProviderUsage,
  RateLimitObservation,
  ResetClamp,
} from '../providers/adapter.js';
import type { CircuitState } from './circuit-breaker.js';
import type { AlertTransition } from './load/bucket-levels.js';
import type { BucketReading } from './load/bucket-reading.js';
import type { GroupLoad, LoadLevelName } from './load/load-level.js';
import type { MitigationAction } from './load/mitigation-config.js';
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
    /** The deployment's provider, model and the call's endpoint: what GenAI metrics are labelled with. */
    target: UpstreamIdentity;
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
    target: UpstreamIdentity;
    /** What was reserved: the adapter's estimate corrected by what was learned (`runtime/estimates/`). */
    estimate: Cost;
    /** The adapter's estimate before learned corrections, to measure what learning gains. */
    unadjusted: Cost;
    /**
     * What the buckets were settled with (the provider's usage with its cache
     * split where it reports one); undefined: the estimate stands (a cut
     * stream keeps it, PROVIDERS.md §1.8).
     */
    usage: ProviderUsage | undefined;
    /**
     * What the call used as far as anyone can tell: the provider's count when
     * it reported one, on a cut stream the usage seen plus the output counted
     * from the chunks delivered, zero when nothing came back. Counters record
     * this, never the estimate the buckets may keep.
     */
    delivered: ProviderUsage;
    /** `usage` is the provider's own final count (so `estimate` can be compared with it). */
    reported: boolean;
    /** The attempt got a 2xx answer whose body was relayed (false: it failed, the upstream event says how). */
    answered: boolean;
    /** From sending the attempt to the end (or cut) of its answer. */
    durationMs: number;
    /** From sending to the first body chunk; undefined when no chunk arrived. */
    firstChunkMs: number | undefined;
    streamed: boolean;
  }): void;
  /**
   * Calls a provider's Batch API served (a forwarded batch), billed once when
   * their batch ended: they never went through admission, so no `settled`
   * tells of them. `usd` is at the batch price (0 without a price).
   */
  billed(e: {
    tenant: string;
    group: string;
    deployment: string;
    calls: number;
    delivered: ProviderUsage;
    usd: number;
  }): void;
  /** A call that retried at least once ended: did the retries get it served? */
  retried(e: { deployment: string; retries: number; outcome: 'succeeded' | 'failed' }): void;
  observed(e: { deployment: string; observations: readonly RateLimitObservation[] }): void;
  clamped(e: { deployment: string; clamp: ResetClamp }): void;
  paused(e: { deployment: string; bucket: string; untilMs: number }): void;
  circuit(e: { deployment: string; state: CircuitState }): void;
  /**
   * An answer was served at another service tier than its deployment's
   * (a downgrade: Fast served as Standard): charged to `chargedTo`, the
   * upstream's deployment of the served tier (undefined: none, charged as sent).
   */
  serviceTier(e: { deployment: string; sent: string; served: string; chargedTo: string | undefined }): void;
  adaptive(e: { deployment: string; factor: number }): void;
  /** A bucket's alert level changed (a sample of `governor.sampleLoad()`). */
  alert(e: AlertTransition): void;
  /** A model group's load level changed (`x-sluice-load`, `governor.load(group)`). */
  load(e: GroupLoad & { from: LoadLevelName }): void;
  /** Every bucket as one load sample read it (`sampleLoad`): what history keeps the minute's peak of. */
  sampled(e: { readings: readonly BucketReading[] }): void;
  /** One of a group's mitigation actions turned on (load reached `act`) or off (it dropped, after the hold). */
  mitigation(e: { group: string; action: MitigationAction; engaged: boolean }): void;
  /** A call was changed by a mitigation action (downgraded, clamped, paused, charged a tightened budget). */
  mitigated(e: { group: string; action: MitigationAction; tenant: string }): void;
  /**
   * The response cache answered for a call (`hit`, `stale`), sent it
   * upstream (`miss`), or could not key it (`bypass`: a parameter the neutral
   * form cannot hold, `Cache-Control: no-store`). `savedTokens`: what a hit or
   * a stale answer would have cost upstream; `similarity`: a semantic hit's.
   */
  cache(e: {
    group: string;
    tenant: string;
    outcome: 'hit' | 'miss' | 'stale' | 'bypass';
    savedTokens: number;
    similarity: number | undefined;
  }): void;
  /**
   * A deployment's limit changed because its provider reported another: a
   * raise (a tier upgrade), a lowering, or a limit learned (`from` undefined).
   */
  limit(e: {
    deployment: string;
    bucket: string;
    /** The limit's short name, e.g. `rpm`. */
    name: string;
    from: number | undefined;
    to: number;
  }): void;
}

/** Which upstream an attempt went to, as metrics label it: one frozen object per deployment and endpoint. */
export interface UpstreamIdentity {
  readonly provider: ProviderKind;
  readonly model: string;
  readonly endpoint: Endpoint;
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
