/**
 * OpenAI's admission rule for output (PROVIDERS.md §1.5, §6.2): the TPM
 * limiter charges the prompt estimate plus `n × max_tokens` at admission,
 * and a request that sets no maximum is charged the model's largest output.
 * So the reservation for such a request is that maximum, not a typical
 * answer: reserving less lets through calls the provider then refuses.
 *
 * One table, read by the adapter (OpenAI and Azure) and by the simulator's
 * OpenAI flavour, so the governor and the simulator charge the same.
 * Values are the published output maxima; the longest matching prefix wins.
 */

export const OPENAI_MAX_OUTPUT_BY_PREFIX: Readonly<Record<string, number>> = Object.freeze({
  'gpt-3.5-turbo-instruct': 4_096,
  'gpt-3.5': 4_096,
  'gpt-35': 4_096,
  'gpt-4o-mini': 16_384,
  'gpt-4o': 16_384,
  'gpt-4.1': 32_768,
  'gpt-4-turbo': 4_096,
  'gpt-4': 8_192,
  'gpt-5': 128_000,
  'o1-mini': 65_536,
  o1: 100_000,
  o3: 100_000,
  o4: 100_000,
});

/** Models the table does not know: a conservative published maximum of older chat models. */
export const OPENAI_FALLBACK_MAX_OUTPUT = 4_096;

/** The rule as adapter options take it (`outputDefaults`). */
export const OPENAI_OUTPUT_RULE = Object.freeze({
  modelMaxOutputTokens: OPENAI_MAX_OUTPUT_BY_PREFIX,
  defaultMaxOutputTokens: OPENAI_FALLBACK_MAX_OUTPUT,
});
