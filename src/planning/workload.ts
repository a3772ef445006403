/**
 * The demand `sluice plan` checks against a model group's limits: how many
 * requests a minute, and how many input and output tokens each (a mean, or
 * a mean and a p95). Optional: how long a request takes, for concurrency
 * limits (Little's law: in flight = arrivals per second × seconds each).
 */
import { z } from 'zod';
import { parseConfigTextWith } from '../config/load.js';

const positive = z.number().positive().finite();
const tokens = z.union([
  z.number().nonnegative().finite(),
  z
    .strictObject({
      mean: z.number().nonnegative().finite(),
      p95: z.number().nonnegative().finite().optional(),
    })
    .refine((t) => t.p95 === undefined || t.p95 >= t.mean, { message: 'p95 must be at least the mean' }),
]);

export const workloadSchema = z.strictObject({
  /** The model group the demand is for. */
  group: z.string().min(1),
  requests_per_minute: positive,
  /** Input (prompt) tokens per request: a mean, or `{ mean, p95 }`. */
  input_tokens: tokens,
  /** Output tokens per request. */
  output_tokens: tokens,
  /** Mean seconds a request holds a slot (for `concurrency` limits). */
  seconds_per_request: positive.optional(),
});

export type WorkloadInput = z.input<typeof workloadSchema>;

/** The workload with its tokens as mean and p95 (the mean when no p95 is given). */
export interface Workload {
  readonly group: string;
  readonly requestsPerMinute: number;
  readonly inputTokens: { readonly mean: number; readonly p95: number };
  readonly outputTokens: { readonly mean: number; readonly p95: number };
  readonly secondsPerRequest: number | undefined;
}

export function toWorkload(input: z.output<typeof workloadSchema>): Workload {
  const spread = (t: number | { mean: number; p95?: number | undefined }) =>
    typeof t === 'number' ? { mean: t, p95: t } : { mean: t.mean, p95: t.p95 ?? t.mean };
  return {
    group: input.group,
    requestsPerMinute: input.requests_per_minute,
    inputTokens: spread(input.input_tokens),
    outputTokens: spread(input.output_tokens),
    secondsPerRequest: input.seconds_per_request,
  };
}

/** Parses a workload file's text (YAML or JSON); throws `ConfigError` naming every bad key. */
export function parseWorkloadText(text: string, source: string): Workload {
  return toWorkload(parseConfigTextWith(workloadSchema, text, source, {}));
}
