/**
 * Which tokenizer encoding an OpenAI model uses: gpt-tokenizer's own
 * model-to-encoding map (kept current with tiktoken's, PROVIDERS.md §6.1),
 * read through three rules of ours:
 * - Only the two encodings of current models are loaded (see `AS_LOADED`).
 * - The map lists exact names only; a dated snapshot or variant it does not
 *   list (`gpt-3.5-turbo-0301`, `gpt-4-32k-0613`) takes the encoding of the
 *   longest listed name it extends at a `-`, as tiktoken's prefix table does.
 * - Azure spells `gpt-3.5-…` as `gpt-35-…`.
 * Unknown and future models get `o200k_base`, as in tiktoken and gpt-tokenizer.
 */
import { type EncodingName as LibraryEncodingName, modelToEncodingMap } from 'gpt-tokenizer/mapping';

export type EncodingName = 'o200k_base' | 'cl100k_base';

export const DEFAULT_ENCODING: EncodingName = 'o200k_base';

/**
 * Each of the library's encodings as one we load. A `Record` over the
 * library's names: an encoding added by an upgrade fails the type check here.
 */
const AS_LOADED: Readonly<Record<LibraryEncodingName, EncodingName>> = Object.freeze({
  o200k_base: 'o200k_base',
  // gpt-oss: `o200k_base` plus chat special tokens, so it counts ordinary text the same.
  o200k_harmony: 'o200k_base',
  cl100k_base: 'cl100k_base',
  // Retired completions, edit and GPT-2 models (the API no longer serves them);
  // their successors (`davinci-002`, `babbage-002`) use cl100k_base.
  p50k_base: 'cl100k_base',
  p50k_edit: 'cl100k_base',
  r50k_base: 'cl100k_base',
  gpt2: 'cl100k_base',
});

/** The library's map as a `Map`: a plain object would answer `constructor` or `__proto__` too. */
const LISTED: ReadonlyMap<string, LibraryEncodingName> = new Map(Object.entries(modelToEncodingMap));

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
  let listed = name.startsWith('gpt-35-') ? `gpt-3.5-${name.slice(7)}` : name;
  for (;;) {
    const encoding = LISTED.get(listed);
    if (encoding !== undefined) return AS_LOADED[encoding];
    const dash = listed.lastIndexOf('-');
    if (dash <= 0) return DEFAULT_ENCODING;
    listed = listed.slice(0, dash);
  }
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
