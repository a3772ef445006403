/**
 * Steady-state goodput from the provider's admitted counter sampled over
 * time: the rate from 4 s after the initial burst landed to the end, as a
 * share of the limit's rate. (The first response headers re-sync the
 * buckets to the provider's view; when the burst reached the provider late
 * — a loaded test machine — that pauses admission for up to the margin's
 * worth of refill, ≤ 3.2 s here, once.)
 */
export function steadyGoodput(
  samples: readonly (readonly [number, number])[],
  burst: number,
  ratePerMinute: number,
): { goodput: number; seconds: number } {
  const landed = samples.findIndex(([, n]) => n >= burst);
  const landedAt = samples[landed]?.[0] ?? Number.POSITIVE_INFINITY;
  const from = samples.find(([t]) => t >= landedAt + 4_000);
  const to = samples.at(-1);
  if (landed < 0 || !from || !to || to[0] - from[0] < 3_000) {
    throw new Error(`no steady phase of 3 s or more in ${JSON.stringify(samples)}`);
  }
  const seconds = (to[0] - from[0]) / 1_000;
  return { goodput: (to[1] - from[1]) / ((seconds / 60) * ratePerMinute), seconds };
}

/** The provider's admitted counter, sampled every 250 ms for `forMs` of wall-clock time. */
export async function sampleAdmitted(
  simulator: { stats(): { admitted: number } },
  forMs: number,
): Promise<[number, number][]> {
  const samples: [number, number][] = [];
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    samples.push([Date.now(), simulator.stats().admitted]);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return samples;
}
