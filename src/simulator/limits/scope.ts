/**
 * The limits of one scope (a key × model, or a key × model pool, for one
 * flavour): its buckets, its concurrency slots and the flow of "other
 * clients" that drains it. Admission is all or nothing across the buckets.
 */
import type { BackgroundSpec, LongContextSet } from '../config.js';
import {
  type BucketView,
  LIMIT_DIMENSIONS,
  type LimitDimension,
  SimBucket,
  type WindowOptions,
} from './bucket.js';
import { longContextOf, type SimLongContext } from './size-class.js';

/**
 * How the output side of a request is counted:
 * - `reconcile`: `output` reserved at admission, corrected to the real count at the end;
 * - `keep`: `output` reserved at admission and kept (no correction);
 * - `produced`: nothing reserved; tokens are charged as they are generated.
 */
export type OutputMode = 'reconcile' | 'keep' | 'produced';

export interface AdmissionCost {
  readonly requests: number;
  /** Input tokens as the provider counts them for its limits. */
  readonly input: number;
  /** Output tokens reserved at admission (0 in `produced` mode). */
  readonly output: number;
  readonly outputMode: OutputMode;
}

export interface Usage {
  readonly input: number;
  readonly output: number;
}

export type RefusedDimension = LimitDimension | 'concurrency';

export interface Refusal {
  readonly dimension: RefusedDimension;
  /** Ms until the request would fit; Infinity when it never can (larger than the limit). */
  readonly waitMs: number;
  readonly limit: number;
  /** Units in use when refused (the provider's "Used"). */
  readonly used: number;
  /** Units the request asked for on that dimension (the provider's "Requested"). */
  readonly requested: number;
}

export interface ScopeOptions {
  readonly id: string;
  /** Does the `tokens` unit include output? (Gemini's TPM counts input only, PROVIDERS.md §4.1.) */
  readonly tokensIncludeOutput: boolean;
  /** Charge the request buckets for refused requests (OpenAI, PROVIDERS.md §1.3). */
  readonly chargeRejected: boolean;
  /** How per-day limits behave: a rolling bucket, or a fixed day in `timeZone`. */
  readonly dayMode: 'rolling' | 'calendar';
  /** Per-minute limits; `sliced` slices the request limit and keeps a fixed token minute (Azure, PROVIDERS.md §2.2). */
  readonly minuteMode: 'bucket' | 'fixed' | 'sliced';
  readonly sliceMs: number;
  /** Where calendar days start (Gemini: America/Los_Angeles). */
  readonly timeZone: string;
  readonly background: readonly BackgroundSpec[];
  readonly now: number;
  /** Separate limits of long-context requests. */
  readonly longContext?: LongContextSet | undefined;
}

function windowOf(dimension: LimitDimension, options: ScopeOptions): WindowOptions {
  if (dimension === 'rpd' || dimension === 'tpd') {
    return options.dayMode === 'calendar'
      ? { mode: 'fixed', timeZone: options.timeZone }
      : { mode: 'bucket' };
  }
  if (options.minuteMode !== 'sliced') return { mode: options.minuteMode };
  return dimension === 'rpm' ? { mode: 'sliced', sliceMs: options.sliceMs } : { mode: 'fixed' };
}

export class Scope {
  readonly id: string;
  /** The standard class's buckets (shared with long-context requests where that class declares none). */
  readonly buckets: readonly SimBucket[];
  readonly longContext: SimLongContext | undefined;
  readonly concurrencyLimit: number | undefined;
  inFlight = 0;
  private readonly tokensIncludeOutput: boolean;
  private readonly chargeRejected: boolean;
  private readonly flows: ReadonlyMap<SimBucket, number>;
  private readonly heldByOthers: number;
  private drainedAt: number;

  constructor(limits: Partial<Record<LimitDimension | 'concurrency', number>>, options: ScopeOptions) {
    this.id = options.id;
    this.tokensIncludeOutput = options.tokensIncludeOutput;
    this.chargeRejected = options.chargeRejected;
    const buckets: SimBucket[] = [];
    for (const dimension of LIMIT_DIMENSIONS) {
      const limit = limits[dimension];
      if (limit === undefined) continue;
      buckets.push(new SimBucket(dimension, limit, windowOf(dimension, options), options.id, options.now));
    }
    this.buckets = buckets;
    this.longContext = longContextOf(
      options.longContext,
      (dimension, limit) =>
        new SimBucket(
          dimension,
          limit,
          windowOf(dimension, options),
          `${options.id}|long_context`,
          options.now,
        ),
    );
    this.concurrencyLimit = limits.concurrency;
    this.flows = backgroundFlows(buckets, options.background);
    this.heldByOthers = options.background.reduce((sum, b) => sum + (b.concurrency ?? 0), 0);
    this.drainedAt = options.now;
  }

  /** New limits for some of the standard class's dimensions (a dimension the scope does not limit stays unlimited). */
  setLimits(limits: Partial<Record<LimitDimension, number>>, now: number): void {
    this.drain(now);
    for (const bucket of this.buckets) {
      const limit = limits[bucket.dimension];
      if (limit !== undefined) bucket.setLimit(limit, now);
    }
  }

  /** The buckets a request with `contextTokens` of input (cached or not) is counted on. */
  bucketsFor(contextTokens: number): readonly SimBucket[] {
    return this.longContext ? this.longContext.select(this.buckets, contextTokens) : this.buckets;
  }

  /** Admits `cost` now or says which limit refuses it and for how long; `contextTokens` picks the size class. */
  admit(cost: AdmissionCost, now: number, contextTokens = cost.input): Lease | Refusal {
    this.drain(now);
    const buckets = this.bucketsFor(contextTokens);
    if (this.concurrencyLimit !== undefined && this.inFlight + this.heldByOthers >= this.concurrencyLimit) {
      this.chargeRefused(buckets, now);
      return {
        dimension: 'concurrency',
        waitMs: 0,
        limit: this.concurrencyLimit,
        used: this.inFlight + this.heldByOthers,
        requested: 1,
      };
    }
    let refusal: Refusal | undefined;
    for (const bucket of buckets) {
      const take = this.amount(bucket, cost.requests, cost.input, cost.output);
      // Output counted as produced still needs the bucket not to be exhausted (at least one unit free).
      const check =
        cost.outputMode === 'produced' && this.countsOutput(bucket) ? Math.min(bucket.limit, take + 1) : take;
      const waitMs = bucket.waitMs(check, now);
      if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) {
        refusal = {
          dimension: bucket.dimension,
          waitMs,
          limit: bucket.limit,
          used: bucket.usedAt(now),
          requested: take,
        };
      }
    }
    if (refusal) {
      this.chargeRefused(buckets, now);
      return refusal;
    }
    for (const bucket of buckets)
      bucket.take(this.amount(bucket, cost.requests, cost.input, cost.output), now);
    this.inFlight++;
    return new Lease(this, cost, buckets);
  }

  /** The state of `buckets` (default: the standard class's), after the other clients' consumption up to `now`. */
  views(now: number, buckets: readonly SimBucket[] = this.buckets): readonly BucketView[] {
    this.drain(now);
    return buckets.map((b) => b.view(now));
  }

  /** @internal Lease bookkeeping. */
  chargeOutput(buckets: readonly SimBucket[], tokens: number, now: number): void {
    for (const bucket of buckets) {
      if (this.countsOutput(bucket)) bucket.take(tokens, now);
    }
  }

  /** @internal Moves each bucket by the difference between what was charged and what was used. */
  adjust(buckets: readonly SimBucket[], charged: Usage, actual: Usage, now: number): void {
    for (const bucket of buckets) {
      const delta =
        this.amount(bucket, 0, actual.input, actual.output) -
        this.amount(bucket, 0, charged.input, charged.output);
      if (delta > 0) bucket.take(delta, now);
      else if (delta < 0) bucket.give(-delta, now);
    }
  }

  private countsOutput(bucket: SimBucket): boolean {
    return bucket.unit === 'output' || (bucket.unit === 'tokens' && this.tokensIncludeOutput);
  }

  private amount(bucket: SimBucket, requests: number, input: number, output: number): number {
    switch (bucket.unit) {
      case 'requests':
        return requests;
      case 'input':
        return input;
      case 'output':
        return output;
      case 'tokens':
        return this.tokensIncludeOutput ? input + output : input;
    }
  }

  /** "Unsuccessful requests contribute to your per-minute limit": one request, never below empty. */
  private chargeRefused(buckets: readonly SimBucket[], now: number): void {
    if (!this.chargeRejected) return;
    for (const bucket of buckets) if (bucket.unit === 'requests') bucket.takeUpTo(1, now);
  }

  /** Applies the other clients' consumption since the last look, as a continuous flow. */
  private drain(now: number): void {
    if (now <= this.drainedAt) return;
    for (const [bucket, perMs] of this.flows) bucket.drain(perMs, this.drainedAt, now);
    this.drainedAt = now;
  }
}

/** What an admitted request holds; settle it exactly once with `finish` or `abort`. */
export class Lease {
  private settled = false;
  private produced = 0;

  constructor(
    readonly scope: Scope,
    readonly cost: AdmissionCost,
    /** The buckets it was admitted on (its size class's). */
    readonly buckets: readonly SimBucket[],
  ) {}

  /** Output tokens generated now (charged in `produced` mode). */
  produce(tokens: number, now: number): void {
    if (this.settled || tokens <= 0) return;
    this.produced += tokens;
    if (this.cost.outputMode === 'produced') this.scope.chargeOutput(this.buckets, tokens, now);
  }

  /** The request completed with this usage: reconcile (if so configured) and free the slot. */
  finish(actual: Usage, now: number): void {
    if (this.settled) return;
    this.settled = true;
    this.scope.inFlight--;
    const charged: Usage = {
      input: this.cost.input,
      output: this.cost.outputMode === 'produced' ? this.produced : this.cost.output,
    };
    if (this.cost.outputMode === 'keep') return;
    this.scope.adjust(this.buckets, charged, actual, now);
  }

  /** The request was cut short: keep what was charged, free the slot. */
  abort(): void {
    if (this.settled) return;
    this.settled = true;
    this.scope.inFlight--;
  }

  get isSettled(): boolean {
    return this.settled;
  }
}

export function isRefusal(result: Lease | Refusal): result is Refusal {
  return !(result instanceof Lease);
}

function backgroundFlows(
  buckets: readonly SimBucket[],
  background: readonly BackgroundSpec[],
): Map<SimBucket, number> {
  const flows = new Map<SimBucket, number>();
  for (const spec of background) {
    for (const bucket of buckets) {
      // A per-day bucket sees the same flow as its per-minute counterpart.
      const perMinute = spec[minuteCounterpart(bucket.dimension)];
      if (!perMinute) continue;
      flows.set(bucket, (flows.get(bucket) ?? 0) + perMinute / 60_000);
    }
  }
  return flows;
}

function minuteCounterpart(dimension: LimitDimension): 'rpm' | 'tpm' | 'itpm' | 'otpm' {
  if (dimension === 'rpd') return 'rpm';
  if (dimension === 'tpd') return 'tpm';
  return dimension;
}
