/** Operations per second of async operations, measured the same way by every section that needs it. */
import { type BucketSpec, defineBucket } from '../../src/core/limit.js';

/**
 * A typical decision's buckets (deployment RPM + TPM, tenant RPM + TPM),
 * limits so large that every decision is a grant and takes the full write
 * path. `prefix` keeps sets apart.
 */
export function fourHugeBuckets(prefix = ''): BucketSpec[] {
  const huge = { limit: 1e12, per: 'minute' as const, margin: 0 };
  return [
    defineBucket(`${prefix}deployment:openai-1:requests:minute`, { dimension: 'requests', ...huge }),
    defineBucket(`${prefix}deployment:openai-1:tokens:minute`, { dimension: 'tokens', ...huge }),
    defineBucket(`${prefix}tenant:acme:requests:minute`, { dimension: 'requests', ...huge }),
    defineBucket(`${prefix}tenant:acme:tokens:minute`, { dimension: 'tokens', ...huge }),
  ];
}

export interface ThroughputOptions {
  /** Length of one run (default 700 ms). */
  readonly durationMs?: number;
  /** Runs per case; the median is reported (default 5). */
  readonly runs?: number;
}

/** Operations per second with `inFlight` concurrent loops over `op` for `durationMs`. */
export async function throughput(
  op: () => Promise<unknown>,
  inFlight: number,
  durationMs = 700,
): Promise<number> {
  let done = 0;
  const until = performance.now() + durationMs;
  const loop = async () => {
    while (performance.now() < until) {
      await op();
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  return (done * 1_000) / (performance.now() - start);
}

/**
 * Median operations/s of every op, runs interleaved (A, B, C, A, B, C…) so
 * that background load on a shared machine hits every case alike, after one
 * warm-up run each (JIT, connections, script cache).
 */
export async function measureAll(
  ops: readonly (() => Promise<unknown>)[],
  inFlight: number,
  options: ThroughputOptions = {},
): Promise<number[]> {
  const durationMs = options.durationMs ?? 700;
  const runs = options.runs ?? 5;
  for (const op of ops) await throughput(op, inFlight, durationMs);
  const samples = ops.map(() => [] as number[]);
  for (let run = 0; run < runs; run++)
    for (let i = 0; i < ops.length; i++)
      samples[i]?.push(await throughput(ops[i] as () => Promise<unknown>, inFlight, durationMs));
  return samples.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number);
}
