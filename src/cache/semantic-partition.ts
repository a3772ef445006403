/**
 * One partition of the semantic index: the stored questions that may answer
 * each other (same group, scope, system prompt, tools, parameters and
 * history), searched exhaustively.
 *
 * Vectors sit in one Float32Array, oldest first, as a ring: adding past the
 * bound overwrites the oldest, and an entry past its life is dropped from
 * the old end as soon as a call sees it. A lookup is one dot product per
 * entry (vectors are unit length, so that is the cosine): exact, nothing
 * to build, and a store costs a copy.
 *
 * Why not a graph index (bench/sections/semantic-index.ts, same run, 1,536
 * dimensions): of the npm libraries that install without a compiler or a
 * download, HNSW in WebAssembly (`edgevec`) looks up faster (0.54× the
 * scan's time at 1,000 entries, 0.08× at 10,000) but stores 230× to 1,170×
 * slower (2 to 16 ms per entry, on the event loop: an instance catching up
 * on a 10,000-entry partition from Redis would stall for minutes), holds 2×
 * to 3× the memory, and its cosine metric returned the farthest entries;
 * HNSW in TypeScript (`hnsw`) is slower than the scan both ways;
 * `hnswlib-wasm` does not run under Node. At the bound a partition keeps
 * (2,000 by default) the scan takes about 5 ms.
 */
import { dotAt } from './semantic-vectors.js';

export interface SemanticMatch {
  readonly id: string;
  readonly similarity: number;
}

/** Room for this many entries first; doubled as entries come, up to the bound. */
const FIRST_CAPACITY = 16;

export class SemanticPartition {
  private vectors: Float32Array;
  private ids: (string | undefined)[];
  private storedAt: Float64Array;
  private expiresAt: Float64Array;
  /** Slot of the oldest entry. */
  private head = 0;
  /** Slots in use, live or emptied by a replacement. */
  private used = 0;
  private readonly slotOf = new Map<string, number>();

  constructor(
    readonly dimensions: number,
    private readonly maxEntries: number,
  ) {
    const capacity = Math.min(FIRST_CAPACITY, maxEntries);
    this.vectors = new Float32Array(capacity * dimensions);
    this.ids = new Array<string | undefined>(capacity);
    this.storedAt = new Float64Array(capacity);
    this.expiresAt = new Float64Array(capacity);
  }

  /** Entries held (replaced ones not counted). */
  get size(): number {
    return this.slotOf.size;
  }

  /**
   * Keeps `vector` (unit length, `dimensions` long) for `id`, replacing an
   * entry of the same id; past the bound the first added goes (the oldest,
   * as entries come in about `storedAt` order).
   */
  add(id: string, vector: Float32Array, storedAt: number, expiresAt: number): void {
    const previous = this.slotOf.get(id);
    if (previous !== undefined) this.forget(previous);
    if (this.used === this.capacity) {
      // Room, in this order: slots emptied by replacements, more memory, the oldest entry.
      if (this.slotOf.size < this.used) this.relayout(this.capacity);
      else if (this.capacity < this.maxEntries) this.relayout(Math.min(this.capacity * 2, this.maxEntries));
      else this.dropOldest();
    }
    const slot = (this.head + this.used) % this.capacity;
    this.vectors.set(vector, slot * this.dimensions);
    this.ids[slot] = id;
    this.storedAt[slot] = storedAt;
    this.expiresAt[slot] = expiresAt;
    this.slotOf.set(id, slot);
    this.used++;
  }

  /** The closest live entry at `similarity` or above, stored at most `maxAgeMs` before `now`. */
  nearest(query: Float32Array, similarity: number, now: number, maxAgeMs: number): SemanticMatch | undefined {
    this.expire(now);
    let bestSlot = -1;
    let best = similarity;
    const { capacity, dimensions } = this;
    for (let k = 0; k < this.used; k++) {
      const slot = (this.head + k) % capacity;
      if (
        this.ids[slot] === undefined ||
        now - (this.storedAt[slot] as number) > maxAgeMs ||
        (this.expiresAt[slot] as number) <= now
      )
        continue;
      const score = dotAt(query, this.vectors, slot * dimensions);
      if (score >= best) {
        best = score;
        bestSlot = slot;
      }
    }
    const id = bestSlot < 0 ? undefined : this.ids[bestSlot];
    // Rounding can put a vector's cosine with itself a hair above 1.
    return id === undefined ? undefined : { id, similarity: Math.min(best, 1) };
  }

  /** Drops entries past their life (and emptied slots) from the old end. */
  expire(now: number): void {
    while (
      this.used > 0 &&
      (this.ids[this.head] === undefined || (this.expiresAt[this.head] as number) <= now)
    )
      this.dropHead();
  }

  /** Drops the oldest entry (and emptied slots before it); false when there was none. */
  dropOldest(): boolean {
    while (this.used > 0) if (this.dropHead() !== undefined) return true;
    return false;
  }

  /** Frees the oldest slot; the id it held, if any. */
  private dropHead(): string | undefined {
    const id = this.ids[this.head];
    if (id !== undefined) this.slotOf.delete(id);
    this.ids[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.used--;
    return id;
  }

  private get capacity(): number {
    return this.ids.length;
  }

  /** A replaced entry's slot stays in the ring, empty, until the old end passes it. */
  private forget(slot: number): void {
    const id = this.ids[slot];
    if (id !== undefined) this.slotOf.delete(id);
    this.ids[slot] = undefined;
  }

  /** Lays the live entries out oldest first in `capacity` slots (more room, or emptied slots freed). */
  private relayout(capacity: number): void {
    const { dimensions } = this;
    const vectors = new Float32Array(capacity * dimensions);
    const ids = new Array<string | undefined>(capacity);
    const storedAt = new Float64Array(capacity);
    const expiresAt = new Float64Array(capacity);
    let kept = 0;
    for (let k = 0; k < this.used; k++) {
      const slot = (this.head + k) % this.capacity;
      const id = this.ids[slot];
      if (id === undefined) continue;
      vectors.set(this.vectors.subarray(slot * dimensions, (slot + 1) * dimensions), kept * dimensions);
      ids[kept] = id;
      storedAt[kept] = this.storedAt[slot] as number;
      expiresAt[kept] = this.expiresAt[slot] as number;
      this.slotOf.set(id, kept);
      kept++;
    }
    this.vectors = vectors;
    this.ids = ids;
    this.storedAt = storedAt;
    this.expiresAt = expiresAt;
    this.head = 0;
    this.used = kept;
  }
}
