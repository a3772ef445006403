/**
 * The output side of a reservation: n × the largest output the request
 * allows. OpenAI counts prompt + n × max_tokens against TPM at admission
 * (PROVIDERS.md §1.5, cookbook `num_tokens_consumed_from_request`), and so do
 * Azure (× best_of) and Groq (§6.2).
 *
 * When the body sets no maximum, a provider whose limiter charges the
 * model's maximum (OpenAI, Azure: `openai/models.ts`) is reserved exactly
 * that: the operator's per-model table, then the provider's, then the
 * default. Other providers reserve the caller's `defaultMaxOutputTokens`
 * (the runtime's learned length) or, without one, the same tables. The
 * reservation is reconciled to usage at settlement.
 */
import { toCount } from '../parse/json-shape.js';

/** A modest fallback: a typical chat answer, far below any model's ceiling. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1_024;
/** OpenAI's upper bound for `n`; more is a 400 upstream, and not worth reserving. */
const MAX_CHOICES = 128;

export interface OutputDefaults {
  readonly defaultMaxOutputTokens: number;
  /** Model name prefix → max output tokens reserved when the body sets none (the operator's). */
  readonly modelMaxOutputTokens: Readonly<Record<string, number>>;
  /**
   * The provider's own table, when its limiter charges a model's maximum
   * for a request that sets none (OpenAI, Azure: PROVIDERS.md §1.5). The
   * operator's table is looked up first; a learned length never goes below.
   */
  readonly ruleMaxOutputTokens?: Readonly<Record<string, number>> | undefined;
}

export function choicesOf(value: unknown): number {
  const n = toCount(value);
  return n === undefined || n < 1 ? 1 : Math.min(n, MAX_CHOICES);
}

export function maxOutputFor(
  requested: number | undefined,
  model: string | undefined,
  defaults: OutputDefaults,
  callDefault: number | undefined,
): number {
  if (requested !== undefined) return requested;
  const configured =
    lookupByPrefix(defaults.modelMaxOutputTokens, model) ??
    lookupByPrefix(defaults.ruleMaxOutputTokens ?? {}, model) ??
    defaults.defaultMaxOutputTokens;
  // Where the limiter charges the maximum, reserving a learned (smaller) length lets through calls it refuses.
  if (defaults.ruleMaxOutputTokens) return configured;
  return toCount(callDefault) ?? configured;
}

/** The value of the longest key that `model` starts with. */
export function lookupByPrefix(
  table: Readonly<Record<string, number>>,
  model: string | undefined,
): number | undefined {
  if (model === undefined) return undefined;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : toCount(table[best]);
}
