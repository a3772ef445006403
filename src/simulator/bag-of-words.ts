/**
 * The simulator's embeddings: a deterministic bag-of-words vector, so that
 * what a semantic cache does with real embeddings can be tested for real —
 * two wordings of one question are close, unrelated questions are far.
 *
 * Each word (lower-cased, accents and punctuation dropped, so "What's" and
 * "whats" are one word) is hashed to a few dimensions with a sign each
 * (feature hashing): distinct words land on nearly orthogonal directions,
 * and a text's vector is the sum of its words', L2-normalised. Function words
 * ("the", "is", "of") weigh little, else any two questions would share
 * half their mass. A text with no word at all gets a unit vector seeded by
 * its characters, so it is still deterministic and never all zeros.
 */

/** Dimensions each word is spread over: collisions between two words then rarely cancel or add up. */
const PROBES = 4;

/** How much a function word counts, against 1 for any other word. */
const FUNCTION_WORD_WEIGHT = 0.15;

const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then so of to in on at by for from with about as into over ' +
    'is are was were be been being am do does did can could would should will shall may might must ' +
    'i me my we our you your he him his she her it its they them their this that these those ' +
    'what whats which who whom whose when where why how there here please tell give'
  ).split(' '),
);

/** FNV-1a, 32 bits, with a seed folded in first: one independent hash per probe. */
function hash32(text: string, seed: number): number {
  let h = Math.imul(0x811c9dc5 ^ seed, 0x01000193);
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // Final avalanche (murmur3 fmix32): FNV's low bits alone mix poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lower-cased words, accents and punctuation dropped ("Café's" → "cafes"). */
export function wordsOf(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .toLowerCase()
      // Combining marks and apostrophes join their word rather than split it.
      .replace(/[\p{M}'’]/gu, '')
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 0)
  );
}

/** A unit vector seeded by the text (xorshift32), for a text without words. */
function seededUnit(text: string, out: Float32Array): void {
  let x = hash32(text, 0) || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) / 0xffffffff - 0.5;
  }
}

/** The embedding of `text`: an L2-normalised bag-of-words vector of `dimensions` values. */
export function embeddingOf(text: string, dimensions: number): Float32Array {
  const out = new Float32Array(dimensions);
  const words = wordsOf(text);
  if (words.length === 0) seededUnit(text, out);
  for (const word of words) {
    const weight = (FUNCTION_WORDS.has(word) ? FUNCTION_WORD_WEIGHT : 1) / Math.sqrt(PROBES);
    for (let probe = 0; probe < PROBES; probe++) {
      const h = hash32(word, probe + 1);
      const i = h % dimensions;
      // The top bit is independent enough of `h % dimensions` for any dimension count used.
      out[i] = (out[i] as number) + (h & 0x80000000 ? -weight : weight);
    }
  }
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += (out[i] as number) ** 2;
  if (norm === 0) {
    // Every word cancelled itself out (possible only with very few dimensions).
    seededUnit(text, out);
    for (let i = 0; i < dimensions; i++) norm += (out[i] as number) ** 2;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = (out[i] as number) * scale;
  return out;
}
