/**
 * A provider that counts prompts differently from Sluice (config
 * `token_counting.prompt_multiplier`, flag `--prompt-token-multiplier`): its
 * tokenizer, or its limiter's character estimate, gives k × the tokens the
 * flavour counted. Admission charges and usage reports both scale, as they
 * would at such a provider, so the governor can learn the ratio only from
 * what the provider tells it.
 */
import type { Call, InputUsage } from './flavour.js';

export function countedAs(call: Call, multiplier: number): Call {
  if (multiplier === 1) return call;
  const scale = (tokens: number) => Math.ceil(tokens * multiplier);
  const input: InputUsage = {
    tokens: scale(call.input.tokens),
    cacheCreation: scale(call.input.cacheCreation),
    cacheRead: scale(call.input.cacheRead),
    cacheCreation1h: scale(call.input.cacheCreation1h),
  };
  const cost = call.cost && { ...call.cost, input: scale(call.cost.input) };
  return { ...call, input, cost };
}
