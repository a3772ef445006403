/**
 * The topology the governor routes over: model groups (the names clients ask
 * for) → deployments, shared pools (org / project limits), fallbacks between
 * groups, and the tenant directory. Built from configuration and validated
 * once; a reload builds a new one and keeps the state of unchanged
 * deployments.
 */
import type { Clock } from '../core/clock.js';
import type { BucketSpec } from '../core/limit.js';
import type { PriorityClasses } from '../core/scheduler/priority.js';
import { type WeightedChoice, WeightedTurns } from '../core/scheduler/weighted-turns.js';
import { type ApiFamily, familiesOf } from '../providers/api-family.js';
import { type AdapterOptionsByKind, createAdapter } from '../providers/registry.js';
import type { AdaptiveRateOptions } from './adaptive-rate.js';
import type { CircuitOptions } from './circuit-breaker.js';
import { Deployment, type DeploymentConfig } from './deployment.js';
import type { Emit } from './events.js';
import { bucketsFor, type LimitsConfig } from './limits.js';
import type { MitigationConfig } from './load/mitigation-config.js';
import type { PromptBudgetRule } from './load/prompt-budget/budget-rule.js';
import type { RetryOptions } from './retry-policy.js';
import { TierSiblings } from './service-tier.js';
import { mayUse, type Tenant, type TenantConfig, TenantDirectory, type TierConfig } from './tenants.js';

export interface ModelGroupConfig {
  deployments: DeploymentConfig[];
  /** Groups to try, in order, when every deployment of this one fails or is full. */
  fallbacks?: string[];
  /** Send eligible requests to a cheaper group when this one's headroom is below the threshold. */
  downgrade?: { to: string; whenHeadroomBelow: number };
  /** The group's response cache (`src/cache/`). */
  cache?: GroupCacheConfig;
  /** What the group does on its own while its load is `act`. */
  mitigation?: MitigationConfig;
  /** Trims prompts of calls to this group to a token budget (`load/prompt-budget/`). */
  promptBudget?: PromptBudgetRule;
}

export interface GroupCacheConfig {
  readonly mode: 'exact' | 'semantic';
  readonly ttlMs: number;
  /** Cosine similarity a semantic match needs (default 0.95). */
  readonly similarity?: number;
  /** The group that embeds last user messages (semantic mode). */
  readonly embeddings?: string;
  /** `tenant`: a tenant reads only its own entries; `shared`: every tenant reads every entry. */
  readonly scope: 'tenant' | 'shared';
  /** How old an entry may be when served because no deployment can serve (undefined: never stale). */
  readonly staleTtlMs?: number;
}

export interface GovernorTopology {
  modelGroups: Record<string, ModelGroupConfig>;
  pools?: Record<string, LimitsConfig>;
  tiers?: Record<string, TierConfig>;
  tenants?: TenantConfig[];
  /** The tier of tenants the configuration does not declare; undefined: they are refused. */
  unknownTenantTier?: string;
  /** Share of every limit never handed out. Default 0.1. */
  safetyMargin?: number;
  /** Priority class of tenants whose tier names none. Default `normal` (or the middle class). */
  defaultPriority?: string;
  /** Longest wait for admission when the tier names none. Default 30 s. */
  defaultMaxWaitMs?: number;
  retry?: RetryOptions;
  circuit?: CircuitOptions;
  adaptive?: AdaptiveRateOptions;
  adapters?: Partial<AdapterOptionsByKind>;
}

export class TopologyError extends Error {
  readonly code = 'invalid_topology';
}

export class ModelGroup {
  /** The APIs some deployment of the group speaks natively (others reach it translated, chat calls only). */
  readonly families: ReadonlySet<ApiFamily>;
  readonly fallbacks: readonly string[];
  readonly downgrade: ModelGroupConfig['downgrade'];
  readonly cache: GroupCacheConfig | undefined;
  /** What the group does on its own while its load is `act`. */
  readonly mitigation: MitigationConfig | undefined;
  /** The prompt budget the group sets (a tier may set a smaller one). */
  readonly promptBudget: PromptBudgetRule | undefined;

  constructor(
    readonly name: string,
    readonly deployments: readonly Deployment[],
    config: Omit<ModelGroupConfig, 'deployments'> = {},
  ) {
    this.fallbacks = config.fallbacks ?? [];
    this.downgrade = config.downgrade;
    this.cache = config.cache;
    this.mitigation = config.mitigation;
    this.promptBudget = config.promptBudget;
    this.families = new Set(deployments.flatMap((d) => familiesOf(d.config.provider)));
    this.turnOf = turnsOf(deployments);
  }

  /** `deployment`'s identity and share in this group's weighted turns. */
  turn(deployment: Deployment): WeightedChoice {
    return this.turnOf.get(deployment) ?? { id: deployment.id, weight: 1 };
  }

  /** Weighted turns among this group's deployments: their weights split its traffic. */
  readonly turns = new WeightedTurns();
  private readonly turnOf: ReadonlyMap<Deployment, WeightedChoice>;

  /**
   * `open` (deployments of this group) in the order placement offers them:
   * reserved capacity first, and where on-demand begins when the group has
   * both (on-demand takes only what reserved cannot serve before a deadline).
   */
  arrange(open: readonly Deployment[]): { deployments: Deployment[]; spillFrom: number | undefined } {
    const reserved = open.filter((d) => d.config.capacity === 'reserved');
    if (reserved.length === 0 || reserved.length === open.length)
      return { deployments: [...open], spillFrom: undefined };
    const onDemand = open.filter((d) => d.config.capacity !== 'reserved');
    return { deployments: [...reserved, ...onDemand], spillFrom: reserved.length };
  }

  /** Whether a call of `family` reaches this group: natively, or (a chat call) translated. */
  answers(family: ApiFamily): boolean {
    return this.families.has(family) || this.deployments.some((d) => d.config.apiKey !== undefined);
  }
}

/** Limits that size a deployment, most telling first: the first every deployment declares sizes them all. */
const SIZING_LIMITS = ['rpm', 'tpm', 'itpm', 'rps', 'tps', 'rpd', 'tpd', 'concurrency'] as const;

/**
 * Each deployment's share of the group's traffic: its configured weights
 * when any is configured (1 where not), otherwise its size by the first
 * limit every deployment declares, so a burst spreads in proportion to
 * what each can take (two keys of 60 and 120 RPM: one third, two thirds);
 * equal shares when nothing compares them.
 */
function turnsOf(deployments: readonly Deployment[]): Map<Deployment, WeightedChoice> {
  const configured = deployments.some((d) => d.config.weight !== undefined);
  const sizing = configured
    ? undefined
    : SIZING_LIMITS.find((name) => deployments.every((d) => (d.config.limits?.[name] ?? 0) > 0));
  return new Map(
    deployments.map((d) => [
      d,
      Object.freeze({ id: d.id, weight: sizing ? (d.config.limits?.[sizing] as number) : d.weight }),
    ]),
  );
}

export class ModelGroups {
  readonly tenants: TenantDirectory;
  readonly margin: number;
  /** Retry and answer policy of this topology. */
  readonly retry: RetryOptions | undefined;
  private readonly groups = new Map<string, ModelGroup>();
  private readonly byId = new Map<string, Deployment>();
  private readonly pools = new Map<string, BucketSpec[]>();

  constructor(
    topology: GovernorTopology,
    classes: PriorityClasses,
    context: {
      emit: Emit;
      /** The governor's clock: deployments' AIMD recovery and ramp windows run on it. */
      clock?: Clock;
      /** The topology this one replaces: unchanged deployments are kept with their state. */
      previous?: ModelGroups;
    },
  ) {
    const { emit, clock, previous } = context;
    this.margin = topology.safetyMargin ?? 0.1;
    this.retry = topology.retry;
    const defaultPriority =
      classes.indexOf(topology.defaultPriority ?? 'normal') ?? Math.floor(classes.size / 2);
    this.tenants = new TenantDirectory({
      tiers: topology.tiers,
      tenants: topology.tenants,
      unknownTenantTier: topology.unknownTenantTier,
      classes,
      defaultPriority,
      defaultMaxWaitMs: topology.defaultMaxWaitMs ?? 30_000,
    });
    for (const [name, limits] of Object.entries(topology.pools ?? {})) {
      checkName('pool', name);
      this.pools.set(name, bucketsFor({ kind: 'pool', owner: name }, limits, this.margin));
    }
    for (const [name, config] of Object.entries(topology.modelGroups)) {
      if (config.deployments.length === 0) throw new TopologyError(`model group ${name} has no deployments`);
      const deployments = config.deployments.map((dc) => {
        checkName('deployment', dc.id);
        if (this.byId.has(dc.id)) throw new TopologyError(`deployment id ${dc.id} is used twice`);
        for (const pool of dc.pools ?? []) {
          if (!this.pools.has(pool))
            throw new TopologyError(`deployment ${dc.id} names unknown pool ${pool}`);
        }
        const kept = previous?.byId.get(dc.id);
        const deployment =
          kept && sameConfig(kept.config, dc) && previous?.margin === this.margin
            ? kept
            : new Deployment(dc, {
                adapter: createAdapter(dc.provider, topology.adapters?.[dc.provider] as never),
                margin: this.margin,
                circuit: topology.circuit,
                adaptive: topology.adaptive,
                retry: topology.retry,
                onCircuitChange: (d, state) => emit('circuit', { deployment: d.id, state }),
                clock,
              });
        this.byId.set(dc.id, deployment);
        return deployment;
      });
      this.groups.set(name, new ModelGroup(name, deployments, config));
    }
    const serviceTiers = new TierSiblings(this.byId.values(), {
      poolBuckets: (d) => this.poolBuckets(d),
      onChange: (c) =>
        emit('serviceTier', {
          deployment: c.deployment.id,
          sent: c.sent,
          served: c.served,
          chargedTo: c.chargedTo?.id,
        }),
    });
    for (const deployment of this.byId.values()) deployment.joinTiers(serviceTiers);
    for (const group of this.groups.values()) {
      for (const fallback of group.fallbacks) {
        if (!this.groups.has(fallback))
          throw new TopologyError(`model group ${group.name} falls back to unknown group ${fallback}`);
      }
      if (group.downgrade && !this.groups.has(group.downgrade.to)) {
        throw new TopologyError(
          `model group ${group.name} downgrades to unknown group ${group.downgrade.to}`,
        );
      }
      if (group.mitigation?.downgradeTiers?.length && !group.downgrade) {
        throw new TopologyError(
          `model group ${group.name} mitigates by downgrading but has no downgrade group to send calls to`,
        );
      }
    }
  }

  group(name: string): ModelGroup | undefined {
    return this.groups.get(name);
  }

  allGroups(): ModelGroup[] {
    return [...this.groups.values()];
  }

  deployments(): Deployment[] {
    return [...this.byId.values()];
  }

  deployment(id: string): Deployment | undefined {
    return this.byId.get(id);
  }

  poolNames(): string[] {
    return [...this.pools.keys()];
  }

  poolBucketsByName(name: string): readonly BucketSpec[] {
    return this.pools.get(name) ?? [];
  }

  /** The buckets of every pool `deployment` draws from. */
  poolBuckets(deployment: Deployment): BucketSpec[] {
    const out: BucketSpec[] = [];
    for (const pool of deployment.config.pools ?? []) out.push(...(this.pools.get(pool) ?? []));
    return out;
  }

  /**
   * `group` then its fallbacks (transitively, each once), whatever API they
   * speak (a call crosses to another family translated, `crossing.ts`), that
   * `tenant` may use: a fallback it may not use is skipped, its own
   * fallbacks are not.
   */
  chain(group: ModelGroup, tenant: Tenant): ModelGroup[] {
    const seen: ModelGroup[] = [];
    const visit = (g: ModelGroup) => {
      if (seen.includes(g)) return;
      seen.push(g);
      for (const name of g.fallbacks) {
        const next = this.groups.get(name);
        if (next) visit(next);
      }
    };
    visit(group);
    return seen.filter((g) => mayUse(tenant, g.name));
  }

  /** The cheaper group `group` may downgrade to, when `tenant` may use it. */
  downgradeOf(group: ModelGroup, tenant: Tenant): ModelGroup | undefined {
    const to = group.downgrade ? this.groups.get(group.downgrade.to) : undefined;
    return to && mayUse(tenant, to.name) ? to : undefined;
  }
}

function checkName(kind: string, name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TopologyError(
      `${kind} name ${JSON.stringify(name)} may only use letters, digits, '.', '_' and '-'`,
    );
  }
}

function sameConfig(a: DeploymentConfig, b: DeploymentConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
