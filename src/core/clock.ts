/**
 * Time is injected everywhere: algorithms take `now` as an argument, and the
 * runtime schedules its wake-ups through a `Clock`, so every behaviour can be
 * replayed with a `ManualClock` in tests (no sleeps, no wall-clock asserts).
 */

/** Cancels a scheduled callback; calling it twice is harmless. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds since the Unix epoch (may be fractional). */
  now(): number;
  /** Runs `fn` once after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, fn: () => void): Cancel;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    // Node caps timers at 2^31-1 ms; longer waits are never needed by callers,
    // but clamp instead of letting Node fire immediately on overflow.
    const handle = setTimeout(fn, Math.min(Math.max(0, delayMs), 2_147_483_647));
    handle.unref?.();
    return () => clearTimeout(handle);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to. Timers fire in due order. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    const timer: ManualTimer = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Number of callbacks still waiting to fire. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward synchronously, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.current = Math.max(this.current, timer.at);
      timer.fn();
    }
    this.current = target;
  }

  /**
   * Moves time forward, letting promise callbacks run after every timer, so
   * async code driven by timers (the admission pump, stores) makes progress.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushAsync();
    for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
      this.current = Math.max(this.current, timer.at);
      timer.fn();
      await flushAsync();
    }
    this.current = target;
    await flushAsync();
  }

  /** Sets the time without firing timers (use to jump to a calendar date). */
  set(epochMs: number): void {
    this.current = epochMs;
  }

  private nextDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    let bestIndex = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i] as ManualTimer;
      if (t.cancelled || t.at > target) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) {
        best = t;
        bestIndex = i;
      }
    }
    if (best) this.timers.splice(bestIndex, 1);
    this.timers = this.timers.filter((t) => !t.cancelled);
    return best;
  }
}

/** Lets queued promise jobs and I/O callbacks of already-resolved work run. */
export async function flushAsync(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
