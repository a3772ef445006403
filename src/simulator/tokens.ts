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
import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';

type Counter = (text: string) => number;

const CL100K_MODELS =
  /^(gpt-4(?![o.])|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada|davinci-002|babbage-002)/;

/** A bounded memo: the same prompts come back again and again in load tests. */
const memo = new Map<string, number>();
const MEMO_LIMIT = 20_000;

function counterFor(model: string): [Counter, string] {
  return CL100K_MODELS.test(model) ? [cl100kCount, 'c'] : [o200kCount, 'o'];
}

/** Tokens of `text` in the encoding of `model`. */
export function openaiTokens(text: string, model: string): number {
  if (text.length === 0) return 0;
  const [count, tag] = counterFor(model);
  const key = tag + text;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const n = count(text);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, n);
  return n;
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
