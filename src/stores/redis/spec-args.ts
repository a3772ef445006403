/**
 * What scripts need to know about a bucket, computed once per `BucketSpec`
 * object (specs are frozen at configuration time) instead of per decision:
 * its key names and its numbers as the strings sent to Redis.
 */
import { periodOf } from '../../core/buckets/fixed-window.js';
import type { Dimension } from '../../core/cost.js';
import type { BucketSpec } from '../../core/limit.js';
import type { RedisKeys } from './keys.js';
import type { ScriptArg } from './scripts.js';

export interface SpecArgs {
  readonly tag: string;
  readonly stateKey: string;
  /** Waiting demand and fair-queuing tags of the cluster-wide order (demand.lua). */
  readonly demandKey: string;
  readonly fairKey: string;
  /** Concurrency buckets only: the slot set. */
  readonly slotsKey: string | undefined;
  /** g = gcra, f = fixed window, n = concurrency (as the scripts spell it). */
  readonly kind: 'g' | 'f' | 'n';
  readonly capacity: string;
  readonly rate: string;
  /** The part of a cost the bucket is charged (reserve.lua computes the amount from the cost vector). */
  readonly dimension: 'r' | 'i' | 'o' | 't' | 'c' | 'u';
  /** Fixed windows: share of a period offered at its start, and ms over which the rest comes ('1', '0' otherwise). */
  readonly burst: string;
  readonly pace: string;
}

const DIMENSION_CODES: Readonly<Record<Dimension, SpecArgs['dimension']>> = {
  requests: 'r',
  input_tokens: 'i',
  output_tokens: 'o',
  tokens: 't',
  concurrency: 'c',
  usd: 'u',
};

export function specArgs(spec: BucketSpec, keys: RedisKeys, tag: string): SpecArgs {
  return {
    tag,
    stateKey: keys.state(tag, spec.key),
    demandKey: keys.demand(tag, spec.key),
    fairKey: keys.fairTags(tag, spec.key),
    slotsKey: spec.kind === 'concurrency' ? keys.slots(tag, spec.key) : undefined,
    kind: spec.kind === 'gcra' ? 'g' : spec.kind === 'fixed' ? 'f' : 'n',
    // String(number) is the shortest exact form: Lua's tonumber reads back the same double.
    capacity: String(spec.capacity),
    rate: String(spec.ratePerMs),
    dimension: DIMENSION_CODES[spec.dimension],
    burst: String(spec.fixed?.burst ?? 1),
    pace: String(spec.fixed?.paceMs ?? 0),
  };
}

const period = new Float64Array(2);

/**
 * Appends the bounds of the current period of a fixed window at `now` (the
 * scripts' `ws`, `we`), or `0, 0` for any other bucket: only the caller
 * knows time zones, so it computes them per call.
 */
export function pushPeriod(out: ScriptArg[], spec: BucketSpec, now: number): void {
  if (!spec.fixed) {
    out.push(0, 0);
    return;
  }
  periodOf(spec.fixed, now, period);
  out.push(period[0] as number, period[1] as number);
}
