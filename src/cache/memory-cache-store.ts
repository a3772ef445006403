/**
 * Exact cache entries in the process (`store: { kind: memory }`): a Map
 * whose insertion order is the recency order (a hit moves its entry to the
 * end, eviction takes from the front), so `get` is O(1) and allocates
 * nothing but its promise.
 *
 * Bounded twice: an entry over `maxEntryBytes` is not kept, and inserting
 * evicts the least recently used entries until the total fits `maxBytes`.
 * Expiry is lazy and needs no timer: an entry past its lifetime at the
 * caller's `now` is dropped when read, and each insert sweeps a few expired
 * entries from the old end; whatever expired and was never read again goes
 * with the LRU order at the latest.
 */
import {
  type CachedEntry,
  type CacheStats,
  type CacheStore,
  DEFAULT_MAX_CACHE_BYTES,
  DEFAULT_MAX_ENTRY_BYTES,
  type EntryLifetime,
  entryBytes,
  lifetimeMs,
  type NewEntry,
} from './cache-store.js';

export interface MemoryCacheStoreOptions {
  /** Total bytes held (default 64 MiB). */
  readonly maxBytes?: number;
  /** An entry larger than this is not kept (default 2 MiB). */
  readonly maxEntryBytes?: number;
}

/** Entries looked at from the old end per insert, to drop expired ones nobody reads. */
const SWEEP_PER_INSERT = 8;

/** The stored entry itself is what `get` returns: no copy on a hit. */
class Slot implements CachedEntry {
  constructor(
    readonly payload: string,
    readonly group: string,
    readonly scope: string,
    readonly storedAt: number,
    readonly expiresAt: number,
    readonly bytes: number,
  ) {}
}

export class MemoryCacheStore implements CacheStore {
  private readonly slots = new Map<string, Slot>();
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private bytes = 0;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_CACHE_BYTES;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES, this.maxBytes);
  }

  get(key: string, now: number): Promise<CachedEntry | undefined> {
    const slot = this.slots.get(key);
    if (!slot) return Promise.resolve(undefined);
    this.slots.delete(key);
    if (now > slot.expiresAt) {
      this.bytes -= slot.bytes;
      return Promise.resolve(undefined);
    }
    this.slots.set(key, slot);
    return Promise.resolve(slot);
  }

  set(key: string, entry: NewEntry, lifetime: EntryLifetime, now: number): Promise<boolean> {
    const bytes = entryBytes(key, entry);
    if (bytes > this.maxEntryBytes) return Promise.resolve(false);
    this.remove(key);
    this.sweep(now);
    for (const [oldest, slot] of this.slots) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.slots.delete(oldest);
      this.bytes -= slot.bytes;
    }
    const slot = new Slot(entry.payload, entry.group, entry.scope, now, now + lifetimeMs(lifetime), bytes);
    this.slots.set(key, slot);
    this.bytes += bytes;
    return Promise.resolve(true);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.remove(key));
  }

  stats(): Promise<CacheStats> {
    return Promise.resolve({ entries: this.slots.size, bytes: this.bytes });
  }

  private remove(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot) return false;
    this.slots.delete(key);
    this.bytes -= slot.bytes;
    return true;
  }

  private sweep(now: number): void {
    let looked = 0;
    for (const [key, slot] of this.slots) {
      if (++looked > SWEEP_PER_INSERT) break;
      if (now > slot.expiresAt) {
        this.slots.delete(key);
        this.bytes -= slot.bytes;
      }
    }
  }
}
