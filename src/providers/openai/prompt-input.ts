/**
 * The `prompt` of Completions and the `input` of Embeddings: a string, a
 * list of strings, a token array, or a list of token arrays. Token arrays are
 * counted by length, exactly.
 */
import type { PromptTally } from '../estimate/prompt-tally.js';

/** Tallies `value` and returns how many prompts it holds (each gets its own completions). */
export function tallyPromptInput(value: unknown, tally: PromptTally): number {
  if (typeof value === 'string') {
    tally.text(value);
    return 1;
  }
  if (!Array.isArray(value) || value.length === 0) return value === undefined ? 0 : 1;
  if (value.every((v) => typeof v === 'number')) {
    tally.add(value.length);
    return 1;
  }
  let prompts = 0;
  for (const item of value) {
    if (typeof item === 'string') tally.text(item);
    else if (Array.isArray(item)) tally.add(item.length);
    else continue;
    prompts++;
  }
  return Math.max(prompts, 1);
}
