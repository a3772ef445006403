/**
 * Reserved versus on-demand traffic (issue 15): how much of each model
 * group's traffic the reserved deployments served and how much spilled to
 * on-demand ones, and what the traffic cost where a deployment has a price.
 * The rules are here once; the gateway's Prometheus counters
 * (`gateway/capacity-metrics.ts`), the dashboard and the library's
 * `spillover()` all count by them:
 *
 * - a call is an attempt admitted to a deployment (the `admitted` event):
 *   where the governor sent it, which is what spillover is about;
 * - tokens are what was delivered (`settled.delivered`), never an estimate,
 *   as `sluice_tokens_total` counts them;
 * - cost prices the prompt tokens the provider read fresh at the input
 *   price, those it read from or wrote to its prompt cache at the price's
 *   cached-input and cache-write rates (the input price where the price
 *   names none, so the figure errs high, never low), and the output tokens
 *   (reasoning included, as the providers bill them) at the output price.
 */
import type { ProviderUsage } from '../providers/adapter.js';
import type { DeploymentCapacity, DeploymentConfig, DeploymentPrice } from './deployment.js';
import type { GovernorObserver } from './events.js';
import type { GovernorTopology } from './model-groups.js';
import { promptTokensOf } from './size-class.js';

/** What a deployment's traffic is counted as. */
export interface DeploymentTerms {
  readonly capacity: DeploymentCapacity;
  /** Undefined: the deployment has no price and its traffic no cost. */
  readonly price: DeploymentPrice | undefined;
}

/** Deployments are on-demand unless declared reserved. */
export function termsOf(config: Pick<DeploymentConfig, 'capacity' | 'price'>): DeploymentTerms {
  return Object.freeze({ capacity: config.capacity ?? 'on_demand', price: config.price });
}

/** Terms of every deployment a topology declares, by id. */
export function termsByDeployment(
  topology: Pick<GovernorTopology, 'modelGroups'>,
): Map<string, DeploymentTerms> {
  const out = new Map<string, DeploymentTerms>();
  for (const group of Object.values(topology.modelGroups))
    for (const d of group.deployments) out.set(d.id, termsOf(d));
  return out;
}

/** USD for `usage` at `price` (per million tokens). */
export function costUsd(usage: ProviderUsage, price: DeploymentPrice): number {
  const read = usage.cacheReadTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const fresh = Math.max(0, promptTokensOf(usage) - read - written);
  return (
    (fresh * price.inputPerMTok +
      read * (price.cachedInputPerMTok ?? price.inputPerMTok) +
      written * (price.cacheWritePerMTok ?? price.inputPerMTok) +
      usage.outputTokens * price.outputPerMTok) /
    1_000_000
  );
}

/** Calls, tokens and cost of one share of traffic. */
export interface ServedCounts {
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Null when no deployment in it has a price. */
  readonly costUsd: number | null;
}

export interface DeploymentServed extends ServedCounts {
  readonly deployment: string;
  readonly capacity: DeploymentCapacity;
}

export interface GroupSpillover {
  readonly group: string;
  readonly reserved: ServedCounts;
  readonly onDemand: ServedCounts;
  /** On-demand calls ÷ all calls; null before the group's first call. */
  readonly spilloverShare: number | null;
  readonly deployments: readonly DeploymentServed[];
}

interface Row {
  readonly terms: DeploymentTerms;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface SpilloverTallyOptions {
  /** A deployment's terms; undefined (a deployment no longer configured): on-demand, no price. */
  readonly termsOf: (deployment: string) => DeploymentTerms | undefined;
}

const UNKNOWN_TERMS: DeploymentTerms = Object.freeze({ capacity: 'on_demand', price: undefined });

/**
 * Counts since start per model group and deployment, fed by the governor's
 * events: a map lookup and a few adds per event. Terms are read once per
 * group and deployment.
 */
export class SpilloverTally {
  private readonly groups = new Map<string, Map<string, Row>>();

  constructor(private readonly options: SpilloverTallyOptions) {}

  observer(): GovernorObserver {
    return {
      admitted: (e) => {
        this.rowOf(e.group, e.deployment).calls++;
      },
      settled: (e) => {
        const row = this.rowOf(e.group, e.deployment);
        const delivered = e.delivered;
        row.inputTokens += delivered.inputTokens;
        row.outputTokens += delivered.outputTokens;
        const price = row.terms.price;
        if (price) row.costUsd += costUsd(delivered, price);
      },
      billed: (e) => {
        const row = this.rowOf(e.group, e.deployment);
        row.calls += e.calls;
        row.inputTokens += e.delivered.inputTokens;
        row.outputTokens += e.delivered.outputTokens;
        if (row.terms.price) row.costUsd += e.usd;
      },
    };
  }

  /** Lists a group's deployments at zero, so a report shows them before their first call. */
  declare(group: string, deployments: readonly string[]): void {
    for (const d of deployments) this.rowOf(group, d);
  }

  /** Every group declared or seen, with its deployments, in the order they were first declared or seen. */
  report(): GroupSpillover[] {
    return [...this.groups].map(([group, rows]) => {
      const deployments = [...rows].map(([deployment, row]) => ({
        deployment,
        capacity: row.terms.capacity,
        calls: row.calls,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        costUsd: row.terms.price ? row.costUsd : null,
      }));
      const reserved = sumOf(deployments.filter((d) => d.capacity === 'reserved'));
      const onDemand = sumOf(deployments.filter((d) => d.capacity === 'on_demand'));
      return {
        group,
        reserved,
        onDemand,
        spilloverShare: shareOf(reserved.calls, onDemand.calls),
        deployments,
      };
    });
  }

  private rowOf(group: string, deployment: string): Row {
    let rows = this.groups.get(group);
    if (!rows) {
      rows = new Map();
      this.groups.set(group, rows);
    }
    let row = rows.get(deployment);
    if (!row) {
      const terms = this.options.termsOf(deployment) ?? UNKNOWN_TERMS;
      row = { terms, calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      rows.set(deployment, row);
    }
    return row;
  }
}

/** On-demand ÷ all; null when there was nothing to share. */
export function shareOf(reserved: number, onDemand: number): number | null {
  const all = reserved + onDemand;
  return all > 0 ? onDemand / all : null;
}

function sumOf(rows: readonly DeploymentServed[]): ServedCounts {
  let calls = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | null = null;
  for (const r of rows) {
    calls += r.calls;
    inputTokens += r.inputTokens;
    outputTokens += r.outputTokens;
    if (r.costUsd !== null) cost = (cost ?? 0) + r.costUsd;
  }
  return { calls, inputTokens, outputTokens, costUsd: cost };
}
