/**
 * Trailing-window aggregates over the recorder's slots, computed by sliding
 * the window (add the slot entering, subtract the one leaving), so the whole
 * 15-minute series costs one pass, not one pass per point: it is built while
 * the gateway is serving traffic, on the same event loop.
 *
 * The window of point `i` is the `width` slots ending at `i`, cut at `start`
 * (the recorder's first slot: right after start, rates are averaged over
 * what exists, not diluted by time before the gateway ran).
 */
import { quantileOf, WAIT_BUCKETS } from './wait-histogram.js';

export interface Span {
  /** First point, inclusive. */
  readonly first: number;
  /** Last point, exclusive. */
  readonly end: number;
  /** No slot before this one exists. */
  readonly start: number;
  /** Window width in slots. */
  readonly width: number;
}

function windowStart(span: Span, i: number): number {
  return Math.max(i - span.width + 1, span.start);
}

/**
 * What a counter added up to over each point's window: with a 60 s window,
 * what a per-minute limit counts (5 refusals read 5, not a 10 s average
 * scaled to 30 a minute). Right after start, only what exists is summed.
 */
export function trailingSums(span: Span, value: (slot: number) => number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = windowStart(span, span.first); i < span.first; i++) sum += value(i);
  for (let i = span.first; i < span.end; i++) {
    sum += value(i);
    if (i > span.first && i - span.width >= span.start) sum -= value(i - span.width);
    out.push(Math.round(sum * 10) / 10);
  }
  return out;
}

/** Whether a counter has anything in the windows of the span. */
export function anyIn(span: Span, value: (slot: number) => number): boolean {
  for (let i = windowStart(span, span.first); i < span.end; i++) if (value(i) > 0) return true;
  return false;
}

/**
 * Wait quantiles over each point's window. `addSlot` adds (sign 1) or
 * removes (sign −1) one slot's histogram into `into`; `max` is a slot's
 * longest wait (no quantile exceeds the window's).
 */
export function trailingQuantiles(
  span: Span,
  addSlot: (slot: number, into: Float64Array, sign: 1 | -1) => void,
  max: (slot: number) => number,
  quantiles: readonly number[],
): (number | null)[][] {
  const merged = new Float64Array(WAIT_BUCKETS);
  const out = quantiles.map(() => [] as (number | null)[]);
  for (let i = windowStart(span, span.first); i < span.first; i++) addSlot(i, merged, 1);
  for (let i = span.first; i < span.end; i++) {
    addSlot(i, merged, 1);
    if (i > span.first && i - span.width >= span.start) addSlot(i - span.width, merged, -1);
    let longest = 0;
    for (let j = windowStart(span, i); j <= i; j++) longest = Math.max(longest, max(j));
    quantiles.forEach((q, k) => {
      (out[k] as (number | null)[]).push(quantileOf(merged, 0, q, longest));
    });
  }
  return out;
}
