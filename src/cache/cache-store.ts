/**
 * The port between the response cache and where its exact entries live
 * (STYLE.md rule 3: narrower than the dependency). `MemoryCacheStore` keeps
 * them in the process, `RedisCacheStore` shares them between instances; one
 * contract suite (`test/cache/cache-store-contract.ts`) runs against both.
 *
 * A store answers with the entry and when it was stored, never "fresh" or
 * "stale": the caller holds the group's `ttl_s` and `stale_ttl_s` and decides
 * by age, so one entry can serve a normal hit and, older, a stale answer
 * when no deployment can serve. The store only bounds an entry's life (the
 * longer of the two) and the bytes it holds.
 *
 * Keys are digests made by the caller (`cache-key.ts`); a store never logs
 * a key or a payload. A store never throws into the request path either: an
 * unreachable backend is a miss (`get` → undefined) and a skip (`set` →
 * false), counted by the store.
 */

/** What a caller hands to `set`: the answer to keep and whom it was kept for. */
export interface NewEntry {
  /** The answer, opaque to the store (the response cache keeps neutral-answer JSON). */
  readonly payload: string;
  /** The model group whose answer this is. */
  readonly group: string;
  /**
   * Whom the entry was cached for: a tenant's scope id, or `*` for a group
   * whose cache is shared. Shared stores are readable by operators: pass an
   * opaque id, not a tenant's name.
   */
  readonly scope: string;
}

/** An entry as stored: the caller tells fresh (age ≤ ttl) from stale (age ≤ stale ttl) by `storedAt`. */
export interface CachedEntry extends NewEntry {
  /** When `set` was called (the caller's `now`, ms since the epoch). */
  readonly storedAt: number;
}

/** How long an entry may be served: fresh for `ttlMs`, stale up to `staleTtlMs`. */
export interface EntryLifetime {
  readonly ttlMs: number;
  readonly staleTtlMs: number;
}

export interface CacheStats {
  /** Entries held, including expired ones not yet swept (they go on the next touch or insert). */
  readonly entries: number;
  /** Bytes held, as counted by `entryBytes`. */
  readonly bytes: number;
}

export interface CacheStore {
  /** The entry under `key` unless it is older than its lifetime at `now`; marks it recently used. */
  get(key: string, now: number): Promise<CachedEntry | undefined>;
  /**
   * Keeps `entry` under `key` (replacing what was there), evicting the least
   * recently used entries to stay under the store's byte bound. False when
   * it was not kept: larger than the per-entry bound, or the backend failed.
   */
  set(key: string, entry: NewEntry, lifetime: EntryLifetime, now: number): Promise<boolean>;
  /** Removes the entry; true when there was one. */
  delete(key: string): Promise<boolean>;
  stats(): Promise<CacheStats>;
}

/** An entry larger than this is not kept (a 128 k-token answer is about 1 MB of JSON). */
export const DEFAULT_MAX_ENTRY_BYTES = 2 * 1024 * 1024;
/** Bytes one store (memory) or one namespace (Redis) holds at most. */
export const DEFAULT_MAX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The size an entry counts for against the bounds: the UTF-8 bytes of its
 * key, payload, group and scope. The Redis scripts count the same bytes
 * (Lua's `#` is a byte length), so both stores evict at the same point.
 */
export function entryBytes(key: string, entry: NewEntry): number {
  return (
    Buffer.byteLength(key, 'utf8') +
    Buffer.byteLength(entry.payload, 'utf8') +
    Buffer.byteLength(entry.group, 'utf8') +
    Buffer.byteLength(entry.scope, 'utf8')
  );
}

/** How long the store keeps an entry: until it can no longer be served, even stale. */
export function lifetimeMs(lifetime: EntryLifetime): number {
  return Math.max(lifetime.ttlMs, lifetime.staleTtlMs);
}
