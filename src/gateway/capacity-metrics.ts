/**
 * Reserved versus on-demand traffic in Prometheus (issue 15), counted by the
 * rules of `runtime/spillover.ts`, labelled by the request's model group, the
 * deployment and its capacity (`reserved` | `on_demand`):
 *
 * - `sluice_served_calls_total`: attempts admitted to the deployment;
 * - `sluice_served_tokens_total` (`direction`): tokens delivered;
 * - `sluice_cost_usd_total`: their cost, only for deployments with a price
 *   (registered with the first one: a configuration without prices has no
 *   cost metric rather than one that never moves, and every counter
 *   exposed exists from start, as the gateway's all do);
 * - `sluice_tenant_cost_usd_total` (`tenant`, `group`): the same cost by who
 *   spent it (registered with the first priced answer).
 *
 * A forwarded batch counts in all four once it ended (`billed`: its calls,
 * tokens, and the dollars billed at the batch price).
 *
 * The spillover share of a group over the last 5 minutes:
 *
 *     sum by (group) (rate(sluice_served_calls_total{capacity="on_demand"}[5m]))
 *       / sum by (group) (rate(sluice_served_calls_total[5m]))
 *
 * (the same with `sluice_served_tokens_total` for a share of tokens). Series
 * are kept per group and deployment, so an event is two map lookups and an
 * add; terms (capacity, price) are read once and again after a reload.
 */
import type { Registry } from 'prom-client';
import type { ProviderUsage } from '../providers/adapter.js';
import type { GovernorEvents } from '../runtime/events.js';
import { costUsd, type DeploymentTerms } from '../runtime/spillover.js';
import { HotCounter } from './hot-metrics.js';

interface Children {
  readonly terms: DeploymentTerms;
  readonly calls: { value: number };
  readonly input: { value: number };
  readonly output: { value: number };
  /** Undefined: no price, no cost series. */
  readonly cost: { value: number } | undefined;
}

export interface CapacityMetricsOptions {
  /** The terms of a deployment in the configuration in force; undefined: on-demand, no price. */
  readonly termsOf: (deployment: string) => DeploymentTerms | undefined;
}

const UNKNOWN_TERMS: DeploymentTerms = Object.freeze({ capacity: 'on_demand', price: undefined });

export class CapacityMetrics {
  private readonly calls: HotCounter;
  private readonly tokens: HotCounter;
  /** Created with the first priced deployment. */
  private cost: HotCounter | undefined;
  /** Created with the first priced answer. */
  private tenantCost: HotCounter | undefined;
  private children = new Map<string, Map<string, Children>>();

  constructor(
    private readonly registry: Registry,
    private readonly options: CapacityMetricsOptions,
  ) {
    const labels = ['group', 'deployment', 'capacity'];
    this.calls = new HotCounter(
      'sluice_served_calls_total',
      'Attempts admitted to a deployment (and a forwarded batch’s lines its Batch API answered), by the request’s model group and the deployment’s capacity (reserved | on_demand).',
      labels,
      registry,
    );
    this.tokens = new HotCounter(
      'sluice_served_tokens_total',
      'Tokens delivered by a deployment, by model group, capacity and direction.',
      [...labels, 'direction'],
      registry,
    );
  }

  /** Zero series for a group's deployments (the configuration in force declares them). */
  declare(group: string, deployments: readonly string[]): void {
    for (const d of deployments) this.childrenOf(group, d);
  }

  /** The configuration changed: terms are read again (series already exposed stay, as counters must). */
  reloaded(): void {
    this.children = new Map();
  }

  admitted(e: Parameters<GovernorEvents['admitted']>[0]): void {
    this.childrenOf(e.group, e.deployment).calls.value++;
  }

  settled(e: Parameters<GovernorEvents['settled']>[0]): void {
    const c = this.delivered(e.group, e.deployment, e.delivered);
    const price = c.terms.price;
    if (c.cost && price) this.spent(c.cost, e.tenant, e.group, costUsd(e.delivered, price));
  }

  /** A forwarded batch's calls, at the batch price (runtime/batch-billing.ts). */
  billed(e: Parameters<GovernorEvents['billed']>[0]): void {
    const c = this.delivered(e.group, e.deployment, e.delivered);
    c.calls.value += e.calls;
    if (c.cost && e.usd > 0) this.spent(c.cost, e.tenant, e.group, e.usd);
  }

  private delivered(group: string, deployment: string, delivered: ProviderUsage): Children {
    const c = this.childrenOf(group, deployment);
    c.input.value += delivered.inputTokens;
    c.output.value += delivered.outputTokens;
    return c;
  }

  /** Adds `usd` to a deployment's cost series and to the tenant's. */
  private spent(cost: { value: number }, tenant: string, group: string, usd: number): void {
    cost.value += usd;
    this.tenantCost ??= new HotCounter(
      'sluice_tenant_cost_usd_total',
      'USD of the tokens delivered at the deployments’ configured prices (a provider Batch API’s at its batch price), by tenant and model group.',
      ['tenant', 'group'],
      this.registry,
    );
    this.tenantCost.inc([tenant, group], usd);
  }

  private costCounter(): HotCounter {
    this.cost ??= new HotCounter(
      'sluice_cost_usd_total',
      'USD of the tokens delivered at the deployment’s configured price (cache reads and writes at their own rates; a provider Batch API’s at its batch price).',
      ['group', 'deployment', 'capacity'],
      this.registry,
    );
    return this.cost;
  }

  private childrenOf(group: string, deployment: string): Children {
    let byDeployment = this.children.get(group);
    if (!byDeployment) {
      byDeployment = new Map();
      this.children.set(group, byDeployment);
    }
    let c = byDeployment.get(deployment);
    if (!c) {
      const terms = this.options.termsOf(deployment) ?? UNKNOWN_TERMS;
      const labels = [group, deployment, terms.capacity];
      c = {
        terms,
        calls: this.calls.child(labels),
        input: this.tokens.child([...labels, 'input']),
        output: this.tokens.child([...labels, 'output']),
        cost: terms.price ? this.costCounter().child(labels) : undefined,
      };
      byDeployment.set(deployment, c);
    }
    return c;
  }
}
