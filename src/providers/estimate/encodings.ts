/**
 * Which tokenizer encoding an OpenAI model uses, after tiktoken's own table
 * (PROVIDERS.md §6.1). Only the two encodings of current models are loaded:
 * - `o200k_harmony` (gpt-oss) is `o200k_base` plus chat special tokens, so it
 *   counts ordinary text the same;
 * - the p50k/r50k models are retired; their successors use `cl100k_base`.
 * Unknown and future models get `o200k_base`, as in tiktoken and gpt-tokenizer.
 */

export type EncodingName = 'o200k_base' | 'cl100k_base';

export const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/** Models (or name prefixes, ending in `-` or `*`) that use `cl100k_base`. */
const CL100K_PREFIXES: readonly string[] = Object.freeze([
  'gpt-4-', // gpt-4-0613, gpt-4-turbo, gpt-4-32k; gpt-4o and gpt-4.1 do not match
  'gpt-3.5-turbo',
  'gpt-35-turbo', // Azure's spelling
  'text-embedding-3-',
  'text-embedding-ada-002',
]);
const CL100K_EXACT: ReadonlySet<string> = new Set(['gpt-4', 'davinci-002', 'babbage-002']);

/** Answers by model name: every request asks, for one of a handful of names (bounded: cleared when full). */
const byModel = new Map<string, EncodingName>();
const MAX_REMEMBERED_MODELS = 1_024;

export function encodingForModel(model: string | undefined): EncodingName {
  if (typeof model !== 'string') return DEFAULT_ENCODING;
  let encoding = byModel.get(model);
  if (encoding === undefined) {
    encoding = lookUpEncoding(baseModelName(model));
    if (byModel.size >= MAX_REMEMBERED_MODELS) byModel.clear();
    byModel.set(model, encoding);
  }
  return encoding;
}

function lookUpEncoding(name: string): EncodingName {
  if (CL100K_EXACT.has(name)) return 'cl100k_base';
  for (const prefix of CL100K_PREFIXES) if (name.startsWith(prefix)) return 'cl100k_base';
  return DEFAULT_ENCODING;
}

/**
 * The OpenAI model name inside decorated ones: fine-tunes
 * (`ft:gpt-3.5-turbo-0125:org::id`) and router prefixes (`openai/gpt-4o`).
 */
export function baseModelName(model: string): string {
  let name = model.trim().toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3).split(':')[0] ?? '';
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}
