/**
 * What admission is asked and what it answers (admission.ts): a request
 * with its choices, its class, its deadline; admitted on one choice, or
 * refused with a cause and a time to come back.
 */
import type { Clock } from '../core/clock.js';
import type { RefusalReason, Reservation } from '../core/decision.js';
import type { BucketSpec } from '../core/limit.js';
import type { Store } from '../stores/store.js';
import type { ClusterOrderOptions } from './cluster-demand.js';
import type { AdmissionChoice, PlacementOptions } from './placement.js';

export type { AdmissionChoice } from './placement.js';

/** A request's own buckets and cost are its first choice; `alternatives` follow it. */
export interface AdmissionRequest extends AdmissionChoice {
  readonly tenant: string;
  /** Class index, 0 = most urgent. */
  readonly priority: number;
  /** Tenant weight inside its class (default 1). */
  readonly weight?: number;
  /** Other ways to serve it (the other deployments of its group), after its own. */
  readonly alternatives?: readonly AdmissionChoice[];
  /** Which choices are the spill tier, and the weighted turns among them. */
  readonly placement?: PlacementOptions;
  /** Epoch ms by which the request must be admitted (Infinity: no deadline). */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly leaseMs?: number;
  /**
   * Requests of one tenant in different lanes queue apart (the order inside
   * a tenant's queue is kept, lane by lane): a call waiting for one model
   * group, or for its size class's own limit, must not hold back its
   * tenant's calls that other capacity can serve.
   */
  readonly lane?: string;
}

export interface Admitted {
  readonly admitted: true;
  /** Which choice took it: 0 its own buckets, i the alternative i - 1. */
  readonly choice: number;
  readonly reservation: Reservation;
  readonly waitedMs: number;
  /** Remaining units per bucket after the grant, in request order. */
  readonly remaining: readonly number[];
  readonly request: AdmissionRequest;
}

/**
 * - `too_large`: the cost exceeds a bucket's whole capacity; retrying cannot help.
 * - `deadline`: it would fit, but only after the deadline.
 * - `queue_full` / `shed`: no room in the queue (shed: pushed out by more urgent work).
 * - `aborted`: the caller gave up. `closed`: the admission was shut down.
 * - `unavailable`: the store could not decide (shared state unreachable and
 *   the policy is fail-closed).
 */
export type RefusalCause =
  | 'too_large'
  | 'deadline'
  | 'queue_full'
  | 'shed'
  | 'aborted'
  | 'closed'
  | 'unavailable';

export interface Refused {
  readonly admitted: false;
  readonly cause: RefusalCause;
  /** When to come back (Infinity: never with this cost). */
  readonly retryAfterMs: number;
  /** The bucket that bound, when one did. */
  readonly limitedBy: BucketSpec | undefined;
  readonly limitReason: RefusalReason | undefined;
  /** The choice whose decision this refusal reports (`remaining` is per bucket of that choice). */
  readonly choice: number;
  /** Units still available per bucket when the store decided (undefined when it did not). */
  readonly remaining: readonly number[] | undefined;
  readonly waitedMs: number;
  readonly request: AdmissionRequest;
}

export type AdmissionResult = Admitted | Refused;

export interface AdmissionOptions {
  store: Store;
  clock?: Clock;
  /** Number of priority classes (default 4). */
  classes?: number;
  maxQueuedPerClass?: number | readonly number[];
  maxQueued?: number;
  /** A waiting request climbs one class per `agingMs` (0: strict priority). */
  agingMs?: number;
  /**
   * How often to retry a request refused for concurrency when no local
   * settle frees a slot (another instance may free one). Default 250 ms.
   */
  concurrencyPollMs?: number;
  /**
   * One order over every instance's waiting requests (cluster-demand.ts),
   * when the store is shared by several processes (`Store.clustered`).
   * Undefined: each instance orders only its own queue.
   */
  cluster?: ClusterOrderOptions;
  /**
   * The class that uses only spare capacity (core/scheduler/priority.ts,
   * `background`): its reservations leave `headroom` (0..1) of every bucket
   * free (ReserveOptions.keep), so interactive work arriving a moment later
   * finds the burst it would have found without it; and it never ages into
   * the classes above it. Undefined: no class is held back.
   */
  background?: BackgroundLane;
}

/** The background class and the share of every bucket it leaves free. */
export interface BackgroundLane {
  readonly priority: number;
  readonly headroom: number;
}

export interface AdmissionStats {
  readonly queued: readonly number[];
  readonly admitted: number;
  readonly refused: Readonly<Record<RefusalCause, number>>;
  /**
   * Cluster-wide order, per class: offers that waited because demand waiting
   * elsewhere went first (cumulative), and this instance's published demand
   * records now. Zeros when the order is local.
   */
  readonly yields: readonly number[];
  readonly demandRecords: number;
}

/** Every way to serve `request`, its own buckets first. */
export function choicesOf(request: AdmissionRequest): readonly AdmissionChoice[] {
  return request.alternatives?.length ? [request, ...request.alternatives] : [request];
}
