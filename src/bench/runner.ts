/**
 * The run loop: open-loop arrivals on the plan's schedule (a slow target
 * never slows the load down), bounded by the plan's duration, then a
 * bounded drain; whatever is still unanswered after it is cut and counted.
 * Every request ends served, refused or failed.
 */
import { newRecord, type RequestRecord } from './record.js';
import type { BenchTarget } from './targets/target.js';
import type { PlannedRequest } from './workload.js';

/** The run's clock: ms since `start()`; shared by the runner, the targets and the samplers. */
export class RunClock {
  private t0 = performance.now();
  start(): void {
    this.t0 = performance.now();
  }
  readonly now = (): number => performance.now() - this.t0;
}

/** What the provider says at a moment (the simulator's counters), when it can be asked. */
export interface ProviderSample {
  /** Upstream 429s so far (the provider's own count). */
  readonly rejected: number;
  /** Requests that reached the provider so far. */
  readonly requests: number;
  /** Tokens left in the provider's per-minute token buckets for the keys × model (summed over the keys). */
  readonly tokensRemaining: number | undefined;
  /** The same counters per key (by the scenario's key name), when the provider is the simulator. */
  readonly perKey?: Readonly<Record<string, KeySample>>;
}

/** What one key's counters say: calls that reached it, were admitted or answered 429, tokens it served. */
export interface KeySample {
  readonly requests: number;
  readonly admitted: number;
  readonly rejected: number;
  readonly tokens: number;
}

export interface Sample {
  readonly t: number;
  readonly inFlight: number;
  readonly served: number;
  readonly refused: number;
  readonly failed: number;
  readonly provider: ProviderSample | undefined;
}

export interface Progress {
  readonly phase: 'arrivals' | 'drain';
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly fired: number;
  readonly planned: number;
  readonly served: number;
  readonly refused: number;
  readonly failed: number;
  readonly inFlight: number;
}

export interface RunOptions {
  readonly plan: readonly PlannedRequest[];
  readonly target: BenchTarget;
  readonly clock: RunClock;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly sampleEveryMs?: number;
  readonly probe?: () => ProviderSample;
  readonly onProgress?: (progress: Progress) => void;
}

export interface RunResult {
  readonly records: RequestRecord[];
  readonly samples: Sample[];
  /** When the last arrival was sent (≤ duration). */
  readonly arrivalsEndedAt: number;
  readonly endedAt: number;
  /** Requests cut after the drain. */
  readonly unanswered: number;
}

/** Grace given to cut requests to record their abort before they are marked by the runner. */
const CUT_GRACE_MS = 2_000;

export async function runWorkload(options: RunOptions): Promise<RunResult> {
  const { plan, target, clock } = options;
  const now = clock.now;
  const records: RequestRecord[] = [];
  const inFlight = new Map<RequestRecord, { controller: AbortController; done: Promise<void> }>();
  const counts = { served: 0, refused: 0, failed: 0 };
  const samples: Sample[] = [];
  let phase: Progress['phase'] = 'arrivals';

  const sample = () =>
    samples.push({ t: now(), inFlight: inFlight.size, ...counts, provider: options.probe?.() });
  const progress = () =>
    options.onProgress?.({
      phase,
      elapsedMs: now(),
      durationMs: options.durationMs,
      fired: records.length,
      planned: plan.length,
      ...counts,
      inFlight: inFlight.size,
    });

  const launch = (planned: PlannedRequest) => {
    const record = newRecord(planned, now());
    records.push(record);
    const controller = new AbortController();
    const done = target
      .send(record, controller.signal)
      .catch((error: unknown) => {
        // Targets should never reject; if one does, it is a failure of that request.
        record.outcome ??= 'failed';
        record.reason ??= (error as Error).message?.slice(0, 80);
        record.endedAt ??= now();
      })
      .finally(() => {
        inFlight.delete(record);
        record.outcome ??= 'failed';
        counts[record.outcome]++;
      });
    inFlight.set(record, { controller, done });
  };

  clock.start();
  sample();
  const sampler = setInterval(sample, options.sampleEveryMs ?? 1_000);
  const ticker = setInterval(progress, 250);
  try {
    await new Promise<void>((resolve) => {
      let next = 0;
      const fire = () => {
        const t = now();
        while (next < plan.length && (plan[next] as PlannedRequest).at <= t && t < options.durationMs) {
          launch(plan[next++] as PlannedRequest);
        }
        if (next >= plan.length || t >= options.durationMs) {
          resolve();
          return;
        }
        setTimeout(fire, Math.max(0, (plan[next] as PlannedRequest).at - now()));
      };
      fire();
    });
    const arrivalsEndedAt = now();
    phase = 'drain';

    const drainDeadline = Math.max(options.durationMs, arrivalsEndedAt) + options.drainMs;
    await settledOrTimeout(() => [...inFlight.values()].map((f) => f.done), drainDeadline - now());
    const cut = [...inFlight.keys()];
    for (const record of cut) inFlight.get(record)?.controller.abort();
    await settledOrTimeout(() => [...inFlight.values()].map((f) => f.done), CUT_GRACE_MS);
    for (const record of cut) {
      if (record.outcome === undefined || record.endedAt === undefined) {
        record.outcome = 'failed';
        record.reason = 'unanswered';
      }
    }
    // Anything still in flight after the grace is left behind, counted as unanswered.
    for (const record of inFlight.keys()) {
      record.outcome = 'failed';
      record.reason = 'unanswered';
    }
    sample();
    progress();
    return { records, samples, arrivalsEndedAt, endedAt: now(), unanswered: cut.length };
  } finally {
    clearInterval(sampler);
    clearInterval(ticker);
  }
}

/** Waits until every promise `list()` returns (re-read as they settle) is settled, or `ms` passed. */
async function settledOrTimeout(list: () => Promise<void>[], ms: number): Promise<void> {
  const deadline = performance.now() + Math.max(0, ms);
  for (;;) {
    const pending = list();
    const left = deadline - performance.now();
    if (pending.length === 0 || left <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      }),
    ]);
    clearTimeout(timer);
  }
}
