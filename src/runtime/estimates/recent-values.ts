/**
 * The last `capacity` values of a series and their quantiles: the memory
 * every learned estimate keeps. Old values fall out, so a provider that
 * changes how it counts is followed within one window; a high (or low)
 * quantile instead of the mean keeps a few outliers from moving the answer.
 */
export class RecentValues {
  private readonly values: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.values.length;
  }

  push(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The nearest-rank `q` quantile (q in [0, 1]), or undefined when empty. */
  quantile(q: number): number | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
    return sorted[rank - 1];
  }
}
