/**
 * Downstream callers: a tenant has a tier (free / pro / enterprise …) that
 * gives it budgets, a priority class, a longest wait and a fair-share weight.
 * A request may lower its own priority and shorten its own wait, never raise
 * or lengthen them (DESIGN.md, idea 5).
 */
import type { BucketScope, BucketSpec } from '../core/limit.js';
import type { PriorityClasses } from '../core/scheduler/priority.js';
import { bucketsFor, type LimitsConfig } from './limits.js';
import type { PromptBudgetRule } from './load/prompt-budget/budget-rule.js';

export interface TierConfig {
  limits?: LimitsConfig;
  /** Highest priority class its requests may use. Default: the configured default priority. */
  priority?: string;
  /** Longest a request may wait for admission. Default: the governor's default. */
  maxWaitMs?: number;
  /** Fair-share weight inside a priority class. Default 1. */
  weight?: number;
  /**
   * Token counts (Anthropic `count_tokens`) per minute, a budget of their own
   * that nothing else draws from. Default: the tier's `rpm`; none without one.
   */
  countTokensRpm?: number;
  /** Trims the prompts of its tenants' calls to a token budget (`load/prompt-budget/`). */
  promptBudget?: PromptBudgetRule;
}

export interface TenantConfig {
  id: string;
  tier?: string;
  /** Overrides the tier's weight. */
  weight?: number;
  /** Model groups this tenant may call (default: all). */
  modelGroups?: string[];
}

export interface Tenant {
  readonly id: string;
  readonly tier: string | undefined;
  readonly buckets: readonly BucketSpec[];
  /** The buckets token counting is charged on (and nothing else). */
  readonly countTokensBuckets: readonly BucketSpec[];
  readonly priority: number;
  readonly maxWaitMs: number;
  readonly weight: number;
  readonly modelGroups: ReadonlySet<string> | undefined;
  /** Its tier's prompt budget. */
  readonly promptBudget: PromptBudgetRule | undefined;
}

/** Whether `tenant` may call the model group `group` (its allow-list, if it has one). */
export function mayUse(tenant: Tenant, group: string): boolean {
  return tenant.modelGroups === undefined || tenant.modelGroups.has(group);
}

/** The tenant of calls that name none: always known, with no budget unless declared. */
export const DEFAULT_TENANT = 'default';

export interface TenantDirectoryOptions {
  tiers?: Record<string, TierConfig>;
  tenants?: TenantConfig[];
  /**
   * The tier of tenants the configuration does not declare (the library
   * names tenants in a header; the gateway knows them by key). Undefined:
   * an undeclared tenant is refused, so a typo never means "no limit".
   */
  unknownTenantTier?: string | undefined;
  classes: PriorityClasses;
  defaultPriority: number;
  defaultMaxWaitMs: number;
}

/** How many undeclared tenants are remembered at once (each costs its bucket specs). */
const MAX_UNDECLARED = 10_000;

export class TenantDirectory {
  private readonly known = new Map<string, Tenant>();
  private readonly undeclared = new Map<string, Tenant>();
  /** `default` when the configuration does not declare it. */
  private readonly implicitDefault: Tenant | undefined;

  constructor(private readonly options: TenantDirectoryOptions) {
    for (const config of options.tenants ?? []) this.known.set(config.id, this.build(config));
    this.implicitDefault = this.known.has(DEFAULT_TENANT)
      ? undefined
      : this.build({ id: DEFAULT_TENANT, tier: options.unknownTenantTier });
  }

  /** Whether `id` was declared (or is the always-known `default`). */
  has(id: string): boolean {
    return this.known.has(id) || id === DEFAULT_TENANT;
  }

  /**
   * The declared tenant; an undeclared one on `unknownTenantTier` when one is
   * set (bounded cache); otherwise undefined: refuse it.
   */
  resolve(id: string): Tenant | undefined {
    const known = this.known.get(id) ?? (id === DEFAULT_TENANT ? this.implicitDefault : undefined);
    if (known) return known;
    const tier = this.options.unknownTenantTier;
    if (tier === undefined) return undefined;
    let tenant = this.undeclared.get(id);
    if (!tenant) {
      if (this.undeclared.size >= MAX_UNDECLARED) this.undeclared.clear();
      tenant = this.build({ id, tier });
      this.undeclared.set(id, tenant);
    }
    return tenant;
  }

  all(): Tenant[] {
    return [...this.known.values()];
  }

  /** The class a request gets: the lower of its tier's and the one it asked for. */
  priorityFor(tenant: Tenant, requested: string | undefined): number {
    const asked = requested === undefined ? undefined : this.options.classes.indexOf(requested);
    return asked === undefined ? tenant.priority : this.options.classes.lowerOf(tenant.priority, asked);
  }

  private build(config: TenantConfig): Tenant {
    const tier = config.tier ? this.options.tiers?.[config.tier] : undefined;
    if (config.tier && !tier) throw new Error(`tenant ${config.id}: unknown tier ${config.tier}`);
    const priority =
      tier?.priority === undefined
        ? this.options.defaultPriority
        : this.options.classes.indexOf(tier.priority);
    if (priority === undefined) throw new Error(`tier ${config.tier}: unknown priority ${tier?.priority}`);
    const countTokensRpm = tier?.countTokensRpm ?? tier?.limits?.rpm;
    const scope: BucketScope = Object.freeze({ kind: 'tenant', owner: config.id });
    return Object.freeze({
      id: config.id,
      tier: config.tier,
      // A tier's budget is Sluice's own policy, not a provider limit to keep clear of: no margin.
      buckets: Object.freeze(bucketsFor(scope, tier?.limits, 0)),
      countTokensBuckets: Object.freeze(bucketsFor(scope, { rpm: countTokensRpm }, 0, 'count_tokens')),
      priority,
      maxWaitMs: tier?.maxWaitMs ?? this.options.defaultMaxWaitMs,
      weight: config.weight ?? tier?.weight ?? 1,
      modelGroups: config.modelGroups ? new Set(config.modelGroups) : undefined,
      promptBudget: tier?.promptBudget,
    });
  }
}
