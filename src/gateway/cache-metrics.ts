/**
 * The response cache in Prometheus, labelled by model group and tenant
 * (never by key or prompt):
 *
 * - `sluice_cache_requests_total` (`outcome`: hit | miss | stale | bypass);
 * - `sluice_cache_saved_tokens_total`: tokens a hit or a stale answer did
 *   not spend upstream (the stored answer's usage);
 * - `sluice_cache_similarity` (histogram, per group): how close semantic
 *   hits were.
 *
 * Hit rate of a group over 5 minutes:
 *
 *     sum by (group) (rate(sluice_cache_requests_total{outcome="hit"}[5m]))
 *       / sum by (group) (rate(sluice_cache_requests_total{outcome=~"hit|miss"}[5m]))
 *
 * Entries and bytes held are gauges read when scraped (`state-gauges.ts`).
 */
import type { Registry } from 'prom-client';
import type { GovernorEvents } from '../runtime/events.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';

const OUTCOMES = ['hit', 'miss', 'stale', 'bypass'] as const;
const SIMILARITY_BUCKETS = [0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1];

export class CacheMetrics {
  private readonly requests: HotCounter;
  private readonly saved: HotCounter;
  private readonly similarity: HotHistogram;

  constructor(registry: Registry) {
    this.requests = new HotCounter(
      'sluice_cache_requests_total',
      'Chat calls of groups with a response cache, by what the cache did (hit, miss, stale, bypass).',
      ['group', 'tenant', 'outcome'],
      registry,
    );
    this.saved = new HotCounter(
      'sluice_cache_saved_tokens_total',
      'Tokens (input + output) that answers from the cache did not spend upstream.',
      ['group', 'tenant'],
      registry,
    );
    this.similarity = new HotHistogram(
      'sluice_cache_similarity',
      'Cosine similarity of semantic cache hits.',
      ['group'],
      SIMILARITY_BUCKETS,
      registry,
    );
  }

  /** Zero series for each group with a cache and each tenant that may use it. */
  declare(group: string, tenants: readonly string[]): void {
    for (const tenant of tenants) {
      for (const outcome of OUTCOMES) this.requests.declare([group, tenant, outcome]);
      this.saved.declare([group, tenant]);
    }
  }

  observe(e: Parameters<GovernorEvents['cache']>[0]): void {
    this.requests.inc([e.group, e.tenant, e.outcome]);
    if (e.savedTokens > 0) this.saved.inc([e.group, e.tenant], e.savedTokens);
    if (e.similarity !== undefined) this.similarity.observe([e.group], e.similarity);
  }
}
