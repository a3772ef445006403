/**
 * The dashboard's time series: the last 15 minutes at 1-second resolution in
 * fixed ring buffers (memory is bounded whatever the traffic: a few typed
 * arrays of `window ÷ resolution` slots, plus one row per refusal code and
 * per deployment). Fed by the governor's observer events (admitted, refused,
 * upstream, settled) and by periodic state readings (queue depth, limits).
 *
 * The response cache's outcomes are kept per model group in the same ring,
 * for the last minute's hit rate (the `cache` event, as `cache-metrics.ts`
 * counts it).
 *
 * Counting follows `GatewayMetrics` exactly (tokens: what was delivered, never
 * an estimate the buckets keep for a cut stream; waits: governed admissions only), so a chart never disagrees
 * with `/metrics`. Time comes from the injected clock.
 */

import type { Clock } from '../core/clock.js';
import type { GovernorEvents, GovernorObserver } from '../runtime/events.js';
import type { LimitLines } from './limit-lines.js';
import { anyIn, type Span, trailingQuantiles, trailingSums } from './trailing.js';
import { WAIT_BUCKETS, WaitHistogram, waitBucket } from './wait-histogram.js';
import { DEPLOYMENT_LIMITS, deploymentLineKey, type Line, type Series } from './wire.js';

export interface RecorderOptions {
  clock: Clock;
  /** Priority classes, most urgent first. */
  priorities: readonly string[];
  /** Default 1 s. */
  resolutionMs?: number;
  /** Default 15 min. */
  windowMs?: number;
  /** Wait quantiles are taken over this trailing span (default 10 s): per-second samples are too spiky to read. */
  smoothingMs?: number;
}

/**
 * Counts (calls, tokens, 429s, refusals) are drawn as what the trailing 60 s
 * held: the window a per-minute limit counts, so a line and its limit compare
 * like for like.
 */
export const COUNT_WINDOW_MS = 60_000;

/** A deployment's own rows: what it was sent, and its per-minute limits as sampled. */
interface DeploymentRows {
  readonly admitted: Float64Array;
  readonly inputTokens: Float64Array;
  readonly outputTokens: Float64Array;
  /** Per-minute limits by short name (`rpm`, `tpm`, `itpm`, `otpm`), NaN when not declared then. */
  readonly limits: Record<DeploymentLimitName, Float64Array>;
}

export type DeploymentLimitName = (typeof DEPLOYMENT_LIMITS)[number];

/** A limit that changed because the provider reported another (the `limit` event). */
export interface LimitChange {
  readonly at: number;
  readonly deployment: string;
  readonly name: string;
  readonly from: number | null;
  readonly to: number;
}
/** Changes kept for the window's markers (a flapping limit cannot grow the list). */
const MAX_LIMIT_CHANGES = 100;

const COUNTERS = ['admitted', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'upstream429'] as const;
type CounterName = (typeof COUNTERS)[number];
const LINES = ['requests', 'inputTokens', 'outputTokens', 'tokens'] as const;
type CacheEvent = Parameters<GovernorEvents['cache']>[0];
type CacheOutcome = CacheEvent['outcome'];
const CACHE_OUTCOMES: readonly CacheOutcome[] = ['hit', 'miss', 'stale', 'bypass'];
/** One group's response-cache rows: a count per outcome, tokens saved, and what semantic hits' mean needs. */
type CacheRows = Record<CacheOutcome | 'savedTokens' | 'similaritySum' | 'similarHits', Float64Array>;

/** What a group's response cache did over the last 60 s. */
export interface ResponseCacheMinute {
  readonly group: string;
  readonly outcomes: Readonly<Record<CacheOutcome, number>>;
  readonly savedTokens: number;
  /** Sum of the similarities of semantic hits, and how many there were. */
  readonly similaritySum: number;
  readonly similarHits: number;
}
/** How many slots back a missing reading may be taken from. */
const SAMPLE_CARRY = 3;

export class TimeSeriesRecorder {
  readonly startedAt: number;
  readonly resolutionMs: number;
  readonly windowMs: number;
  readonly smoothingMs: number;
  readonly priorities: readonly string[];
  private readonly clock: Clock;
  private readonly slots: number;
  private readonly smoothing: number;
  private readonly startIndex: number;
  /** The absolute slot index each position holds (-1: none yet). */
  private readonly held: Float64Array;
  private readonly counters: Record<CounterName, Float64Array>;
  private readonly refusals = new Map<string, Float64Array>();
  private readonly byDeployment = new Map<string, DeploymentRows>();
  private readonly limitChanges: LimitChange[] = [];
  /** Attempts per model group and deployment (a fallback group's deployment counts for the group asked for). */
  private readonly byRoute = new Map<string, { group: string; deployment: string; row: Float64Array }>();
  /** Response-cache outcomes per model group (groups seen in a `cache` event since start). */
  private readonly byCacheGroup = new Map<string, CacheRows>();
  /** Deepest queue sampled in each slot, per class (NaN: no sample). */
  private readonly queues: Float64Array[];
  /** Limit lines sampled in each slot (NaN: no such limit). */
  private readonly limits: Record<(typeof LINES)[number], Float64Array>;
  /** slots × classes × WAIT_BUCKETS counts. */
  private readonly waits: Uint32Array;
  /** Longest wait per slot and class (quantiles never exceed it). */
  private readonly waitMax: Float64Array;
  private readonly classIndex: Map<string, number>;
  private readonly tenantWaits = new Map<string, WaitHistogram>();
  private cacheSeen = false;
  private cacheReadTotal = 0;

  constructor(options: RecorderOptions) {
    this.clock = options.clock;
    this.resolutionMs = options.resolutionMs ?? 1_000;
    this.windowMs = options.windowMs ?? 900_000;
    this.smoothingMs = options.smoothingMs ?? 10_000;
    this.priorities = [...options.priorities];
    this.slots = Math.max(1, Math.round(this.windowMs / this.resolutionMs));
    this.smoothing = Math.max(1, Math.round(this.smoothingMs / this.resolutionMs));
    this.startedAt = this.clock.now();
    this.startIndex = this.indexAt(this.startedAt);
    this.held = new Float64Array(this.slots).fill(-1);
    const row = () => new Float64Array(this.slots);
    this.counters = Object.fromEntries(COUNTERS.map((name) => [name, row()])) as Record<
      CounterName,
      Float64Array
    >;
    this.queues = this.priorities.map(() => row().fill(Number.NaN));
    this.limits = Object.fromEntries(LINES.map((name) => [name, row().fill(Number.NaN)])) as Record<
      (typeof LINES)[number],
      Float64Array
    >;
    this.waits = new Uint32Array(this.slots * this.priorities.length * WAIT_BUCKETS);
    this.waitMax = new Float64Array(this.slots * this.priorities.length);
    this.classIndex = new Map(this.priorities.map((name, i) => [name, i]));
  }

  /** The governor events this recorder counts. */
  observer(): GovernorObserver {
    return {
      admitted: (e) => this.admitted(e),
      refused: (e) => this.add(this.rowOf(this.refusals, e.code), 1),
      upstream: (e) => {
        if (e.status === 429) this.add(this.counters.upstream429, 1);
      },
      cache: (e) => this.cached(e),
      limit: (e) => {
        this.limitChanges.push({
          at: this.clock.now(),
          deployment: e.deployment,
          name: e.name,
          from: e.from ?? null,
          to: e.to,
        });
        if (this.limitChanges.length > MAX_LIMIT_CHANGES) this.limitChanges.shift();
      },
      settled: (e) => {
        const delivered = e.delivered;
        this.add(this.counters.inputTokens, delivered.inputTokens);
        this.add(this.counters.outputTokens, delivered.outputTokens);
        const rows = this.deploymentRows(e.deployment);
        this.add(rows.inputTokens, delivered.inputTokens);
        this.add(rows.outputTokens, delivered.outputTokens);
        const cacheRead = delivered.cacheReadTokens;
        if (cacheRead !== undefined) {
          if (cacheRead > 0) this.cacheSeen = true;
          this.cacheReadTotal += cacheRead;
          this.add(this.counters.cacheReadTokens, cacheRead);
        }
      },
    };
  }

  /** Whether any provider reported prompt-cache reads since start. */
  get cacheReported(): boolean {
    return this.cacheSeen;
  }

  /** Prompt-cache reads reported since start. */
  get cacheReadTokens(): number {
    return this.cacheReadTotal;
  }

  admitted(e: Omit<Parameters<GovernorEvents['admitted']>[0], 'cost'>): void {
    const pos = this.touch();
    if (pos < 0) return;
    (this.counters.admitted[pos] as number)++;
    (this.deploymentRows(e.deployment).admitted[pos] as number)++;
    (this.routeOf(e.group, e.deployment)[pos] as number)++;
    let histogram = this.tenantWaits.get(e.tenant);
    if (!histogram) {
      histogram = new WaitHistogram();
      this.tenantWaits.set(e.tenant, histogram);
    }
    histogram.add(e.waitedMs);
    const c = this.classIndex.get(e.priority);
    if (c === undefined) return;
    (this.waits[this.waitOffset(pos, c) + waitBucket(e.waitedMs)] as number)++;
    const m = pos * this.priorities.length + c;
    this.waitMax[m] = Math.max(this.waitMax[m] as number, e.waitedMs);
  }

  cached(e: CacheEvent): void {
    const pos = this.touch();
    if (pos < 0) return;
    const rows = this.cacheRowsOf(e.group);
    (rows[e.outcome][pos] as number)++;
    if (e.savedTokens > 0) (rows.savedTokens[pos] as number) += e.savedTokens;
    // Only a semantic hit says how close it was; an exact hit is identical, not "similarity 1".
    if (e.outcome === 'hit' && e.similarity !== undefined) {
      (rows.similaritySum[pos] as number) += e.similarity;
      (rows.similarHits[pos] as number)++;
    }
  }

  /** One reading of the queues; a slot keeps its deepest. */
  sampleQueues(queues: readonly { priority: string; depth: number }[]): void {
    const pos = this.touch();
    if (pos < 0) return;
    for (const q of queues) {
      const c = this.classIndex.get(q.priority);
      if (c === undefined) continue;
      const row = this.queues[c] as Float64Array;
      const prev = row[pos] as number;
      row[pos] = Number.isNaN(prev) ? q.depth : Math.max(prev, q.depth);
    }
  }

  /** One reading of the limit lines; a slot keeps its latest. */
  sampleLimits(lines: LimitLines): void {
    const pos = this.touch();
    if (pos < 0) return;
    for (const name of LINES) this.limits[name][pos] = lines[name] ?? Number.NaN;
  }

  /** One reading of each deployment's per-minute limits (after AIMD); a slot keeps its latest. */
  sampleDeploymentLimits(
    deployments: readonly { id: string; limits: Partial<Record<DeploymentLimitName, number>> }[],
  ): void {
    const pos = this.touch();
    if (pos < 0) return;
    for (const d of deployments) {
      const rows = this.deploymentRows(d.id);
      for (const name of DEPLOYMENT_LIMITS) rows.limits[name][pos] = d.limits[name] ?? Number.NaN;
    }
  }

  /** Limits providers changed within the window, oldest first. */
  limitChangesInWindow(): LimitChange[] {
    const since = this.clock.now() - this.windowMs;
    return this.limitChanges.filter((c) => c.at >= since);
  }

  /** Attempts admitted to `deployment` over the last 60 s (the current second included). */
  admittedLastMinute(deployment: string): number {
    const rows = this.byDeployment.get(deployment);
    return rows ? this.lastMinuteOf(rows.admitted) : 0;
  }

  /** Attempts per model group and deployment over the last 60 s, for every pair seen since start. */
  routesLastMinute(): { group: string; deployment: string; admitted: number }[] {
    return [...this.byRoute.values()].map(({ group, deployment, row }) => ({
      group,
      deployment,
      admitted: this.lastMinuteOf(row),
    }));
  }

  /** The response cache of every group seen in a `cache` event since start, over the last 60 s. */
  responseCacheLastMinute(): ResponseCacheMinute[] {
    return [...this.byCacheGroup].map(([group, rows]) => ({
      group,
      outcomes: {
        hit: this.lastMinuteOf(rows.hit),
        miss: this.lastMinuteOf(rows.miss),
        stale: this.lastMinuteOf(rows.stale),
        bypass: this.lastMinuteOf(rows.bypass),
      },
      savedTokens: this.lastMinuteOf(rows.savedTokens),
      similaritySum: this.lastMinuteOf(rows.similaritySum),
      similarHits: this.lastMinuteOf(rows.similarHits),
    }));
  }

  private lastMinuteOf(row: Float64Array): number {
    const current = this.indexAt(this.clock.now());
    const span = Math.min(this.slots, Math.round(60_000 / this.resolutionMs));
    let sum = 0;
    for (let i = current - span + 1; i <= current; i++)
      if (this.valid(i)) sum += row[this.posOf(i)] as number;
    return sum;
  }

  /** A tenant's admission wait quantile since start; null before its first admission. */
  tenantWait(tenant: string, q: number): number | null {
    return this.tenantWaits.get(tenant)?.quantile(q) ?? null;
  }

  /**
   * Completed slots with index ≥ `from` (all of the window when omitted),
   * and the `from` that continues after them. The slot in progress is left
   * out, so a point never changes once sent.
   */
  series(from = Number.NEGATIVE_INFINITY): { series: Series; next: number } {
    const current = this.indexAt(this.clock.now());
    return { series: this.seriesOf(from, current), next: current };
  }

  private seriesOf(from: number, current: number): Series {
    const span: Span = {
      first: Math.max(from, current - this.slots + 1, this.startIndex),
      end: current,
      start: this.startIndex,
      width: this.smoothing,
    };
    const indexes: number[] = [];
    for (let i = span.first; i < span.end; i++) indexes.push(i);
    const count = (row: Float64Array) => (i: number) => (this.valid(i) ? (row[this.posOf(i)] as number) : 0);
    const counted: Span = { ...span, width: Math.max(1, Math.round(COUNT_WINDOW_MS / this.resolutionMs)) };
    const rate = (row: Float64Array) => trailingSums(counted, count(row));
    const refusals: Record<string, Line> = {};
    for (const [code, row] of this.refusals) if (anyIn(counted, count(row))) refusals[code] = rate(row);
    // Readings come from a timer that drifts against slot edges: a slot it skipped shows the one before.
    const sampled = (row: Float64Array) =>
      indexes.map((i) => {
        for (let j = i; j > i - SAMPLE_CARRY && j >= this.startIndex; j--) {
          if (!this.valid(j)) continue;
          const v = row[this.posOf(j)] as number;
          if (!Number.isNaN(v)) return v;
        }
        return null;
      });
    const waitP50Ms: Record<string, Line> = {};
    const waitP99Ms: Record<string, Line> = {};
    const queue: Record<string, Line> = {};
    this.priorities.forEach((name, c) => {
      queue[name] = sampled(this.queues[c] as Float64Array);
      const [p50, p99] = trailingQuantiles(
        span,
        (i, into, sign) => this.addWaits(i, c, into, sign),
        (i) => (this.valid(i) ? (this.waitMax[this.posOf(i) * this.priorities.length + c] as number) : 0),
        [0.5, 0.99],
      );
      waitP50Ms[name] = p50 ?? [];
      waitP99Ms[name] = p99 ?? [];
    });
    const deployments: Record<string, Line> = {};
    for (const [id, rows] of this.byDeployment) {
      deployments[deploymentLineKey(id, 'requests')] = rate(rows.admitted);
      deployments[deploymentLineKey(id, 'inputTokens')] = rate(rows.inputTokens);
      deployments[deploymentLineKey(id, 'outputTokens')] = rate(rows.outputTokens);
      for (const name of DEPLOYMENT_LIMITS) {
        const line = sampled(rows.limits[name]);
        if (line.some((v) => v !== null)) deployments[deploymentLineKey(id, name)] = line;
      }
    }
    return {
      resolutionMs: this.resolutionMs,
      smoothingMs: this.smoothing * this.resolutionMs,
      countWindowMs: counted.width * this.resolutionMs,
      deployments,
      t: indexes.map((i) => i * this.resolutionMs),
      requests: rate(this.counters.admitted),
      inputTokens: rate(this.counters.inputTokens),
      outputTokens: rate(this.counters.outputTokens),
      cacheReadTokens: rate(this.counters.cacheReadTokens),
      limits: {
        requests: sampled(this.limits.requests),
        inputTokens: sampled(this.limits.inputTokens),
        outputTokens: sampled(this.limits.outputTokens),
        tokens: sampled(this.limits.tokens),
      },
      queue,
      waitP50Ms,
      waitP99Ms,
      upstream429: rate(this.counters.upstream429),
      refusals,
    };
  }

  /** Adds (or removes) one slot's wait histogram of one class into `into`. */
  private addWaits(index: number, classIndex: number, into: Float64Array, sign: 1 | -1): void {
    if (!this.valid(index)) return;
    const offset = this.waitOffset(this.posOf(index), classIndex);
    for (let k = 0; k < WAIT_BUCKETS; k++) (into[k] as number) += sign * (this.waits[offset + k] as number);
  }

  // --- ring buffer ---

  private indexAt(now: number): number {
    return Math.floor(now / this.resolutionMs);
  }

  private posOf(index: number): number {
    return index % this.slots;
  }

  private valid(index: number): boolean {
    return index >= this.startIndex && this.held[this.posOf(index)] === index;
  }

  /** The position of the current slot, cleared when it still holds an older one; -1 if time went back. */
  private touch(): number {
    const index = this.indexAt(this.clock.now());
    const pos = this.posOf(index);
    const held = this.held[pos] as number;
    if (held === index) return pos;
    if (held > index) return -1;
    this.held[pos] = index;
    for (const name of COUNTERS) this.counters[name][pos] = 0;
    for (const row of this.refusals.values()) row[pos] = 0;
    for (const rows of this.byDeployment.values()) {
      rows.admitted[pos] = 0;
      rows.inputTokens[pos] = 0;
      rows.outputTokens[pos] = 0;
      for (const name of DEPLOYMENT_LIMITS) rows.limits[name][pos] = Number.NaN;
    }
    for (const route of this.byRoute.values()) route.row[pos] = 0;
    for (const rows of this.byCacheGroup.values()) for (const row of Object.values(rows)) row[pos] = 0;
    for (const row of this.queues) row[pos] = Number.NaN;
    for (const name of LINES) this.limits[name][pos] = Number.NaN;
    const start = this.waitOffset(pos, 0);
    this.waits.fill(0, start, start + this.priorities.length * WAIT_BUCKETS);
    const classes = this.priorities.length;
    this.waitMax.fill(0, pos * classes, (pos + 1) * classes);
    return pos;
  }

  private deploymentRows(id: string): DeploymentRows {
    let rows = this.byDeployment.get(id);
    if (!rows) {
      const row = () => new Float64Array(this.slots);
      const unset = () => row().fill(Number.NaN);
      rows = {
        admitted: row(),
        inputTokens: row(),
        outputTokens: row(),
        limits: { rpm: unset(), tpm: unset(), itpm: unset(), otpm: unset() },
      };
      this.byDeployment.set(id, rows);
    }
    return rows;
  }

  private add(row: Float64Array, amount: number): void {
    if (!(amount > 0)) return;
    const pos = this.touch();
    if (pos >= 0) row[pos] = (row[pos] as number) + amount;
  }

  /** A row of a keyed family (refusal codes, deployments), created zeroed, its current slot valid. */
  private rowOf(family: Map<string, Float64Array>, key: string): Float64Array {
    let row = family.get(key);
    if (!row) {
      row = new Float64Array(this.slots);
      family.set(key, row);
    }
    return row;
  }

  private routeOf(group: string, deployment: string): Float64Array {
    const key = `${group}\u0000${deployment}`;
    let route = this.byRoute.get(key);
    if (!route) {
      route = { group, deployment, row: new Float64Array(this.slots) };
      this.byRoute.set(key, route);
    }
    return route.row;
  }

  private cacheRowsOf(group: string): CacheRows {
    let rows = this.byCacheGroup.get(group);
    if (!rows) {
      const row = () => new Float64Array(this.slots);
      rows = {
        ...(Object.fromEntries(CACHE_OUTCOMES.map((o) => [o, row()])) as Record<CacheOutcome, Float64Array>),
        savedTokens: row(),
        similaritySum: row(),
        similarHits: row(),
      };
      this.byCacheGroup.set(group, rows);
    }
    return rows;
  }

  private waitOffset(pos: number, classIndex: number): number {
    return (pos * this.priorities.length + classIndex) * WAIT_BUCKETS;
  }
}
