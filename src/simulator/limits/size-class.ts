/**
 * Long-context requests count against limits of their own (PROVIDERS.md,
 * "2026 changes": Anthropic's standard mode splits inputs ≤ 200 K and
 * > 200 K into separate limits; OpenAI's long-context models have a
 * separate long-context limit). A dimension the class declares is a bucket
 * of its own for requests above the threshold; the others stay shared.
 */
import type { LongContextSet } from '../config.js';
import { LIMIT_DIMENSIONS, type LimitDimension, type SimBucket } from './bucket.js';

export class SimLongContext {
  private readonly own: ReadonlySet<LimitDimension>;

  constructor(
    /** Requests with more input tokens than this (cached or not) are long-context. */
    readonly aboveInputTokens: number,
    readonly buckets: readonly SimBucket[],
  ) {
    this.own = new Set(buckets.map((b) => b.dimension));
  }

  /** The buckets a request with `contextTokens` of input is counted on. */
  select(standard: readonly SimBucket[], contextTokens: number): readonly SimBucket[] {
    if (contextTokens <= this.aboveInputTokens) return standard;
    return [...standard.filter((b) => !this.own.has(b.dimension)), ...this.buckets];
  }
}

/** The long-context class of a scope, with a bucket per declared dimension. */
export function longContextOf(
  set: LongContextSet | undefined,
  bucket: (dimension: LimitDimension, limit: number) => SimBucket,
): SimLongContext | undefined {
  if (!set) return undefined;
  const buckets: SimBucket[] = [];
  for (const dimension of LIMIT_DIMENSIONS) {
    const limit = set[dimension];
    if (limit !== undefined) buckets.push(bucket(dimension, limit));
  }
  return new SimLongContext(set.above_input_tokens, buckets);
}
