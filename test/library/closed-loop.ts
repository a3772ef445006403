/**
 * Loads on a manual clock. `closedLoop`: `workers` callers each send a call,
 * and another as soon as it is answered, until `untilMs` of clock time. The
 * clock (times relative to its start) moves a second at a time, and only once every caller waits in the
 * governor's queue, so what is served depends on the clock alone, not on
 * how fast the machine runs. `burst`: n calls at once, the clock moved until
 * all are answered. Shared by the library and gateway suites.
 */
import type { ManualClock } from '../../src/core/clock.js';
import type { Governor } from '../../src/runtime/governor.js';
import { waitUntil } from '../gateway/helpers.js';

export interface Answered<T> {
  /** Clock ms since the load started. */
  readonly at: number;
  readonly result: PromiseSettledResult<T>;
}

export async function closedLoop<T>(options: {
  clock: ManualClock;
  governor: () => Governor;
  workers: number;
  /** Clock ms after the start when callers stop sending. */
  untilMs: number;
  call: (worker: number) => Promise<T>;
  /** Called at each step of the clock (ms since the start), before it moves: snapshots of counters. */
  onStep?: (elapsed: number) => void;
}): Promise<Answered<T>[]> {
  const { clock, workers, untilMs, call } = options;
  const answered: Answered<T>[] = [];
  const start = clock.now();
  const elapsed = () => clock.now() - start;
  let active = workers;
  const loop = async (worker: number) => {
    while (elapsed() < untilMs) {
      const result = await call(worker).then(
        (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
      );
      answered.push({ at: elapsed(), result });
      // A refusal can come back without any I/O: yield, or a refused caller starves the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
    active--;
  };
  const done = Promise.all(Array.from({ length: workers }, (_, i) => loop(i)));
  const queued = () =>
    options
      .governor()
      .admission.stats()
      .queued.reduce((sum, depth) => sum + depth, 0);
  for (let steps = 0; active > 0; steps++) {
    if (steps > untilMs / 1_000 + 600) throw new Error('callers still waiting long after the end');
    await waitUntil(() => active === 0 || queued() === active);
    options.onStep?.(elapsed());
    if (active > 0) await clock.advanceAsync(1_000);
  }
  await done;
  return answered;
}

/** Sends `n` calls at once and moves the clock a second at a time until all are answered. */
export async function burst<T>(
  clock: ManualClock,
  governor: () => Governor,
  n: number,
  call: () => Promise<T>,
): Promise<Answered<T>[]> {
  const start = clock.now();
  const answered: Answered<T>[] = [];
  for (let i = 0; i < n; i++) {
    call().then(
      (value) => answered.push({ at: clock.now() - start, result: { status: 'fulfilled', value } }),
      (reason: unknown) => answered.push({ at: clock.now() - start, result: { status: 'rejected', reason } }),
    );
  }
  const queued = () =>
    governor()
      .admission.stats()
      .queued.reduce((sum, depth) => sum + depth, 0);
  for (let seconds = 0; seconds <= 900; seconds++) {
    await waitUntil(() => answered.length + queued() === n);
    if (answered.length === n) return answered;
    await clock.advanceAsync(1_000);
  }
  throw new Error('calls still queued after 900 s of clock time');
}
