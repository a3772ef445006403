/**
 * Service tiers as capacity (issue 15). A provider's tiers are capacities of
 * their own: OpenAI Flex, Standard and Ultrafast have separate limits, while
 * Fast (Priority) shares Standard's; Gemini's standard / flex / priority
 * likewise (PROVIDERS.md, "2026 changes a governor must follow"). So one
 * upstream (provider, base URL, key, model) is configured as one deployment
 * per tier it sends, each with that tier's limits; tiers that share limits
 * point both deployments at one pool.
 *
 * The tier asked for is not always the tier served: OpenAI downgrades Fast
 * to Standard under a fast ramp, Gemini downgrades Priority. The answer
 * says which tier served it, and the call is charged there: settled on the
 * sibling deployment of that tier, released from the one it was sent on.
 */
import type { BucketSpec } from '../core/limit.js';
import type { ProviderUsage } from '../providers/adapter.js';
import { canonicalTier, defaultTierOf } from '../providers/service-tier.js';
import type { Reassignment } from '../stores/store.js';
import type { Deployment } from './deployment.js';
import { promptTokensOf, reassignment, type SizeClass } from './size-class.js';

/** An answer served at another tier than its deployment's. */
export interface TierChange {
  readonly deployment: Deployment;
  /** The deployment's tier (canonical). */
  readonly sent: string;
  /** The tier the answer reports (canonical). */
  readonly served: string;
  /** The sibling charged instead; undefined when the upstream has no deployment of that tier (charged as sent). */
  readonly chargedTo: Deployment | undefined;
}

export interface TierSiblingsOptions {
  /** The pool buckets a deployment draws from (pools shared by two tiers stay charged either way). */
  poolBuckets: (deployment: Deployment) => readonly BucketSpec[];
  /** An answer was served at another tier (counted: `sluice_service_tier_changes_total`). */
  onChange?: ((change: TierChange) => void) | undefined;
}

/** Where a settling call's usage goes when its answer reports another tier. */
export interface TierMove {
  readonly change: TierChange;
  /** What moves from the reservation to the served tier's deployment (undefined: nothing does). */
  readonly reassign: Reassignment | undefined;
}

/** The tier a deployment's calls are served at when nothing changes it (its own, else the provider's default). */
export function tierOf(deployment: Deployment): string {
  const { provider, serviceTier } = deployment.config;
  return canonicalTier(provider, serviceTier ?? defaultTierOf(provider));
}

/** The deployments of each upstream by the tier they send, for one topology. */
export class TierSiblings {
  private readonly byUpstream = new Map<string, Map<string, Deployment>>();
  private readonly poolBuckets: TierSiblingsOptions['poolBuckets'];
  private readonly onChange: TierSiblingsOptions['onChange'];

  constructor(deployments: Iterable<Deployment>, options: TierSiblingsOptions) {
    this.poolBuckets = options.poolBuckets;
    this.onChange = options.onChange;
    for (const deployment of deployments) {
      const key = upstreamOf(deployment);
      let tiers = this.byUpstream.get(key);
      if (!tiers) {
        tiers = new Map();
        this.byUpstream.set(key, tiers);
      }
      // Two deployments of one upstream and tier (listed in two groups): the first listed is charged.
      const tier = tierOf(deployment);
      if (!tiers.has(tier)) tiers.set(tier, deployment);
    }
  }

  /** Where `usage` served by `deployment` belongs, when its answer reports another tier; else undefined. */
  changeOf(deployment: Deployment, usage: ProviderUsage): TierChange | undefined {
    if (usage.serviceTier === undefined) return undefined;
    const sent = tierOf(deployment);
    const served = canonicalTier(deployment.config.provider, usage.serviceTier);
    if (served === sent) return undefined;
    const chargedTo = this.byUpstream.get(upstreamOf(deployment))?.get(served);
    // A deployment that names no tier and has no sibling of the served one takes whatever the
    // provider serves it (a Scale Tier project, Groq's `on_demand`): nothing to move or count.
    if (deployment.config.serviceTier === undefined && !chargedTo) return undefined;
    return { deployment, sent, served, chargedTo };
  }

  /**
   * At settlement (once per call): when the answer reports another tier
   * than `deployment` sends and the upstream has a deployment of that tier,
   * the reservation's buckets of `deployment` and its pools are released
   * and the served tier's (in the size class its usage shows there) are
   * charged; buckets both share (a pool, the tenant's) settle as usual.
   * Undefined when the call stays where it was reserved (no change, or no
   * sibling of the served tier: then it is charged as sent).
   */
  move(
    deployment: Deployment,
    estimated: SizeClass,
    reserved: readonly BucketSpec[],
    usage: ProviderUsage,
  ): TierMove | undefined {
    const change = this.changeOf(deployment, usage);
    if (!change) return undefined;
    this.onChange?.(change);
    const sibling = change.chargedTo;
    if (!sibling) return undefined;
    const context = promptTokensOf(usage);
    const actual = context === 0 ? 'standard' : sibling.sizeClassOf(context);
    return {
      change,
      reassign: reassignment(
        reserved,
        this.bucketsOf(deployment, estimated),
        this.bucketsOf(sibling, actual),
      ),
    };
  }

  /** A deployment's own and pool buckets for a call of `sizeClass`. */
  private bucketsOf(deployment: Deployment, sizeClass: SizeClass): BucketSpec[] {
    return [...deployment.buckets(sizeClass), ...this.poolBuckets(deployment)];
  }
}

/** One upstream: what must be equal for two deployments to be tiers of the same capacity. */
function upstreamOf(deployment: Deployment): string {
  const { provider, apiKey, model } = deployment.config;
  return JSON.stringify([provider, deployment.baseUrl, deployment.baseQuery.toString(), apiKey ?? '', model]);
}
