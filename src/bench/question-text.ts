/**
 * The wording of a question (the last user message of a cache scenario's
 * request). A question is a topic (a 32-bit number) asked in a wording: 0 is
 * how it was first asked, any other number a paraphrase of it. The text is
 * a pure function of the two and the word count, so a repeat is the same
 * text byte for byte and the exact cache can answer it.
 *
 * Words come from a list of nouns that are one token each in o200k_base and
 * cl100k_base, capitalised or not, first or after a space (checked in
 * test/bench/question-text.test.ts), so a question of N words is N tokens and
 * the simulator's echo answers it with N tokens, like `promptText`. None is a
 * function word, so a bag-of-words embedding weighs each fully.
 *
 * A paraphrase keeps the words and moves them about, the way people reword:
 * two neighbours swapped, the first letter's case and the closing
 * punctuation changed, and in a question of REPLACE_FROM words or more one
 * word replaced by another. Its bag of words is the original's, or differs
 * in one word of at least REPLACE_FROM, so a bag-of-words cosine stays near
 * (n − 1) / n ≥ 0.975 (0.978 at the lowest in cache-repeats with the
 * simulator's embeddings), above the semantic cache's default 0.95; an
 * exact key never matches (the punctuation always differs).
 */

const WORDS = (
  'river window bridge market forest engine planet signal castle winter summer spring mirror letter ' +
  'ticket rocket basket silver paper metal stone glass water fire wind cloud storm rain snow light ' +
  'shadow music story song voice picture camera screen phone router server battery motor wheel train ' +
  'plane ship mouse dog cat fish bird tree leaf root seed apple orange coffee salt doctor teacher driver ' +
  'artist writer player student worker king queen city street road station airport office school ' +
  'hospital library church table chair door wall floor plate knife clock watch hour minute night ' +
  'holiday travel price money bank trade budget salary tax energy power heat speed weight height ' +
  'distance number word sentence page book chapter question answer reason problem result method system ' +
  'process model data memory network program code error test plan project team meeting report health ' +
  'sleep dream hope fact truth history science nature animal plant sand rock lake field farm crop corn'
).split(' ');

/** Questions at least this long get one word replaced when paraphrased (cosine ≥ 1 − 1/40). */
export const REPLACE_FROM = 40;

/** The vocabulary, for tests. */
export const QUESTION_WORDS: readonly string[] = WORDS;

export interface Question {
  /** Which question: the same topic and wording give the same text. */
  readonly topic: number;
  /** 0: as first asked; any other value: one paraphrase of it. */
  readonly wording: number;
}

/** The text of `question` in `words` words (at least 1). */
export function questionText(question: Question, words: number): string {
  const n = Math.max(1, words);
  const list: string[] = [];
  for (let i = 0; i < n; i++) list.push(WORDS[hash(question.topic, i) % WORDS.length] as string);
  if (question.wording === 0) return `${capitalised(list).join(' ')}?`;
  const w = question.wording;
  if (n >= 2) {
    const at = hash(w, 0) % (n - 1);
    [list[at], list[at + 1]] = [list[at + 1] as string, list[at] as string];
  }
  if (n >= REPLACE_FROM) {
    const at = hash(w, 1) % n;
    list[at] = WORDS[hash(w, 2) % WORDS.length] as string;
  }
  const ending = ['.', '', '!'][hash(w, 3) % 3] as string;
  const text = hash(w, 4) % 2 === 0 ? list : capitalised(list);
  return `${text.join(' ')}${ending}`;
}

function capitalised(list: readonly string[]): string[] {
  const [first = '', ...rest] = list;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...rest];
}

/** A 32-bit hash of two integers (murmur3's finaliser over a mix): word i of a topic, step i of a wording. */
function hash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
