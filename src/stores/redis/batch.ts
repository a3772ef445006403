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

import type { ScriptArg } from './scripts.js';

/** Collects items added during one tick and hands them to `flush` on `process.nextTick`, or when full. */
export class TickBatcher<T> {
  private items: T[] = [];
  private scheduled = false;
  private woken = false;

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

  /** Flushes at the end of the tick even if nothing is added (for work riding along, e.g. published demand). */
  wake(): void {
    this.woken = true;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.drainScheduled);
    }
  }

  private readonly drainScheduled = (): void => {
    this.scheduled = false;
    this.drain();
  };

  private drain(): void {
    if (this.items.length === 0 && !this.woken) return;
    this.woken = false;
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
 * Numbers the distinct bucket lists ("shapes") of a batch: many requests of
 * one batch touch the same buckets, so each list is sent once and referred
 * to by number. `args` holds, per shape, its length and then its entries.
 */
export class ShapeTable {
  readonly args: ScriptArg[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.index.size;
  }

  indexOf(entries: readonly number[]): number {
    const key = entries.join(',');
    let shape = this.index.get(key);
    if (shape === undefined) {
      shape = this.index.size + 1;
      this.index.set(key, shape);
      this.args.push(entries.length);
      for (const n of entries) this.args.push(n);
    }
    return shape;
  }
}

/**
 * A script's ARGV: the fixed header, the three counts (and `extra.counts`),
 * then entries, shapes (and `extra.args`) and items.
 */
export function batchArgv(
  header: readonly ScriptArg[],
  entryCount: number,
  shapes: ShapeTable,
  itemCount: number,
  entryArgs: readonly ScriptArg[],
  itemArgs: readonly ScriptArg[],
  extra?: { readonly counts: readonly ScriptArg[]; readonly args: readonly ScriptArg[] },
): ScriptArg[] {
  const argv: ScriptArg[] = [...header, entryCount, shapes.size, itemCount];
  if (extra) for (const arg of extra.counts) argv.push(arg);
  for (const arg of entryArgs) argv.push(arg);
  for (const arg of shapes.args) argv.push(arg);
  if (extra) for (const arg of extra.args) argv.push(arg);
  for (const arg of itemArgs) argv.push(arg);
  return argv;
}

/**
 * Decodes a number from a script reply: an integer is a count of millionths
 * (lib.lua `enc`), a string is the number itself.
 */
export function units(value: unknown): number {
  return typeof value === 'number' ? value / 1_000_000 : Number(value);
}
