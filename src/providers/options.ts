/**
 * Options every adapter takes, and their resolution into frozen config.
 * Callers' objects are copied, never kept or changed.
 */
import { DEFAULT_MAX_OUTPUT_TOKENS, type OutputDefaults } from './estimate/output-reservation.js';
import { DEFAULT_MAX_TOKENIZED_CHARS } from './estimate/prompt-tally.js';
import { toCount } from './parse/json-shape.js';

export interface EstimateTuning {
  /** Output tokens reserved when a request sets no maximum (default: the provider's rule, else 1024). */
  readonly defaultMaxOutputTokens?: number | undefined;
  /** Model name prefix → output tokens reserved when a request sets no maximum. */
  readonly modelMaxOutputTokens?: Readonly<Record<string, number>> | undefined;
  /** Characters of not-yet-counted text per request a real tokenizer sees before the rest is estimated (default 16 000). */
  readonly maxTokenizedChars?: number | undefined;
}

/**
 * What a provider's limiter charges for a request that sets no maximum
 * (its admission rule, written beside its adapter), which the caller's
 * tuning extends or overrides.
 */
export interface OutputRule {
  readonly modelMaxOutputTokens: Readonly<Record<string, number>>;
  readonly defaultMaxOutputTokens: number;
}

export function outputDefaults(options: EstimateTuning, rule?: OutputRule): OutputDefaults {
  const table: Record<string, number> = {};
  for (const [model, tokens] of Object.entries(options.modelMaxOutputTokens ?? {})) {
    const n = toCount(tokens);
    if (n !== undefined) table[model] = n;
  }
  return Object.freeze({
    defaultMaxOutputTokens:
      toCount(options.defaultMaxOutputTokens) ?? rule?.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    modelMaxOutputTokens: Object.freeze(table),
    ruleMaxOutputTokens: rule?.modelMaxOutputTokens,
  });
}

export function maxTokenizedChars(options: EstimateTuning): number {
  return toCount(options.maxTokenizedChars) ?? DEFAULT_MAX_TOKENIZED_CHARS;
}
