/**
 * Token counts the simulator charges and reports, computed from the request
 * the same way every time (README "Simulator", token counting):
 *
 * - OpenAI flavour: the real tokenizer (gpt-tokenizer), `o200k_base` for
 *   current models and `cl100k_base` for gpt-4 / gpt-3.5 / embeddings-3 / ada
 *   (PROVIDERS.md §6.1), with the cookbook's chat framing: 3 tokens per
 *   message, 1 per name, 3 to prime the reply (§6.1; 4 and −1 for
 *   gpt-3.5-turbo-0301).
 * - Anthropic and Gemini flavours: ceil(characters / 4) of the text content,
 *   no framing (their tokenizers are not public; §3.6).
 */
import { tokenizerCounter } from '../providers/estimate/text-counter.js';

const CL100K_MODELS =
  /^(gpt-4(?![o.])|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada|davinci-002|babbage-002)/;

/**
 * Tokens of `text` in the encoding of `model`. The gateway's counter: the
 * same runs kept from the BPE (`long-runs.ts`, or one long field holds the
 * simulator for minutes), special-token text counted as text as the API
 * does, and the same bounded caches, since load tests resend the same prompts.
 */
export function openaiTokens(text: string, model: string): number {
  return tokenizerCounter(CL100K_MODELS.test(model) ? 'cl100k_base' : 'o200k_base').count(text);
}

export interface FramedMessage {
  readonly role: string;
  readonly text: string;
  readonly name?: string | undefined;
}

/** Prompt tokens of a chat, framed as in the OpenAI cookbook. */
export function openaiChatTokens(messages: readonly FramedMessage[], model: string, extra = ''): number {
  const legacy = model.startsWith('gpt-3.5-turbo-0301');
  const perMessage = legacy ? 4 : 3;
  const perName = legacy ? -1 : 1;
  let total = 3;
  for (const m of messages) {
    total += perMessage + openaiTokens(m.role, model) + openaiTokens(m.text, model);
    if (m.name) total += perName + openaiTokens(m.name, model);
  }
  return total + openaiTokens(extra, model);
}

/** Anthropic and Gemini flavours: a quarter of the characters, rounded up. */
export function charTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
