/**
 * Estimates that learn from what providers report (issue 14). Admission
 * must predict what the provider's limiter will charge; the adapters
 * estimate as each limiter is documented to count (each adapter's `estimate.ts`),
 * and this corrects them per deployment with what usage shows:
 *
 * - the prompt ratio (`prompt-ratio.ts`): reported ÷ estimated input tokens;
 * - the cached share of a prompt prefix (`cache-shares.ts`), for providers
 *   whose limiter does not count cache reads;
 * - answer lengths per group and tenant (`output-lengths.ts`), for requests
 *   without an output maximum where the provider charges none at admission.
 *
 * Settlement stays exact: it charges what usage reports, whatever was
 * reserved. Learning is per `Deployment` object (a WeakMap), so a deployment
 * whose config changes starts afresh. `learn: false` turns it all off.
 */
import { type Cost, costOf } from '../../core/cost.js';
import type { CachedPrefix, ProviderUsage } from '../../providers/adapter.js';
import type { Deployment } from '../deployment.js';
import { CacheShares } from './cache-shares.js';
import { OutputLengths } from './output-lengths.js';
import { PromptRatio } from './prompt-ratio.js';

export interface EstimateLearningOptions {
  /** Learn from usage and correct later estimates. Default true. */
  learn?: boolean;
}

/** What admission starts from: the adapter's estimate, when there is one (not a caller's own cost). */
export interface EstimateBasis {
  readonly cost: Cost;
  /** False when the caller named the cost itself (`schedule()`): nothing to correct or learn. */
  readonly estimated: boolean;
  readonly cachedPrefix?: CachedPrefix | undefined;
  /** The provider's admission rule for the prompt (`RequestEstimate.inputFloor`): no correction goes below it. */
  readonly inputFloor?: number | undefined;
}

interface Learned {
  readonly prompt: PromptRatio;
  readonly cache: CacheShares;
}

export class LearnedEstimates {
  readonly enabled: boolean;
  private readonly byDeployment = new WeakMap<Deployment, Learned>();
  private readonly outputs = new OutputLengths();

  constructor(options: EstimateLearningOptions = {}) {
    this.enabled = options.learn !== false;
  }

  /** The prompt ratio learned for `deployment` (1 before any usage). */
  promptRatio(deployment: Deployment): number {
    return this.byDeployment.get(deployment)?.prompt.ratio ?? 1;
  }

  /** Output tokens to reserve for a request of `group` by `tenant` that sets no maximum, once learned. */
  outputFor(group: string, tenant: string): number | undefined {
    return this.enabled ? this.outputs.lengthFor(group, tenant) : undefined;
  }

  /**
   * What a call priced at `cost` is expected to keep of its buckets once
   * settled: its output reservation cut to the answer length learned for
   * its group and tenant (the reservation above it is refunded at
   * settlement). The queue's wait forecast counts this for the work ahead
   * (`queued-cost.ts`): counting a no-`max_tokens` call's 16 384 reserved
   * output as spent made it refuse calls it could serve.
   */
  kept(cost: Cost, who: { group: string; tenant: string }): Cost {
    const answer = this.outputFor(who.group, who.tenant);
    if (answer === undefined || answer >= cost.outputTokens) return cost;
    return costOf(cost.inputTokens, answer, cost.requests);
  }

  /**
   * The cost to admit on `deployment`, priced again before every attempt so
   * a call that waited is charged with what was learned meanwhile.
   */
  price(deployment: Deployment, basis: EstimateBasis): Cost {
    const learned = this.enabled && basis.estimated ? this.byDeployment.get(deployment) : undefined;
    if (!learned) return atLeastFloor(basis);
    const { cost, cachedPrefix } = basis;
    const ratio = learned.prompt.ratio;
    let input = cost.inputTokens * ratio;
    if (cachedPrefix) {
      const prefix = Math.min(cachedPrefix.inputTokens, cost.inputTokens);
      const share = learned.cache.shareOf(cachedPrefix.key);
      // What follows the prefix is always charged; of the prefix, what the cache is seen to serve is not.
      input = Math.max((cost.inputTokens - prefix) * ratio, input - share * prefix);
    }
    input = Math.max(input, basis.inputFloor ?? 0);
    if (input === cost.inputTokens) return cost;
    return costOf(Math.max(0, Math.ceil(input)), cost.outputTokens, cost.requests);
  }

  /** A settled attempt: learn from the provider's usage (refusals settle with zero usage and teach nothing). */
  learn(
    deployment: Deployment,
    basis: EstimateBasis,
    usage: ProviderUsage | undefined,
    who: { group: string; tenant: string },
  ): void {
    if (!this.enabled || !basis.estimated || !usage || !(usage.inputTokens > 0)) return;
    this.outputs.observe(who.group, who.tenant, usage.outputTokens);
    this.learnPrompt(deployment, basis, usage);
  }

  /**
   * The input side alone: from a complete usage, or from a stream cut after
   * its first usage event (Anthropic's `message_start`, OpenAI's usage
   * chunk), whose prompt count is final though its answer is not.
   */
  learnPrompt(deployment: Deployment, basis: EstimateBasis, usage: ProviderUsage): void {
    if (!this.enabled || !basis.estimated || !(usage.inputTokens > 0)) return;
    let learned = this.byDeployment.get(deployment);
    if (!learned) {
      learned = { prompt: new PromptRatio(), cache: new CacheShares() };
      this.byDeployment.set(deployment, learned);
    }
    const { cachedPrefix } = basis;
    const cacheRead = usage.cacheReadTokens ?? 0;
    // Where cache reads are not charged (a prefix was marked), the prompt the provider counted includes them.
    const prompt = usage.inputTokens + (cachedPrefix ? cacheRead : 0);
    learned.prompt.observe(basis.cost.inputTokens, prompt);
    // What the cache holds after this call: what it read, plus what it wrote for the next call to read.
    const cached = cacheRead + (usage.cacheWriteTokens ?? 0);
    if (cachedPrefix) learned.cache.observe(cachedPrefix.key, cachedPrefix.inputTokens, cached);
  }
}

/** The estimate, raised to the provider's admission rule for the prompt where it has one. */
function atLeastFloor(basis: EstimateBasis): Cost {
  const { cost, inputFloor } = basis;
  if (inputFloor === undefined || cost.inputTokens >= inputFloor) return cost;
  return costOf(inputFloor, cost.outputTokens, cost.requests);
}
