/**
 * Adds up the input tokens of one request while an estimator walks its body.
 *
 * Each string is counted on its own, the way the cookbook counts each message
 * field (PROVIDERS.md §6.1), so framing constants stay exact. A real
 * tokenizer only sees `maxTokenizedChars` characters of a request that it has
 * not counted before; the rest is estimated from characters, which bounds the
 * time one huge request can hold the proxy's event loop. Text counted before
 * (the system prompt and history a chat client resends every turn) comes from
 * the count caches and does not use up the budget, so a long conversation
 * keeps exact counts while a request full of new text costs at most a few ms. Long unbroken runs never reach the
 * BPE (`long-runs.ts`), so that time is linear in the characters tokenized,
 * but it depends on the text: ~0.1 µs per character of English seen before,
 * up to ~2 µs for text new to gpt-tokenizer's merge cache, such as random
 * letters or CJK (bench/sections/estimate.ts).
 */
import { estimateTokensFromChars, type TextCounter } from './text-counter.js';

/** ~4 k tokens of new English per request, ~2 ms of tokenizing; at worst (text the tokenizer has not seen) ~30 ms. */
export const DEFAULT_MAX_TOKENIZED_CHARS = 16_000;

export class PromptTally {
  private tokens = 0;
  private chars = 0;
  private budget: number;

  constructor(
    private readonly counter: TextCounter,
    maxTokenizedChars: number = DEFAULT_MAX_TOKENIZED_CHARS,
  ) {
    this.budget = maxTokenizedChars;
  }

  /** Counts `value` when it is a string; anything else adds nothing. */
  text(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    this.chars += value.length;
    const known = this.counter.known?.(value);
    if (known !== undefined) {
      this.tokens += known;
      return;
    }
    if (this.counter.exact && value.length > this.budget) {
      this.tokens += estimateTokensFromChars(value);
      return;
    }
    this.budget -= value.length;
    this.tokens += this.counter.count(value);
  }

  /** Counts the JSON text of a definition (tools, schemas), as it is sent. */
  json(value: unknown): void {
    if (value === undefined || value === null) return;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      // Cycles, BigInt or nesting too deep for the stack: not countable, not fatal.
      return;
    }
    this.text(text);
  }

  /** Fixed costs: chat framing, images. */
  add(tokens: number): void {
    if (Number.isFinite(tokens)) this.tokens += tokens;
  }

  total(): number {
    return Math.max(0, Math.ceil(this.tokens));
  }

  /**
   * The character estimate of everything counted as text: what OpenAI's and
   * Azure's limiters charge for a prompt at admission, ceil(characters / 4)
   * (PROVIDERS.md §1.5, §2.2), whatever the tokenizer says.
   */
  characterEstimate(): number {
    return Math.ceil(this.chars / 4);
  }
}
