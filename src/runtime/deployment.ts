/**
 * One callable upstream: provider + base URL + key + model (DESIGN.md, "Words
 * we use"), with everything Sluice keeps per deployment: its buckets (declared,
 * adapted by AIMD, or learned from the provider's headers), its circuit
 * breaker, its retry budget and the last rate-limit headers it sent.
 */
import { type Clock, systemClock } from '../core/clock.js';
import type { Dimension } from '../core/cost.js';
import {
  type BucketScope,
  type BucketSpec,
  bucketKey,
  defineBucket,
  type Window,
  withLimit,
} from '../core/limit.js';
import type {
  ProviderAdapter,
  ProviderKind,
  ProviderUsage,
  RateLimitObservation,
} from '../providers/adapter.js';
import type { Reassignment } from '../stores/store.js';
import { AdaptiveRate, type AdaptiveRateOptions } from './adaptive-rate.js';
import { CircuitBreaker, type CircuitOptions, type CircuitState } from './circuit-breaker.js';
import type { ForwardBetas } from './forwarding.js';
import { followReport, type RaiseStreak } from './limit-follow.js';
import { bucketsFor, type LimitName, type LimitsConfig, limitNameOf, scopeKey } from './limits.js';
import { type RampConfig, RampLimit } from './ramp-limit.js';
import { RetryBudget, type RetryOptions } from './retry-policy.js';
import type { TierSiblings } from './service-tier.js';
import {
  LongContextClass,
  type LongContextConfig,
  promptTokensOf,
  reassignment,
  type SizeClass,
} from './size-class.js';
import { withProviderWindows } from './window-rules.js';

export interface DeploymentConfig {
  id: string;
  provider: ProviderKind;
  /**
   * e.g. `https://api.openai.com/v1`, `https://api.anthropic.com`. A query
   * (`…/openai?api-version=2024-10-21`) is the deployment's own and is sent
   * with every call; a caller's parameter of the same name never replaces it.
   */
  baseUrl: string;
  /** Sent upstream instead of the caller's key when set. */
  apiKey?: string;
  /** The model name upstream knows (the group name is what clients ask for). */
  model: string;
  limits?: LimitsConfig;
  /** Limits of long-context calls (size-class.ts): separate where declared, shared otherwise. */
  longContext?: LongContextConfig;
  /**
   * The provider service tier this deployment sends (`service_tier`: OpenAI
   * flex / default / priority (`fast`) / ultrafast, Gemini standard / flex /
   * priority); its limits are that tier's. An answer served at another tier
   * is charged to the sibling deployment of that tier (service-tier.ts).
   */
  serviceTier?: string;
  /** Names of pools (shared org / project limits) this deployment draws from. */
  pools?: string[];
  /**
   * Share of traffic among the deployments of its group that can take a
   * request now. When no deployment of the group sets one, shares follow
   * the declared limits (model-groups.ts).
   */
  weight?: number;
  /**
   * `reserved` capacity (provisioned, already paid for) serves first;
   * `on_demand` (default) takes what reserved deployments cannot serve
   * before a request's deadline.
   */
  capacity?: DeploymentCapacity;
  /** USD per million tokens, to show what each deployment's traffic costs. */
  price?: DeploymentPrice;
  /** Extra headers sent upstream (e.g. `anthropic-version`, `OpenAI-Organization`). */
  headers?: Record<string, string>;
  /** Buckets for limits the provider reports but the config does not declare. Default true. */
  learnLimits?: boolean;
  /**
   * A limit the provider reports above the one in force is adopted once
   * confirmed (`limit-follow.ts`), up to `limitsCeiling`. Default true;
   * false: declared limits are upper bounds (a deployment declared as a
   * share of its key's limit), lowered ones still come back up to them.
   */
  adoptRaisedLimits?: boolean;
  /** Highest limit a raise may reach, per limit name (unset: no bound). */
  limitsCeiling?: Partial<Record<LimitName, number>>;
  /** How fast the tokens sent here may grow (`ramp-limit.ts`); unset: no ramp limit. */
  ramp?: RampConfig;
  /**
   * Which of a caller's betas (`anthropic-beta`, `openai-beta`) reach this
   * deployment where forwarding is allow-listed (the gateway): `true` all,
   * a list the named ones, default none. Betas change what a call costs and
   * which limits apply, so the operator opts in.
   */
  forwardBetas?: ForwardBetas;
  /** Batch forward mode: input tokens the provider lets queue in batches at once (`src/batches/forward/`). */
  enqueuedTokens?: number;
}

export type DeploymentCapacity = 'reserved' | 'on_demand';

export interface DeploymentPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Prompt tokens read from the provider's cache; absent: the input price. */
  readonly cachedInputPerMTok?: number | undefined;
  /** Prompt tokens written to the provider's cache; absent: the input price. */
  readonly cacheWritePerMTok?: number | undefined;
}

export interface DeploymentDeps {
  adapter: ProviderAdapter;
  margin: number;
  circuit?: CircuitOptions;
  adaptive?: AdaptiveRateOptions;
  retry?: RetryOptions;
  onCircuitChange?: (deployment: Deployment, state: CircuitState) => void;
  /** Time of AIMD recovery and ramp windows. Default: the system clock. */
  clock?: Clock;
}

/** A limit that changed because the provider reported another (the `limit` event). */
export interface LimitChange {
  /** Key of the bucket. */
  readonly bucket: string;
  /** Its short name, e.g. `rpm`. */
  readonly name: LimitName;
  /** The limit before; undefined when the bucket was just learned. */
  readonly from: number | undefined;
  readonly to: number;
}

/** Stands for "no limit" on the gate bucket, which exists only to be paused. */
const UNLIMITED = 1e12;

export class Deployment {
  readonly id: string;
  readonly adapter: ProviderAdapter;
  readonly weight: number;
  readonly circuit: CircuitBreaker;
  readonly rate: AdaptiveRate;
  readonly retryBudget: RetryBudget;
  /**
   * Every deployment has a gate: an unlimited bucket that a provider's pause
   * (a 429 with no dimension we track) can close, so traffic stops even when
   * no limit was declared or learned.
   */
  readonly gate: BucketSpec;
  /** Whose limits its buckets are: this deployment's. */
  readonly scope: BucketScope;
  /** `config.baseUrl` without its query and trailing slashes, its path and its query (computed once). */
  readonly baseUrl: string;
  readonly basePath: string;
  readonly baseQuery: URLSearchParams;
  lastObservations: readonly RateLimitObservation[] = [];
  lastObservedAt = 0;
  /** The long-context size class, when the config declares one. */
  readonly longContext: LongContextClass | undefined;
  private declared: BucketSpec[];
  private effective: BucketSpec[];
  private longDeclared: BucketSpec[];
  private longEffective: BucketSpec[];
  private readonly margin: number;
  private readonly clock: Clock;
  /** Each bucket's limit before any report changed it (the configured one, or the first learned). */
  private readonly bases = new Map<string, number>();
  private readonly streaks = new Map<string, RaiseStreak>();
  private readonly ramp: RampLimit | undefined;
  private rampBucket: BucketSpec | undefined;
  /** The other tiers of this deployment's upstream, as the topology in force lists them. */
  private serviceTiers: TierSiblings | undefined;

  constructor(
    readonly config: DeploymentConfig,
    deps: DeploymentDeps,
  ) {
    this.id = config.id;
    this.adapter = deps.adapter;
    const q = config.baseUrl.indexOf('?');
    this.baseUrl = (q < 0 ? config.baseUrl : config.baseUrl.slice(0, q)).replace(/\/+$/, '');
    this.baseQuery = new URLSearchParams(q < 0 ? '' : config.baseUrl.slice(q));
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, '');
    this.weight = config.weight ?? 1;
    this.margin = deps.margin;
    this.clock = deps.clock ?? systemClock;
    this.circuit = new CircuitBreaker(deps.circuit, (state) => deps.onCircuitChange?.(this, state));
    this.rate = new AdaptiveRate(deps.adaptive);
    this.retryBudget = new RetryBudget(deps.retry);
    this.scope = Object.freeze({ kind: 'deployment', owner: config.id });
    this.gate = defineBucket(scopeKey(this.scope, 'gate'), {
      dimension: 'requests',
      limit: UNLIMITED,
      // The window bounds how long one 429 can close the gate (pauseEnd).
      per: 'minute',
      margin: 0,
      scope: this.scope,
    });
    this.declared = bucketsFor(this.scope, withProviderWindows(config.provider, config.limits), deps.margin);
    this.ramp = config.ramp ? new RampLimit(config.ramp) : undefined;
    this.rampBucket = this.ramp
      ? defineBucket(bucketKey(scopeKey(this.scope, 'ramp'), 'tokens', 'minute'), {
          dimension: 'tokens',
          limit: this.ramp.limitAt(this.clock.now()),
          per: 'minute',
          margin: deps.margin,
          scope: this.scope,
        })
      : undefined;
    this.effective = [this.gate, ...this.declared, ...(this.rampBucket ? [this.rampBucket] : [])];
    this.longContext = config.longContext
      ? new LongContextClass(
          this.scope,
          { ...config.longContext, ...withProviderWindows(config.provider, config.longContext) },
          deps.margin,
        )
      : undefined;
    this.longDeclared = [...(this.longContext?.declared ?? [])];
    this.longEffective = this.longContext ? this.longContext.compose(this.effective, this.longDeclared) : [];
    for (const b of [...this.declared, ...this.longDeclared]) this.bases.set(b.key, b.limit);
  }

  /** Buckets a request of `sizeClass` to this deployment is charged on (after AIMD), gate included. */
  buckets(sizeClass: SizeClass = 'standard'): readonly BucketSpec[] {
    this.refresh();
    return sizeClass === 'long_context' && this.longContext ? this.longEffective : this.effective;
  }

  /** The size class a call of this many input tokens belongs to here. */
  sizeClassOf(inputTokens: number): SizeClass {
    return this.longContext?.classOf(inputTokens) ?? 'standard';
  }

  /** Every bucket of the deployment, both classes' (metrics, the dashboard). */
  allBuckets(): readonly BucketSpec[] {
    this.refresh();
    return this.longContext ? [...this.effective, ...this.longDeclaredEffective()] : this.effective;
  }

  /** The bucket for a provider-reported (dimension, window) on a call of `sizeClass`, if tracked. */
  bucketFor(
    dimension: Dimension,
    window: Window | undefined,
    sizeClass: SizeClass = 'standard',
  ): BucketSpec | undefined {
    return this.buckets(sizeClass).find(
      (b) => b !== this.gate && b !== this.rampBucket && b.dimension === dimension && b.per === window,
    );
  }

  /**
   * Joins the tiers of the topology being built (each build relinks, so a
   * deployment kept across a reload sees the new siblings).
   */
  joinTiers(tiers: TierSiblings): void {
    this.serviceTiers = tiers;
  }

  /**
   * What moves at settlement (`reserved`: the reservation's buckets), or
   * undefined: to the deployment of the tier the answer reports when it is
   * not this one's (service-tier.ts), else to the size class the usage
   * shows when the estimate got it wrong (size-class.ts).
   */
  reassign(
    estimated: SizeClass,
    reserved: readonly BucketSpec[],
    usage: ProviderUsage,
  ): Reassignment | undefined {
    const tier = this.serviceTiers?.move(this, estimated, reserved, usage);
    if (tier) return tier.reassign;
    const context = promptTokensOf(usage);
    // Usage of nothing (a refused call, one never sent) says nothing about its size.
    if (context === 0) return undefined;
    const actual = this.longContext?.classOf(context);
    if (actual === undefined || actual === estimated) return undefined;
    return reassignment(reserved, this.buckets(estimated), this.buckets(actual));
  }

  /** The declared (pre-AIMD) limit behind a bucket. */
  declaredLimit(key: string): number | undefined {
    return this.declared.find((b) => b.key === key)?.limit;
  }

  /**
   * Follows what the provider says about its limits (`limit-follow.ts`): a
   * lower limit replaces the one in force at once, a higher one once
   * confirmed (up to the ceiling); a limit that was not declared becomes a
   * learned bucket. Returns the change, or undefined when nothing changed.
   */
  learn(observation: RateLimitObservation, sizeClass: SizeClass = 'standard'): LimitChange | undefined {
    if (observation.limit === undefined || observation.scope === 'project') return undefined;
    const on = (b: BucketSpec) => b.dimension === observation.dimension && b.per === observation.window;
    if (sizeClass === 'long_context' && this.longContext) {
      // A long-context answer reports the class's own limit where it has one; the rest is shared.
      const own = this.longDeclared.findIndex(on);
      if (own >= 0) {
        const followed = this.follow(this.longDeclared[own] as BucketSpec, observation);
        if (!followed) return undefined;
        this.longDeclared = this.longDeclared.map((b, i) => (i === own ? followed.bucket : b));
        this.recompute();
        return followed.change;
      }
    }
    const index = this.declared.findIndex(on);
    if (index >= 0) {
      const followed = this.follow(this.declared[index] as BucketSpec, observation);
      if (!followed) return undefined;
      this.declared = this.declared.map((b, i) => (i === index ? followed.bucket : b));
      this.recompute();
      return followed.change;
    }
    if (this.config.learnLimits === false) return undefined;
    const name = limitNameOf(observation.dimension, observation.window);
    if (!name) return undefined;
    const limit = Math.min(observation.limit, this.config.limitsCeiling?.[name] ?? Number.POSITIVE_INFINITY);
    // A learned limit follows the same window rules as the declared ones.
    const windows = withProviderWindows(this.config.provider, { ...this.config.limits, [name]: limit });
    const learned = bucketsFor(this.scope, { ...windows, [name]: limit }, this.margin).filter(on);
    if (learned.length === 0) return undefined;
    for (const b of learned) this.bases.set(b.key, b.limit);
    this.declared = [...this.declared, ...learned];
    this.recompute();
    return { bucket: (learned[0] as BucketSpec).key, name, from: undefined, to: limit };
  }

  /** An upstream 429 for a call sent at `wave.sentAt` (one decrease per wave: `AdaptiveRate`). */
  onRateLimited(wave?: { sentAt: number; now: number }): void {
    if (this.rate.onRateLimited({ sentAt: wave?.sentAt, now: wave?.now ?? this.clock.now() }))
      this.recompute();
  }

  onSuccess(): void {
    this.refresh();
  }

  /** Tokens a call sent here delivered: what the ramp limit measures. */
  recordDelivered(tokens: number): void {
    this.ramp?.record(tokens, this.clock.now());
  }

  /** The report's verdict on one bucket: its replacement and the change, or undefined to keep it. */
  private follow(
    bucket: BucketSpec,
    observation: RateLimitObservation,
  ): { bucket: BucketSpec; change: LimitChange } | undefined {
    const name = limitNameOf(bucket.dimension, bucket.per);
    if (!name || observation.limit === undefined) return undefined;
    const base = this.bases.get(bucket.key) ?? bucket.limit;
    const ceiling =
      this.config.adoptRaisedLimits === false
        ? base
        : Math.max(base, this.config.limitsCeiling?.[name] ?? Number.POSITIVE_INFINITY);
    const followed = followReport(this.streaks.get(bucket.key), {
      current: bucket.limit,
      reported: observation.limit,
      ceiling,
      windowKnown: observation.windowBasis !== 'assumed',
    });
    if (followed.streak) this.streaks.set(bucket.key, followed.streak);
    else this.streaks.delete(bucket.key);
    if (followed.limit === undefined) return undefined;
    return {
      bucket: withLimit(bucket, followed.limit),
      change: { bucket: bucket.key, name, from: bucket.limit, to: followed.limit },
    };
  }

  /** AIMD recovery and the ramp's window, as of now. */
  private refresh(): void {
    const now = this.clock.now();
    let changed = this.rate.recover(now);
    if (this.ramp && this.rampBucket) {
      const limit = this.ramp.limitAt(now);
      if (limit !== this.rampBucket.limit) {
        this.rampBucket = withLimit(this.rampBucket, limit);
        changed = true;
      }
    }
    if (changed) this.recompute();
  }

  private recompute(): void {
    const factor = this.rate.factor;
    const adapted =
      factor >= 1
        ? this.declared
        : this.declared.map((b) => (b.kind === 'concurrency' ? b : withLimit(b, b.limit * factor)));
    this.effective = [this.gate, ...adapted, ...(this.rampBucket ? [this.rampBucket] : [])];
    if (this.longContext)
      this.longEffective = this.longContext.compose(this.effective, this.longDeclaredEffective());
  }

  /** The long-context class's own buckets after AIMD. */
  private longDeclaredEffective(): BucketSpec[] {
    const factor = this.rate.factor;
    return factor >= 1
      ? this.longDeclared
      : this.longDeclared.map((b) => (b.kind === 'concurrency' ? b : withLimit(b, b.limit * factor)));
  }
}
