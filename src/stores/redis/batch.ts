/**
 * Concurrent decisions share one script call. ioredis auto-pipelining
 * already shares round trips, but Redis still runs one script per decision
 * (tens of µs each: argument parsing, one read and one write per bucket).
 * Batching goes one step further: the reservations (or settles) of one
 * hash-tag group issued in the same tick go to Redis as one script call that
 * decides them in order, reading each hot bucket once and writing it once.
 * With one decision in flight a batch is that one decision, sent at the end
 * of the current tick.
 */

/** Collects items added during one tick and hands them to `flush` on `process.nextTick`, or when full. */
export class TickBatcher<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(
    private readonly maxItems: number,
    private readonly flush: (items: T[]) => void,
  ) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.maxItems) {
      this.drain();
    } else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.drainScheduled);
    }
  }

  private readonly drainScheduled = (): void => {
    this.scheduled = false;
    this.drain();
  };

  private drain(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flush(items);
  }
}

/** KEYS of one script call: two fixed keys, then every other key once; `indexOf` is 1-based like Lua. */
export class KeyTable {
  readonly keys: string[];
  private readonly index = new Map<string, number>();

  constructor(first: string, second: string) {
    this.keys = [first, second];
  }

  indexOf(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length;
      this.index.set(key, i);
    }
    return i;
  }
}

/**
 * Decodes a number from a script reply: an integer is a count of millionths
 * (lib.lua `enc`), a string is the number itself.
 */
export function units(value: unknown): number {
  return typeof value === 'number' ? value / 1_000_000 : Number(value);
}
