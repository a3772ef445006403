/**
 * The limit lines drawn under the request and token charts: the sum over
 * deployments of each rate limit, per minute, as in force now (after the
 * adaptive decrease, so an AIMD cut shows as a step down). The sustained
 * rate a bucket allows is its full limit (the safety margin shrinks the
 * burst, not the rate: README, "How limits are counted"), so the line is the
 * limit, not the capacity. Per-day limits and concurrency have no per-minute
 * rate and are left out.
 */
import type { BucketView } from '../gateway/state.js';

export interface LimitLines {
  requests: number | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  tokens: number | undefined;
}

const PER_MINUTE: Readonly<Record<string, number>> = Object.freeze({ second: 60, minute: 1 });
const LINE_OF: Readonly<Record<string, keyof LimitLines>> = Object.freeze({
  requests: 'requests',
  input_tokens: 'inputTokens',
  output_tokens: 'outputTokens',
  tokens: 'tokens',
});

export function limitLines(deployments: readonly { readonly buckets: readonly BucketView[] }[]): LimitLines {
  const lines: LimitLines = {
    requests: undefined,
    inputTokens: undefined,
    outputTokens: undefined,
    tokens: undefined,
  };
  for (const d of deployments) {
    // A deployment limiting one dimension per second and per minute is bound by the tighter one.
    const own: Partial<Record<keyof LimitLines, number>> = {};
    for (const b of d.buckets) {
      const scale = b.window === undefined ? undefined : PER_MINUTE[b.window];
      const line = LINE_OF[b.dimension];
      if (scale === undefined || line === undefined) continue;
      const perMinute = b.limit * scale;
      own[line] = Math.min(own[line] ?? Number.POSITIVE_INFINITY, perMinute);
    }
    for (const [line, value] of Object.entries(own) as [keyof LimitLines, number][]) {
      lines[line] = (lines[line] ?? 0) + value;
    }
  }
  return lines;
}
