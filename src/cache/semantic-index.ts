/**
 * The semantic cache's index in the process: per partition (a digest of
 * group, scope, system prompt, tools, parameters and history, made by
 * `cache-key.ts`), the stored questions' embeddings, and for a new question
 * the closest one at a cosine similarity or above. A question is only ever
 * compared within its own partition, so a different system prompt never
 * matches.
 *
 * Bounded twice: entries per partition (the oldest goes) and entries in all
 * (the oldest entry of the partition used least recently goes, and an
 * emptied partition with it).
 *
 * Memory per entry: the vector, 4 bytes per dimension (6 KiB at 1,536, 12
 * KiB at 3,072), plus about 100 bytes of id, times and map entry; the
 * defaults (10,000 entries) hold about 61 MiB of 1,536-dimension vectors.
 * Lookup time: one dot product per entry of the partition, 2.3 to 3.7 µs
 * per entry at 1,536 dimensions on a shared 2-core machine (p50 2.3 ms at
 * 1,000 entries, 34 ms at 10,000, 370 ms at 100,000:
 * bench/sections/semantic-index.ts), hence 2,000 entries per partition by
 * default. A lookup runs on the event loop, so the
 * per-partition bound is also the longest it blocks.
 *
 * Time is the caller's `now`; nothing here reads a clock.
 */
import type { SemanticMatcher } from './response-cache.js';
import { type SemanticMatch, SemanticPartition } from './semantic-partition.js';
import { unitVector } from './semantic-vectors.js';

export interface SemanticIndexOptions {
  /** Entries one partition holds at most (default 2,000: a lookup scans them all). */
  readonly maxEntriesPerPartition?: number;
  /** Entries all partitions hold at most (default 10,000: 61 MiB of 1,536-dimension vectors). */
  readonly maxEntries?: number;
}

export const DEFAULT_MAX_ENTRIES_PER_PARTITION = 2_000;
export const DEFAULT_MAX_ENTRIES = 10_000;

export class SemanticIndex implements SemanticMatcher {
  /** Partitions, least recently used first (a Map keeps insertion order; a use re-inserts). */
  private readonly partitions = new Map<string, SemanticPartition>();
  private readonly maxPerPartition: number;
  private readonly maxEntries: number;
  private total = 0;

  constructor(options: SemanticIndexOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxPerPartition = Math.min(
      options.maxEntriesPerPartition ?? DEFAULT_MAX_ENTRIES_PER_PARTITION,
      this.maxEntries,
    );
    if (!(this.maxPerPartition >= 1)) throw new RangeError('a semantic index holds at least one entry');
  }

  /** Entries held in all partitions. */
  get size(): number {
    return this.total;
  }

  /** Partitions holding entries. */
  get partitionCount(): number {
    return this.partitions.size;
  }

  /** Whether `partition` holds anything (the Redis index reads a partition whole again when not). */
  has(partition: string): boolean {
    return this.partitions.has(partition);
  }

  async nearest(
    partition: string,
    vector: Float32Array,
    similarity: number,
    now: number,
    maxAgeMs: number,
  ): Promise<{ key: string; similarity: number } | undefined> {
    const match = this.nearestNow(partition, vector, similarity, now, maxAgeMs);
    return match && { key: match.id, similarity: match.similarity };
  }

  async add(partition: string, key: string, vector: Float32Array, now: number, ttlMs: number): Promise<void> {
    this.addNow(partition, key, vector, now, now + ttlMs);
  }

  /** `nearest` without the promise, for callers that are synchronous already. */
  nearestNow(
    partition: string,
    vector: Float32Array,
    similarity: number,
    now: number,
    maxAgeMs: number,
  ): SemanticMatch | undefined {
    const held = this.use(partition);
    if (!held || held.dimensions !== vector.length) return undefined;
    const query = unitVector(vector);
    if (!query) return undefined;
    return this.measure(partition, held, () => held.nearest(query, similarity, now, maxAgeMs));
  }

  /**
   * Keeps `vector` for `id` until `expiresAt`. A vector of another length
   * than the partition's (the embeddings group changed model) starts the
   * partition afresh: vectors of two models cannot be compared.
   */
  addNow(partition: string, id: string, vector: Float32Array, storedAt: number, expiresAt: number): void {
    const unit = unitVector(vector);
    if (!unit || expiresAt <= storedAt) return;
    let held = this.use(partition);
    if (held && held.dimensions !== unit.length) {
      this.total -= held.size;
      this.partitions.delete(partition);
      held = undefined;
    }
    if (!held) {
      held = new SemanticPartition(unit.length, this.maxPerPartition);
      this.partitions.set(partition, held);
    }
    const target = held;
    this.measure(partition, target, () => {
      target.expire(storedAt);
      target.add(id, unit, storedAt, expiresAt);
    });
    while (this.total > this.maxEntries) this.dropOldestOfLeastUsed();
  }

  /** The partition, marked most recently used. */
  private use(partition: string): SemanticPartition | undefined {
    const held = this.partitions.get(partition);
    if (held) {
      this.partitions.delete(partition);
      this.partitions.set(partition, held);
    }
    return held;
  }

  /** Runs `change` on a partition and keeps the total and the emptied partitions in step. */
  private measure<T>(name: string, partition: SemanticPartition, change: () => T): T {
    const before = partition.size;
    const result = change();
    this.total += partition.size - before;
    if (partition.size === 0) this.partitions.delete(name);
    return result;
  }

  private dropOldestOfLeastUsed(): void {
    const first = this.partitions.entries().next();
    if (first.done) return;
    const [name, partition] = first.value;
    this.measure(name, partition, () => partition.dropOldest());
  }
}
