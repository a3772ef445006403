/**
 * What scripts need to know about a bucket, computed once per `BucketSpec`
 * object (specs are frozen at configuration time) instead of per decision:
 * its key names and its numbers as the strings sent to Redis.
 */
import type { Dimension } from '../../core/cost.js';
import type { BucketSpec } from '../../core/limit.js';
import type { RedisKeys } from './keys.js';

export interface SpecArgs {
  readonly tag: string;
  readonly stateKey: string;
  /** Concurrency buckets only: the slot set. */
  readonly slotsKey: string | undefined;
  /** g = gcra, d = calendar day, n = concurrency (as the scripts spell it). */
  readonly kind: 'g' | 'd' | 'n';
  readonly capacity: string;
  readonly rate: string;
  /** The part of a cost the bucket is charged (reserve.lua computes the amount from the cost vector). */
  readonly dimension: 'r' | 'i' | 'o' | 't' | 'c';
}

const DIMENSION_CODES: Readonly<Record<Dimension, SpecArgs['dimension']>> = {
  requests: 'r',
  input_tokens: 'i',
  output_tokens: 'o',
  tokens: 't',
  concurrency: 'c',
};

export function specArgs(spec: BucketSpec, keys: RedisKeys, tag: string): SpecArgs {
  return {
    tag,
    stateKey: keys.state(tag, spec.key),
    slotsKey: spec.kind === 'concurrency' ? keys.slots(tag, spec.key) : undefined,
    kind: spec.kind === 'gcra' ? 'g' : spec.kind === 'calendar' ? 'd' : 'n',
    // String(number) is the shortest exact form: Lua's tonumber reads back the same double.
    capacity: String(spec.capacity),
    rate: String(spec.ratePerMs),
    dimension: DIMENSION_CODES[spec.dimension],
  };
}
