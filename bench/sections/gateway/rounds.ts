/**
 * Interleaved closed-loop rounds against a proxy process, shared by the
 * sections that put `sluice serve` beside a peer (gateway, translation): one
 * round's requests/s, latency and the proxy's CPU per request, and the
 * medians over rounds, with ratios taken round by round.
 */
import { closedLoop, cpuMs, type Endpoint } from '../../lib/proxy-load.js';

export interface Sample {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly errors: number;
}

/** One closed-loop round; CPU is the proxy process's (`pid`) user + system time per request served. */
export async function measureRound(
  pid: number,
  endpoint: Endpoint,
  connections: number,
  seconds: number,
): Promise<Sample> {
  const before = cpuMs(pid) ?? 0;
  const r = await closedLoop(endpoint, connections, seconds);
  const used = (cpuMs(pid) ?? 0) - before;
  return {
    rps: r.requestsPerSecond,
    p50: r.p50Ms,
    p99: r.p99Ms,
    cpuUs: r.total > 0 ? (used * 1_000) / r.total : 0,
    errors: r.errors + r.non2xx,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The columns every round-based table shows: medians of rate, latency and CPU over the rounds. */
export function medianColumns(own: readonly Sample[]): Record<string, number> {
  return {
    'req/s': Math.round(median(own.map((s) => s.rps))),
    'p50 ms': median(own.map((s) => s.p50)),
    'p99 ms': median(own.map((s) => s.p99)),
    'CPU µs/req': Math.round(median(own.map((s) => s.cpuUs))),
  };
}

/** `own` ÷ `peer` by `roundRatio`, as `1.23×` (empty without a peer or a finite ratio). */
export function ratioText(
  own: readonly Sample[],
  peer: readonly Sample[] | undefined,
  pick: (s: Sample) => number,
): string {
  if (!peer) return '';
  const r = roundRatio(own, peer, pick);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '';
}

/**
 * The median of the ratios taken round by round (the case and its peer
 * measured seconds apart), which a burst of other work on the machine moves
 * far less than a ratio of medians. NaN when no round gives a finite ratio.
 */
export function roundRatio(
  own: readonly Sample[],
  peer: readonly Sample[],
  pick: (s: Sample) => number,
): number {
  const ratios = own
    .map((s, i) => {
      const p = peer[i];
      return p === undefined ? Number.NaN : pick(s) / pick(p);
    })
    .filter(Number.isFinite);
  return ratios.length > 0 ? median(ratios) : Number.NaN;
}
