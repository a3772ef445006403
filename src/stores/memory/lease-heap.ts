/**
 * Reservations ordered by lease expiry, so that the store finds the expired
 * ones in O(log n) instead of scanning every reservation on each decision.
 * Entries are never updated in place: a renewed lease pushes a new entry and
 * the stale one is skipped when it surfaces (the caller checks the record).
 */
export interface LeaseEntry {
  expiresAt: number;
  id: string;
}

export class LeaseHeap {
  private readonly items: LeaseEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(expiresAt: number, id: string): void {
    const items = this.items;
    items.push({ expiresAt, id });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as LeaseEntry;
      const c = items[i] as LeaseEntry;
      if (p.expiresAt <= c.expiresAt) break;
      items[parent] = c;
      items[i] = p;
      i = parent;
    }
  }

  /** Earliest expiry, or Infinity when empty. */
  peekExpiry(): number {
    return this.items.length ? (this.items[0] as LeaseEntry).expiresAt : Number.POSITIVE_INFINITY;
  }

  pop(): LeaseEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && (items[l] as LeaseEntry).expiresAt < (items[m] as LeaseEntry).expiresAt) m = l;
      if (r < items.length && (items[r] as LeaseEntry).expiresAt < (items[m] as LeaseEntry).expiresAt) m = r;
      if (m === i) break;
      const tmp = items[m] as LeaseEntry;
      items[m] = items[i] as LeaseEntry;
      items[i] = tmp;
      i = m;
    }
    return top;
  }
}
