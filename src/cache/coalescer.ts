/**
 * Singleflight: concurrent calls with the same key share one run of the
 * work, so a burst of identical cache misses sends one upstream call and
 * every caller gets its answer (or its error). A flight is forgotten when
 * it settles; the next call with that key runs the work again.
 *
 * In-process only: instances sharing a Redis cache each run their own
 * flight for the same key (coordinating them would put a lock round trip
 * on every miss).
 *
 * Bounded: with `maxFlights` keys in the air, a new key runs on its own,
 * uncoalesced, rather than being refused or queued.
 */

export interface CoalescerOptions {
  /** Distinct keys in flight at most (default 10,000). */
  readonly maxFlights?: number;
}

export class Coalescer<T> {
  private readonly flights = new Map<string, Promise<T>>();
  private readonly maxFlights: number;

  constructor(options: CoalescerOptions = {}) {
    this.maxFlights = options.maxFlights ?? 10_000;
  }

  /** `work()`'s result, shared with every call for `key` made while it runs. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const joined = this.flights.get(key);
    if (joined) return joined;
    if (this.flights.size >= this.maxFlights) return start(work);
    const flight = start(work).finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    this.flights.set(key, flight);
    return flight;
  }

  /** Keys in flight now. */
  get size(): number {
    return this.flights.size;
  }
}

/** A work that throws before returning its promise fails its flight like one that rejects. */
function start<T>(work: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
