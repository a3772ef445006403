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
import type { DeploymentLimitName } from './recorder.js';

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

const LIMIT_NAME: Readonly<Record<string, DeploymentLimitName>> = Object.freeze({
  requests: 'rpm',
  tokens: 'tpm',
  input_tokens: 'itpm',
  output_tokens: 'otpm',
});

/** One deployment's own per-minute limits (per-second ones × 60, the tighter kept), for its own chart. */
export function perMinuteLimits(d: { readonly id: string; readonly buckets: readonly BucketView[] }): {
  id: string;
  limits: Partial<Record<DeploymentLimitName, number>>;
} {
  const limits: Partial<Record<DeploymentLimitName, number>> = {};
  for (const b of d.buckets) {
    const scale = b.window === undefined ? undefined : PER_MINUTE[b.window];
    const name = LIMIT_NAME[b.dimension];
    if (scale === undefined || name === undefined) continue;
    limits[name] = Math.min(limits[name] ?? Number.POSITIVE_INFINITY, b.limit * scale);
  }
  return { id: d.id, limits };
}
