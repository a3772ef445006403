/**
 * Arrival processes as a rate over time, turned into an arrival schedule
 * (ms offsets from the start) from a seeded stream: open loop, so the
 * schedule never depends on how fast the target answers.
 */
import type { RandomStream } from './random.js';
import type { Arrival } from './scenario.js';

/** Arrivals per ms at `t` ms, for a mean of `base` arrivals per ms over a run of `durationMs`. */
export function rateAt(arrival: Arrival, base: number, t: number, durationMs: number): number {
  switch (arrival.process) {
    case 'steady':
      return base;
    case 'bursty': {
      const cycle = arrival.on + arrival.off;
      return t % cycle < arrival.on ? (base * cycle) / arrival.on : 0;
    }
    case 'ramp':
      return base * (arrival.from + ((arrival.to - arrival.from) * t) / durationMs);
    case 'diurnal':
      return base * (1 + arrival.amplitude * Math.sin((2 * Math.PI * t) / arrival.period));
  }
}

/** The highest rate over the run (the bound thinning draws against). */
export function peakRate(arrival: Arrival, base: number): number {
  switch (arrival.process) {
    case 'steady':
      return base;
    case 'bursty':
      return (base * (arrival.on + arrival.off)) / arrival.on;
    case 'ramp':
      return base * Math.max(arrival.from, arrival.to);
    case 'diurnal':
      return base * (1 + arrival.amplitude);
  }
}

export interface ScheduleOptions {
  /** Mean arrivals per second. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly maxRequests?: number | undefined;
}

/** Arrival offsets in ms, ascending, all below `durationMs`. */
export function arrivalSchedule(arrival: Arrival, options: ScheduleOptions, random: RandomStream): number[] {
  const base = options.ratePerSecond / 1_000;
  const max = options.maxRequests ?? Number.POSITIVE_INFINITY;
  // The burst leaves at once, before the process's own arrivals.
  const out: number[] = Array.from({ length: Math.min(arrival.burst ?? 0, max) }, () => 0);
  if (base <= 0 || options.durationMs <= 0) return out;
  if (arrival.poisson) {
    // Non-homogeneous Poisson process by thinning (Lewis & Shedler).
    const peak = peakRate(arrival, base);
    if (peak <= 0) return out;
    let t = 0;
    for (;;) {
      t += random.exponential(1 / peak);
      if (t >= options.durationMs || out.length >= max) return out;
      if (random.next() * peak < rateAt(arrival, base, t, options.durationMs)) out.push(t);
    }
  }
  // Evenly spaced: one arrival each time the integrated rate crosses k + ½.
  let integral = 0.5;
  const step = 1;
  for (let t = 0; t < options.durationMs && out.length < max; t += step) {
    integral += rateAt(arrival, base, t + step / 2, options.durationMs) * step;
    while (integral >= 1 && out.length < max) {
      integral -= 1;
      out.push(t);
    }
  }
  return out;
}
