/**
 * Items ordered by an expiry time (reservation leases in the memory store,
 * queued requests' deadlines in admission), so the expired ones are found in
 * O(log n) instead of scanning everything on each decision. Each entry knows
 * its own position (`heapIndex`), so removing it (a settle, an admission) or
 * moving it (a lease renewal) is O(log n) too, and the heap only ever holds
 * live entries.
 */
export interface Leased {
  expiresAt: number;
  /** Position in the heap, -1 when not in it. */
  heapIndex: number;
}

export class LeaseHeap<T extends Leased> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Earliest expiry, or Infinity when empty. */
  peekExpiry(): number {
    return this.items.length ? (this.items[0] as T).expiresAt : Number.POSITIVE_INFINITY;
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Takes `item` out; false when it was not in the heap. */
  remove(item: T): boolean {
    if (!this.has(item)) return false;
    const index = item.heapIndex;
    const last = this.items.pop() as T;
    item.heapIndex = -1;
    if (last !== item) {
      this.items[index] = last;
      last.heapIndex = index;
      this.down(index);
      this.up(last.heapIndex);
    }
    return true;
  }

  /** Moves `item` to a new expiry. */
  update(item: T, expiresAt: number): void {
    if (!this.has(item)) return;
    item.expiresAt = expiresAt;
    this.down(item.heapIndex);
    this.up(item.heapIndex);
  }

  private up(index: number): void {
    const items = this.items;
    const item = items[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (parent.expiresAt <= item.expiresAt) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[index] as T;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (items[right] as T).expiresAt < (items[left] as T).expiresAt ? right : left;
      const childItem = items[child] as T;
      if (childItem.expiresAt >= item.expiresAt) break;
      items[index] = childItem;
      childItem.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
