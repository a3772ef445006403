/**
 * The JSON the admin API sends (`GET /admin/v1/state`, and each event of
 * `GET /admin/v1/stream`). Types only, no imports: the browser bundle and the
 * server both compile this file, so the page and the endpoint cannot drift.
 *
 * Nothing secret is ever part of it: no tenant keys, no API keys, no prompt
 * or completion text, no query strings of upstream URLs.
 */

export type AlertName = 'ok' | 'warn' | 'act';
export type BucketScope = 'deployment' | 'pool' | 'tenant';
export type CircuitName = 'closed' | 'half_open' | 'open';
export type CapacityName = 'reserved' | 'on_demand';

export interface BucketRow {
  readonly key: string;
  readonly scope: BucketScope;
  /** Deployment id, pool name or tenant id. */
  readonly owner: string;
  /** The tenant's tier (tenant scope only). */
  readonly tier: string | null;
  readonly dimension: string;
  /** `second`, `minute`, `hour`, `day`; null for concurrency. */
  readonly window: string | null;
  /** The limit in force (declared, learned, or lowered by AIMD). */
  readonly limit: number;
  /** limit × (1 − safety margin): what utilization is measured against. */
  readonly capacity: number;
  readonly used: number;
  readonly remaining: number;
  /** used ÷ capacity, as in `sluice_bucket_utilization`. */
  readonly utilization: number;
  /** Until the bucket is full again (0 when it is). */
  readonly resetInMs: number;
  /** A provider 429 paused it for this much longer (0: not paused). */
  readonly pausedForMs: number;
  /** As `sluice_bucket_alert_state`: ok, warn (≥ warn threshold), act (≥ act threshold). */
  readonly alert: AlertName;
}

export interface ObservationRow {
  readonly dimension: string;
  readonly window: string;
  readonly limit: number | null;
  readonly remaining: number | null;
  readonly resetInMs: number | null;
  /** OpenAI's project-scoped limit, reported beside the org one. */
  readonly scope: 'project' | null;
}

export interface DeploymentRow {
  readonly id: string;
  readonly group: string;
  readonly provider: string;
  readonly model: string;
  /** Origin and path of the upstream; never credentials or query strings. */
  readonly upstream: string;
  readonly weight: number;
  /** Reserved capacity serves first; on-demand takes what reserved cannot serve in time. */
  readonly capacity: CapacityName;
  /** USD per million tokens as configured; null: no price. */
  readonly price: { readonly inputPerMTok: number; readonly outputPerMTok: number } | null;
  /** USD of its traffic since start (as `sluice_cost_usd_total`); null without a price. */
  readonly costUsd: number | null;
  readonly circuit: CircuitName;
  /** AIMD share of the declared limits admitted now (1 = all). */
  readonly adaptiveFactor: number;
  /** Rate limits in force after the adaptive decrease. */
  readonly limits: readonly { readonly dimension: string; readonly window: string; readonly limit: number }[];
  /** Attempts admitted to this deployment in the last 60 s. */
  readonly admittedLastMinute: number;
  /** Upstream answers since start (as `sluice_upstream_responses_total`). */
  readonly responses: number;
  /** Upstream 429s since start (as `sluice_upstream_rate_limited_total`). */
  readonly rateLimited: number;
  /** Network errors and 5xx since start. */
  readonly failures: number;
  /** The rate-limit headers of its last response, parsed; empty when none came yet. */
  readonly lastHeaders: readonly ObservationRow[];
  /** How long ago they arrived; null when never. */
  readonly lastHeadersAgoMs: number | null;
  /**
   * Estimated ÷ provider-reported tokens − 1 over every reported request
   * (`sluice_estimated_tokens_total` ÷ `sluice_reported_tokens_total`):
   * +0.5 reserved half again what was used; null before any report.
   */
  readonly estimateError: { readonly input: number | null; readonly output: number | null };
  /** Calls that retried here, by whether they were then served (`sluice_retry_outcomes_total`). */
  readonly retries: { readonly succeeded: number; readonly failed: number };
  /** Share of prompt tokens the provider served from its cache; null when it reported no cache figures. */
  readonly cacheHitRatio: number | null;
}

/** One model group's split between reserved and on-demand deployments. */
export interface SpilloverRow {
  readonly group: string;
  /** Attempts admitted to its reserved and on-demand deployments in the last 60 s. */
  readonly reservedLastMinute: number;
  readonly onDemandLastMinute: number;
  /** On-demand ÷ all attempts in the last 60 s; null when there were none. */
  readonly spilloverShare: number | null;
  /** USD since start by capacity (as `sluice_cost_usd_total`); null: no priced traffic of that capacity. */
  readonly reservedCostUsd: number | null;
  readonly onDemandCostUsd: number | null;
}

export type CacheOutcomeName = 'hit' | 'miss' | 'stale' | 'bypass';

/** One model group's response cache over the last 60 s (as `sluice_cache_*`, per group). */
export interface ResponseCacheRow {
  readonly group: string;
  readonly mode: 'exact' | 'semantic';
  /** Chat calls by what the cache did: answered (hit, stale), sent upstream (miss), not keyed (bypass). */
  readonly outcomes: Readonly<Record<CacheOutcomeName, number>>;
  /** hit ÷ (hit + miss); null when there was neither. */
  readonly hitRate: number | null;
  /** Tokens (input + output) that answers from the cache did not spend upstream. */
  readonly savedTokens: number;
  /** Mean cosine similarity of semantic hits; null when there were none. */
  readonly meanSimilarity: number | null;
}

/**
 * One active batch of the background lane (as `sluice_batch_lines` and its
 * siblings): its lines split in three that add up to `total`, its pace, and
 * when it should be done at that pace.
 */
export interface BatchRow {
  readonly id: string;
  readonly tenant: string;
  /** The API it came in by: `openai` or `anthropic`. */
  readonly api: string;
  /** `drain` (Sluice runs its lines) or `forward` (the provider's Batch API does). */
  readonly mode: string;
  readonly model: string;
  /** OpenAI's words: validating, in_progress, finalizing, cancelling. */
  readonly status: string;
  readonly createdAt: number;
  readonly total: number;
  /** Lines answered with success. */
  readonly done: number;
  /** Lines errored, cancelled or expired. */
  readonly failed: number;
  readonly remaining: number;
  /** Lines answered over the last minute, every instance's included. */
  readonly linesPerMinute: number;
  /** Until the remaining lines should be answered at that pace; null while the batch does not move. */
  readonly expectedCompletionInMs: number | null;
  /** Forward mode: why it is not at the provider yet, in words; null when nothing holds it. */
  readonly waiting: string | null;
}

/** One mitigation action a group's configuration names. */
export interface LoadActionRow {
  /** `downgrade`, `clamp_max_tokens`, `pause` or `tighten`. */
  readonly action: string;
  /** Engaged now. */
  readonly on: boolean;
  /** Calls it changed since start (`sluice_mitigated_calls_total`). */
  readonly calls: number;
}

/** A model group's load level and its mitigation (issue 20). */
export interface LoadRow {
  readonly group: string;
  /** As `x-sluice-load` and `sluice_load_level`. */
  readonly level: AlertName;
  /** What holds the level up: a bucket key, `queue`, or null at ok. */
  readonly cause: string | null;
  /** The busiest of its deployment and pool buckets (0–1). */
  readonly utilization: number;
  /** How long its longest-waiting call has waited. */
  readonly queueWaitMs: number;
  readonly mitigating: boolean;
  /** The actions its `mitigation` names (empty: none configured). */
  readonly actions: readonly LoadActionRow[];
  /** Calls waiting out a pause now. */
  readonly paused: number;
}

/** The background lane (batches), when it is on. */
export interface BatchesSection {
  /** False when the batches could not be read for this snapshot (`rows` is then empty). */
  readonly available: boolean;
  /** Lines the gateway is running now. */
  readonly inFlight: number;
  /** Active batches, oldest first; ended ones drop out. */
  readonly rows: readonly BatchRow[];
}

export interface TokenQuantiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Tokens per answered request for one tenant and model group (from `sluice_request_tokens`). */
export interface RequestTokensRow {
  readonly tenant: string;
  readonly group: string;
  readonly requests: number;
  readonly input: TokenQuantiles;
  readonly output: TokenQuantiles;
}

export interface TenantRow {
  readonly id: string;
  readonly tier: string | null;
  readonly priority: string;
  /** Requests answered since start, any status (as `sluice_requests_total`). */
  readonly requests: number;
  /** Tokens used since start, as delivered (as `sluice_tokens_total`). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Refusals since start (as `sluice_refusals_total`). */
  readonly refused: number;
  /** USD spent since start at the deployments' prices (as `sluice_tenant_cost_usd_total`); null: nothing priced served it. */
  readonly spendUsd: number | null;
  /** Admission waits since start; null when nothing was admitted yet. */
  readonly waitP50Ms: number | null;
  readonly waitP99Ms: number | null;
}

export interface Totals {
  /** Requests answered by the gateway, any status. */
  readonly requests: number;
  /** Attempts admitted upstream (one request may take several). */
  readonly admitted: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens the providers served from their prompt cache (when they report it). */
  readonly cacheReadTokens: number;
  /** Refusals Sluice returned, all codes. */
  readonly refused: number;
  readonly refusalsByCode: Readonly<Record<string, number>>;
  readonly upstreamResponses: number;
  /** Upstream 429 answers: what Sluice exists to avoid. */
  readonly upstream429: number;
}

/** Values aligned with `t`; null where nothing was recorded (before start, or no samples). */
export type Line = readonly (number | null)[];

/**
 * The last minutes at `resolutionMs` per point. Rates are per minute,
 * averaged over the trailing `smoothingMs`; waits are quantiles over the
 * same trailing span; queue depth is the deepest sample of each point.
 */
/** What a deployment line is (`deploymentLineKey`): its traffic, or one of its per-minute limits. */
export const DEPLOYMENT_TRAFFIC = ['requests', 'inputTokens', 'outputTokens'] as const;
export const DEPLOYMENT_LIMITS = ['rpm', 'tpm', 'itpm', 'otpm'] as const;
export type DeploymentLine = (typeof DEPLOYMENT_TRAFFIC)[number] | (typeof DEPLOYMENT_LIMITS)[number];

/** `<deployment id>/<line>` (ids never hold a `/`): one flat map merges, appends and trims like the others. */
export function deploymentLineKey(deployment: string, line: DeploymentLine): string {
  return `${deployment}/${line}`;
}

export interface Series {
  readonly resolutionMs: number;
  readonly smoothingMs: number;
  /** Counts are what the trailing `countWindowMs` held (60 s: what a per-minute limit counts). */
  readonly countWindowMs: number;
  /**
   * Each deployment's own traffic and per-minute limits (`deploymentLineKey`),
   * never a sum over deployments; a limit is present only while declared or learned.
   */
  readonly deployments: Readonly<Record<string, Line>>;
  /** Start of each point, epoch ms. */
  readonly t: readonly number[];
  readonly requests: Line;
  readonly inputTokens: Line;
  readonly outputTokens: Line;
  readonly cacheReadTokens: Line;
  /** Sum of the deployments' limits per minute (after AIMD), per dimension. */
  readonly limits: {
    readonly requests: Line;
    readonly inputTokens: Line;
    readonly outputTokens: Line;
    readonly tokens: Line;
  };
  /** Per priority class. */
  readonly queue: Readonly<Record<string, Line>>;
  readonly waitP50Ms: Readonly<Record<string, Line>>;
  readonly waitP99Ms: Readonly<Record<string, Line>>;
  readonly upstream429: Line;
  /** Per refusal code seen in the window. */
  readonly refusals: Readonly<Record<string, Line>>;
}

export interface DashboardSnapshot {
  readonly version: 1;
  /** Epoch ms of this snapshot. */
  readonly now: number;
  readonly startedAt: number;
  readonly windowMs: number;
  readonly thresholds: { readonly warn: number; readonly act: number };
  readonly store: { readonly kind: string; readonly mode: string; readonly available: boolean };
  readonly draining: boolean;
  readonly inFlight: number;
  /** Most urgent first. */
  readonly priorities: readonly string[];
  readonly queues: readonly { readonly priority: string; readonly depth: number }[];
  readonly buckets: readonly BucketRow[];
  readonly deployments: readonly DeploymentRow[];
  /** Per model group with a reserved deployment or traffic: reserved versus on-demand. */
  readonly spillover: readonly SpilloverRow[];
  /** Per model group with a response cache, in configuration order; empty when no group caches. */
  readonly responseCache: readonly ResponseCacheRow[];
  readonly tenants: readonly TenantRow[];
  readonly requestTokens: readonly RequestTokensRow[];
  /** The background lane's active batches; null when the lane is off (`batches.enabled` false). */
  readonly batches: BatchesSection | null;
  /** Each model group's load level and mitigation, in configuration order. */
  readonly load: readonly LoadRow[];
  readonly totals: Totals;
  /** True once any provider reported prompt-cache reads: only then is the cache line worth a chart. */
  readonly cacheReported: boolean;
  /** Limits that providers' headers changed within the window (marked on that deployment's chart), oldest first. */
  readonly limitChanges: readonly LimitChangeRow[];
  /**
   * `replace`: `series` is the whole window. `append`: only the points
   * completed since the previous event of the same stream.
   */
  readonly seriesMode: 'replace' | 'append';
  readonly series: Series;
}

export interface LimitChangeRow {
  /** Epoch ms. */
  readonly at: number;
  readonly deployment: string;
  /** Short name, e.g. `tpm`. */
  readonly name: string;
  /** The limit before; null when it was learned (none was declared). */
  readonly from: number | null;
  readonly to: number;
}

/** The long views of the recorded history (`GET /admin/v1/history?range=`). */
export type HistoryRange = '1h' | '24h' | '7d';

export interface HistoryView {
  readonly range: HistoryRange;
  /** Width of one point: 1 min (1 h), 15 min (24 h), 1 h (7 d). */
  readonly stepMs: number;
  /** Epoch ms, `[from, to)`. */
  readonly from: number;
  readonly to: number;
  /** Start of each point. */
  readonly t: readonly number[];
  /** Every bucket recorded in the span (null where nothing was recorded). */
  readonly buckets: readonly {
    readonly key: string;
    readonly scope: 'deployment' | 'pool' | 'tenant';
    readonly owner: string;
    /** `rpm`, `tpm`, `usd_per_day` … */
    readonly limitName: string;
    /** The limit at its last record. */
    readonly limit: number;
    /** Calls admitted through it, and refused by it, per point. */
    readonly admitted: Line;
    readonly refused: Line;
    /** Highest utilization in the point (used ÷ usable capacity, 1 = full). */
    readonly peak: Line;
  }[];
  /** Each tenant's calls to each group: served, refused, and their cost per point. */
  readonly tenants: readonly {
    readonly tenant: string;
    readonly group: string;
    readonly requests: Line;
    readonly refused: Line;
    readonly costUsd: Line;
  }[];
}

/** The body of every admin API error. */
export interface AdminError {
  readonly error: { readonly code: string; readonly message: string };
}
