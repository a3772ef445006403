/**
 * The live dashboard the gateway serves at `/dashboard` (DESIGN.md idea 10):
 * a recorder fed by the governor's events, a once-a-second reading of the
 * gateway's state, the admin API that serves both as JSON and as a live
 * stream, and the page itself. The gateway creates one, hands its observer
 * to the governor, mounts its routes and closes it when it drains.
 */

import type { Cancel, Clock } from '../core/clock.js';
import { PriorityClasses } from '../core/scheduler/priority.js';
import { DEFAULT_PRIORITIES, type GatewayConfig } from '../gateway/config/schema.js';
import type { GatewayLogger } from '../gateway/logging.js';
import type { GatewayMetrics } from '../gateway/metrics.js';
import type { Router } from '../gateway/routes.js';
import type { GatewayState } from '../gateway/state.js';
import { readHistory } from '../history/history-read.js';
import type { HistoryStore } from '../history/history-store.js';
import type { GovernorObserver } from '../runtime/events.js';
import { readAccuracyTotals } from './accuracy-totals.js';
import { AdminKey } from './admin-key.js';
import { AdminAuthThrottle } from './admin-throttle.js';
import { defaultAssetsDir } from './assets.js';
import { readCounterTotals } from './counter-totals.js';
import { historySpan, historyView } from './history-view.js';
import { limitLines, perMinuteLimits } from './limit-lines.js';
import { LiveStream, type SnapshotFor } from './live-stream.js';
import { mergeSnapshots } from './merge-snapshots.js';
import { TimeSeriesRecorder } from './recorder.js';
import { mountDashboardRoutes } from './routes.js';
import { type LastObservations, shapeSnapshot } from './snapshot.js';
import type { DashboardSnapshot, HistoryRange, HistoryView } from './wire.js';

export interface DashboardOptions {
  /** The configuration in force (a reload may change the admin key and thresholds). */
  config: () => GatewayConfig;
  state: GatewayState;
  metrics: GatewayMetrics;
  clock: Clock;
  logger: GatewayLogger;
  /** Whether the gateway is draining. */
  draining: () => boolean;
  /** Where the built page is (default: `dist/dashboard/`). */
  assetsDir?: string;
  /** How often state is read and pages are updated (default 1 s). */
  tickMs?: number;
  /**
   * The other workers' own snapshots (`--workers N`, asked through the
   * primary): merged into every answer so the page shows the whole gateway.
   */
  peers?: () => Promise<readonly DashboardSnapshot[]>;
  /** The recorded history (`src/history/`) the 1 h / 24 h / 7 d views read; undefined when it is off. */
  history?: HistoryStore | undefined;
}

export class Dashboard {
  readonly recorder: TimeSeriesRecorder;
  readonly stream: LiveStream;
  readonly assetsDir: string;
  private readonly adminThrottle = new AdminAuthThrottle();
  private readonly tickMs: number;
  private nextTickAt: number;
  private cancelTick: Cancel | undefined;
  private adminKeyFor: { config: GatewayConfig['admin']; key: AdminKey | undefined } | undefined;

  constructor(private readonly options: DashboardOptions) {
    const config = options.config();
    this.assetsDir = options.assetsDir ?? defaultAssetsDir();
    // Priority classes are fixed at start (a reload cannot change them).
    this.recorder = new TimeSeriesRecorder({
      clock: options.clock,
      // The governor's classes: the configured ones, then `background`.
      priorities: new PriorityClasses(config.priorities ?? DEFAULT_PRIORITIES).names,
    });
    this.stream = new LiveStream({
      read: () => this.read(),
      onError: (error) => options.logger.warn({ err: error }, 'dashboard: reading the gateway failed'),
    });
    this.tickMs = options.tickMs ?? 1_000;
    this.nextTickAt = options.clock.now();
    this.scheduleTick();
  }

  /** The recorded history over `range`, downsampled; undefined when the gateway records none. */
  async historyView(range: HistoryRange): Promise<HistoryView | undefined> {
    const store = this.options.history;
    if (!store) return undefined;
    const now = this.options.clock.now();
    const { from, to } = historySpan(range, now);
    return historyView(await readHistory(store, from, to - 1), range, now);
  }

  /** Feeds the time series; the gateway adds it to the governor's observers. */
  observer(): GovernorObserver {
    return this.recorder.observer();
  }

  mount(router: Router): void {
    mountDashboardRoutes(router, this);
  }

  /** The admin key in force; undefined when the config sets none (the admin API is then off). */
  adminKey(): AdminKey | undefined {
    const admin = this.options.config().admin;
    if (this.adminKeyFor?.config !== admin) this.adminKeyFor = { config: admin, key: AdminKey.from(admin) };
    return this.adminKeyFor?.key;
  }

  /** Ms until `source` may present an admin key again (0: now). */
  adminRetryAfterMs(source: string): number {
    return this.adminThrottle.retryAfterMs(source, this.options.clock.now());
  }

  /** A refused admin key from `source`: throttled, counted, and logged at most once a second per source. */
  adminAuthFailed(source: string, outcome: 'wrong_key' | 'throttled'): void {
    this.options.metrics.recordAdminAuthFailure(outcome);
    const tally = this.adminThrottle.fail(source, this.options.clock.now(), outcome);
    if (tally) {
      this.options.logger.warn(
        { source: tally.source, wrong_keys: tally.wrongKeys, throttled: tally.throttled },
        'admin API: wrong admin key',
      );
    }
  }

  /** The whole picture, the full 15 minutes of series included (every worker's under `--workers N`). */
  async snapshot(): Promise<DashboardSnapshot> {
    return (await this.read())(undefined).snapshot;
  }

  /** This process's picture alone: what a worker answers its peers. */
  async localSnapshot(): Promise<DashboardSnapshot> {
    return (await this.readLocal())(undefined).snapshot;
  }

  /** Ends the live streams (gateway drain); the state endpoint keeps answering until the server closes. */
  close(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.stream.close('shutting_down');
  }

  /**
   * Ticks on the injected clock (tests move it by hand), on a fixed grid as
   * `setInterval` would: a slow tick does not shift the next ones, and a
   * process that stalled ticks once, not once per missed second.
   */
  private scheduleTick(): void {
    const now = this.options.clock.now();
    this.nextTickAt = Math.max(this.nextTickAt + this.tickMs, now);
    this.cancelTick = this.options.clock.schedule(this.nextTickAt - now, () => {
      try {
        this.tick();
      } finally {
        if (this.cancelTick) this.scheduleTick();
      }
    });
  }

  private tick(): void {
    try {
      const state = this.options.state;
      this.recorder.sampleQueues(state.queues());
      const deployments = state.deployments();
      this.recorder.sampleLimits(limitLines(deployments));
      this.recorder.sampleDeploymentLimits(deployments.map(perMinuteLimits));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'dashboard: sampling the gateway failed');
    }
    if (this.options.draining()) this.close();
    else this.stream.broadcast();
  }

  /** This process's reading merged with its peers' (when it has any). */
  private async read(): Promise<SnapshotFor> {
    const peers = this.options.peers;
    if (!peers) return this.readLocal();
    const [local, others] = await Promise.all([this.readLocal(), peers().catch(() => [])]);
    return (from) => {
      const { snapshot, next } = local(from);
      return { snapshot: mergeSnapshots(snapshot, others), next };
    };
  }

  /** Reads everything but the series once; each caller then takes the series from where it is. */
  private async readLocal(): Promise<SnapshotFor> {
    const { state, metrics, clock } = this.options;
    const config = this.options.config();
    // A lane that cannot be read (its store down) shows as unavailable; the rest of the page still updates.
    const laneOn = state.laneOn();
    const [readings, counters, accuracy, laneSnapshot] = await Promise.all([
      // A sample of the governor's own: the page's alert levels are the ones x-sluice-load and the
      // metrics use, fresh at each read (a bar at 95 % never sits beside an "ok").
      state.governor.sampleLoad(),
      readCounterTotals(metrics.registry),
      readAccuracyTotals(metrics.registry),
      laneOn ? state.laneSnapshot().catch(() => undefined) : undefined,
    ]);
    const observations = new Map<string, LastObservations>();
    for (const d of state.governor.groups.deployments()) {
      observations.set(d.id, { at: d.lastObservedAt, observations: d.lastObservations });
    }
    const recorder = this.recorder;
    const base = {
      now: clock.now(),
      startedAt: recorder.startedAt,
      windowMs: recorder.windowMs,
      thresholds: config.alerts,
      store: state.store(),
      draining: this.options.draining(),
      inFlight: state.inFlight(),
      priorities: recorder.priorities,
      queues: state.queues(),
      readings,
      alertLevel: (key: string) => state.governor.alertLevel(key),
      deployments: state.deployments(),
      lastObservations: (id: string) => observations.get(id),
      admittedLastMinute: (id: string) => recorder.admittedLastMinute(id),
      routesLastMinute: recorder.routesLastMinute(),
      cachedGroups: state.governor.groups
        .allGroups()
        .flatMap((g) => (g.cache ? [{ group: g.name, mode: g.cache.mode }] : [])),
      responseCacheLastMinute: recorder.responseCacheLastMinute(),
      tenants: state.tenants(),
      tenantWait: (tenant: string, q: number) => recorder.tenantWait(tenant, q),
      lane: laneOn ? { on: true as const, snapshot: laneSnapshot } : { on: false as const },
      load: state.governor.groups.allGroups().map((g) => ({
        load: state.governor.load(g.name),
        mitigation: g.mitigation,
        active: state.governor.mitigations.active(g.name),
        paused: state.governor.mitigations.pausedCount(g.name),
      })),
      counters,
      accuracy,
      cacheReadTokens: recorder.cacheReadTokens,
      cacheReported: recorder.cacheReported,
      limitChanges: recorder.limitChangesInWindow(),
    };
    return (from) => {
      const { series, next } = recorder.series(from);
      const seriesMode = from === undefined ? 'replace' : 'append';
      return { snapshot: shapeSnapshot({ ...base, series, seriesMode }), next };
    };
  }
}
