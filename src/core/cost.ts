/**
 * What a request costs, on every dimension a provider limits.
 *
 * A request carries one `Cost`; each bucket reads the part of it that matches
 * its dimension (`costOn`). `tokens` is derived (input + output) and
 * `concurrency` is always one slot, so neither is stored. `usd` is money: a
 * tenant's spending budget (`usd_per_day`, `usd_per_month`) is a bucket like
 * any other, charged the call's price at the deployment that serves it.
 */

export const DIMENSIONS = [
  'requests',
  'input_tokens',
  'output_tokens',
  'tokens',
  'concurrency',
  'usd',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface Cost {
  /** Requests this call counts for; 1 for every HTTP call. */
  readonly requests: number;
  /** Input (prompt) tokens as the provider counts them for its limits. */
  readonly inputTokens: number;
  /** Output tokens reserved (max_tokens) or, after settlement, produced. */
  readonly outputTokens: number;
  /** US dollars at the deployment's price; only where a spending budget is charged (absent: 0). */
  readonly usd?: number | undefined;
}

/** Actual usage reported by the provider, in the same units as `Cost`. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** What the usage cost (absent: the reserved `usd` stands). */
  readonly usd?: number | undefined;
}

export function costOf(inputTokens: number, outputTokens: number, requests = 1): Cost {
  return { requests, inputTokens, outputTokens };
}

/** The amount a bucket of `dimension` is charged for `cost`. */
export function costOn(cost: Cost, dimension: Dimension): number {
  switch (dimension) {
    case 'requests':
      return cost.requests;
    case 'input_tokens':
      return cost.inputTokens;
    case 'output_tokens':
      return cost.outputTokens;
    case 'tokens':
      return cost.inputTokens + cost.outputTokens;
    case 'concurrency':
      return 1;
    case 'usd':
      return cost.usd ?? 0;
  }
}

/** The amount a bucket of `dimension` would have been charged for `usage` (reserved at `cost`). */
export function usageOn(usage: Usage, dimension: Dimension, cost: Cost): number {
  switch (dimension) {
    case 'requests':
      return cost.requests;
    case 'input_tokens':
      return usage.inputTokens;
    case 'output_tokens':
      return usage.outputTokens;
    case 'tokens':
      return usage.inputTokens + usage.outputTokens;
    case 'concurrency':
      return 1;
    case 'usd':
      return usage.usd ?? cost.usd ?? 0;
  }
}

/** Total tokens of a cost: the unit fair sharing between tenants is measured in. */
export function tokensOf(cost: Cost): number {
  return cost.inputTokens + cost.outputTokens;
}
