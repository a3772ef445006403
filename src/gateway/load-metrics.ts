/**
 * The load signal and mitigation in Prometheus (issue 20), by model group:
 *
 * - `sluice_load_level` (gauge, 0 ok, 1 warn, 2 act): what `x-sluice-load` says;
 * - `sluice_mitigation_active{action}` (gauge, 0/1): the actions engaged now;
 * - `sluice_paused_calls` (gauge): calls waiting out a pause now;
 * - `sluice_mitigation_changes_total{action,to=on|off}`: each engage and release;
 * - `sluice_mitigated_calls_total{action}`: calls an action changed
 *   (downgraded, clamped, paused, charged a tightened budget);
 * - `sluice_alert_webhook_deliveries_total{webhook,outcome}` (no group): alert
 *   level changes delivered to, failed at or dropped for each webhook.
 *
 * The gauges are read from the governor when scraped; over `--workers` the
 * level and the actions take the worst worker, paused calls sum. The
 * counters exist once a group configures mitigation (no series that never move).
 */
import { Gauge, type Registry } from 'prom-client';
import type { GovernorEvents } from '../runtime/events.js';
import { ALERT_NAMES } from '../runtime/load/bucket-levels.js';
import { actionsOf } from '../runtime/load/mitigation-config.js';
import { HotCounter } from './hot-metrics.js';
import type { GatewayState } from './state.js';

export class LoadMetrics {
  private counters: { changes: HotCounter; mitigated: HotCounter } | undefined;
  private webhooks: HotCounter | undefined;

  constructor(
    private readonly registry: Registry,
    state: GatewayState,
  ) {
    const registers = [registry];
    const groups = () => state.governor.groups.allGroups();
    new Gauge({
      name: 'sluice_load_level',
      help: 'Load level of a model group: 0 ok, 1 warn, 2 act (the x-sluice-load header).',
      labelNames: ['group'],
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        for (const g of groups())
          this.labels(g.name).set(ALERT_NAMES.indexOf(state.governor.load(g.name).level));
      },
    });
    new Gauge({
      name: 'sluice_mitigation_active',
      help: 'Mitigation actions engaged now per model group (1: on).',
      labelNames: ['group', 'action'],
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        const mitigations = state.governor.mitigations;
        for (const g of groups()) {
          if (!g.mitigation) continue;
          const active = mitigations.active(g.name);
          for (const action of actionsOf(g.mitigation))
            this.labels(g.name, action).set(active.includes(action) ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'sluice_paused_calls',
      help: 'Calls waiting out a pause of their class while their model group mitigates.',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const g of groups())
          if (g.mitigation?.pauseClasses?.length)
            this.labels(g.name).set(state.governor.mitigations.pausedCount(g.name));
      },
    });
  }

  private get series(): { changes: HotCounter; mitigated: HotCounter } {
    this.counters ??= {
      changes: new HotCounter(
        'sluice_mitigation_changes_total',
        'Mitigation actions turned on (load reached act) or off (it dropped, after the hold), per model group.',
        ['group', 'action', 'to'],
        this.registry,
      ),
      mitigated: new HotCounter(
        'sluice_mitigated_calls_total',
        'Calls a mitigation action changed: downgraded, clamped, paused, or charged a tightened budget.',
        ['group', 'action'],
        this.registry,
      ),
    };
    return this.counters;
  }

  /** Zero series for every action a group's configuration can take. */
  declare(state: GatewayState): void {
    for (const g of state.governor.groups.allGroups()) {
      if (!g.mitigation) continue;
      const { changes, mitigated } = this.series;
      for (const action of actionsOf(g.mitigation)) {
        mitigated.declare([g.name, action]);
        changes.declare([g.name, action, 'on']);
        changes.declare([g.name, action, 'off']);
      }
    }
  }

  /** Zero series for each webhook in force (`index:host`), once some are configured. */
  declareWebhooks(labels: readonly string[]): void {
    for (const label of labels)
      for (const outcome of ['delivered', 'failed', 'dropped']) this.deliveries.declare([label, outcome]);
  }

  webhookOutcome(label: string, outcome: 'delivered' | 'failed' | 'dropped'): void {
    this.deliveries.inc([label, outcome]);
  }

  private get deliveries(): HotCounter {
    this.webhooks ??= new HotCounter(
      'sluice_alert_webhook_deliveries_total',
      'Alert level changes per webhook: delivered, failed (after its attempts, or refused with a 4xx), or dropped (queue full, reload, stop).',
      ['webhook', 'outcome'],
      this.registry,
    );
    return this.webhooks;
  }

  mitigation(e: Parameters<GovernorEvents['mitigation']>[0]): void {
    this.series.changes.inc([e.group, e.action, e.engaged ? 'on' : 'off']);
  }

  mitigatedCall(e: Parameters<GovernorEvents['mitigated']>[0]): void {
    this.series.mitigated.inc([e.group, e.action]);
  }
}
