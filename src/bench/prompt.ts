/**
 * Prompt text of a chosen size: words that are one token each in the OpenAI
 * encodings (o200k_base and cl100k_base), so a prompt of N words is N tokens
 * and the provider charges what the scenario asked for. The same N always
 * gives the same text, which keeps tokenizer caches warm on both sides.
 */

const WORDS = (
  'the of and to in is that it for on with as was at by be this are from or have an not but one all ' +
  'were they which you had her we can there their has been if more when will would who so no out up ' +
  'into do than other time some could them only then its these two may first any like now new over'
).split(' ');

const cache = new Map<number, string>();

/** Text of `tokens` tokens (a deterministic word sequence). */
export function promptText(tokens: number): string {
  const hit = cache.get(tokens);
  if (hit !== undefined) return hit;
  const words: string[] = [];
  // A step coprime with the word count walks every word before repeating.
  for (let i = 0; i < tokens; i++) words.push(WORDS[(i * 7) % WORDS.length] as string);
  const text = words.join(' ');
  if (cache.size < 10_000) cache.set(tokens, text);
  return text;
}
