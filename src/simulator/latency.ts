/**
 * The latency model: time to first token, then a time per output token,
 * both scaled per request by a seeded jitter factor in [1 − j, 1 + j].
 * With both at 0 (the default) answers are written at once, which the tests
 * and the proxy benchmarks rely on.
 */
import type { SimulatorConfig } from './config.js';
import { draw } from './random.js';

export interface Timing {
  readonly ttftMs: number;
  readonly perTokenMs: number;
}

/** Purpose tag of jitter draws (faults use their list index). */
const JITTER = 1_000_003;

export function timingFor(
  latency: SimulatorConfig['latency'],
  seed: number,
  ordinal: number,
  slowPerTokenMs?: number,
): Timing {
  const perToken = slowPerTokenMs ?? latency.per_token_ms;
  if (latency.ttft_ms === 0 && perToken === 0) return { ttftMs: 0, perTokenMs: 0 };
  const factor = latency.jitter ? 1 + latency.jitter * (2 * draw(seed, ordinal, JITTER) - 1) : 1;
  return { ttftMs: latency.ttft_ms * factor, perTokenMs: perToken * factor };
}
