/**
 * Anthropic does not count cache reads toward ITPM on most models
 * (PROVIDERS.md §3.2), so a long cached prompt costs only its uncached part.
 * Admission cannot know what is cached; it learns it: per deployment and
 * per prompt prefix (the text up to the prompt's last cache breakpoint,
 * hashed by the adapter into `CachedPrefix.key`), the share of the prefix's
 * estimated tokens that the cache holds after a call: what the provider
 * reported as `cache_read_input_tokens`, plus what it wrote
 * (`cache_creation_input_tokens`), which the next call reads.
 *
 * The low quantile (p10) of the last 16 shares is used: a share too low
 * only reserves more than needed, one too high admits calls the provider
 * refuses (the cache expired and the prefix is written again: that call
 * then teaches a lower share). Settlement
 * is exact either way: it charges what usage says.
 */
import { RecentValues } from './recent-values.js';

const SHARE_WINDOW = 16;
const SHARE_QUANTILE = 0.1;
/** A share above 2 would mean the provider counts the prefix at more than twice our estimate: not trusted. */
const MAX_SHARE = 2;
/** Distinct prefixes remembered per deployment; the oldest is forgotten first. */
const MAX_PREFIXES = 256;

export class CacheShares {
  private readonly byPrefix = new Map<string, RecentValues>();

  observe(key: string, prefixTokens: number, cacheReadTokens: number): void {
    if (!(prefixTokens > 0) || !(cacheReadTokens >= 0)) return;
    let recent = this.byPrefix.get(key);
    if (!recent) {
      if (this.byPrefix.size >= MAX_PREFIXES) {
        const oldest = this.byPrefix.keys().next().value;
        if (oldest !== undefined) this.byPrefix.delete(oldest);
      }
      recent = new RecentValues(SHARE_WINDOW);
      this.byPrefix.set(key, recent);
    }
    recent.push(Math.min(MAX_SHARE, cacheReadTokens / prefixTokens));
  }

  /** Provider tokens read from cache per estimated prefix token; 0 for a prefix never seen. */
  shareOf(key: string): number {
    return this.byPrefix.get(key)?.quantile(SHARE_QUANTILE) ?? 0;
  }
}
