/**
 * Keeps the BPE away from long unbroken runs of text.
 *
 * gpt-tokenizer first splits text into pre-tokens with the encoding's regex,
 * then merges each pre-token's bytes pair by pair, rescanning the piece after
 * every merge: the cost grows with the square of a pre-token's bytes. Normal
 * text breaks every few characters (a word, a number, a space), but a run of
 * one kind of character is one pre-token however long it is: 100,000 `A`s
 * took ~4 s, blocking the event loop the estimate runs on.
 *
 * So before tokenizing, one O(n) pass finds every run the pre-tokenizers of
 * o200k_base and cl100k_base could keep whole (gpt-tokenizer's
 * `encodingParams/constants.ts`) that is longer than `maxRunBytes` UTF-8
 * bytes; such runs are estimated from characters and the text between them
 * is tokenized as usual. Text without such a run goes to the tokenizer whole,
 * so its count does not change. The runs looked for:
 *
 * - letters (`\p{L}`) and combining marks (`\p{M}`, part of a word in o200k);
 * - symbols: anything not a letter, digit or whitespace, marks included (a
 *   symbol in cl100k); a symbol pre-token may take one leading space;
 * - whitespace (`\s`);
 * - the tail a symbol pre-token may take after itself, `[\r\n/]*`: a run of
 *   `\r`, `\n` and `/`, which the classes above would split.
 *
 * Digits form no run: both encodings cut them into pieces of at most three.
 * A letter pre-token adds at most one leading character and a contraction
 * (`'ll`) to its run, seven bytes, and a symbol pre-token a space and its
 * tail, so no pre-token the BPE sees exceeds `maxPreTokenBytes(maxRunBytes)`
 * bytes, and one request's tokenizing work grows linearly with its length.
 */

/** Longest run the tokenizer sees, in UTF-8 bytes: 64 ASCII letters, 21 CJK characters. See bench/sections/estimate.ts. */
export const MAX_RUN_BYTES = 64;

/** The longest pre-token the BPE can see once runs over `maxRunBytes` are kept from it (see above). */
export function maxPreTokenBytes(maxRunBytes: number = MAX_RUN_BYTES): number {
  return Math.max(2 * maxRunBytes + 1, maxRunBytes + 7);
}

/** Run kinds a character belongs to (a bit set: marks are letters and symbols, `/` a symbol and a tail). */
const LETTER = 1;
const SYMBOL = 2;
const SPACE = 4;
const TAIL = 8;
const KIND_COUNT = 4;
/** Set on a classified code point in `kindsByCodePoint`. */
const KNOWN = 0x80;

const ASCII_KINDS = asciiKinds();

function asciiKinds(): Uint8Array {
  const kinds = new Uint8Array(0x80);
  for (let c = 0; c < 0x80; c++) {
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) kinds[c] = LETTER;
    else if (c >= 0x30 && c <= 0x39) kinds[c] = 0;
    else if (c === 0x0a || c === 0x0d) kinds[c] = SPACE | TAIL;
    else if ((c >= 0x09 && c <= 0x0d) || c === 0x20) kinds[c] = SPACE;
    else if (c === 0x2f) kinds[c] = SYMBOL | TAIL;
    else kinds[c] = SYMBOL;
  }
  return kinds;
}

const IS_SPACE = /^\s$/u;
const IS_LETTER = /^\p{L}$/u;
const IS_MARK = /^\p{M}$/u;
const IS_DIGIT = /^\p{N}$/u;

/**
 * Kinds of every non-ASCII code point met so far (1.1 MB, allocated on the
 * first one): each is classified once per process by the same Unicode
 * properties the tokenizers' regexes use.
 */
let kindsByCodePoint: Uint8Array | undefined;

function kindsOf(codePoint: number): number {
  kindsByCodePoint ??= new Uint8Array(0x110000);
  const known = kindsByCodePoint[codePoint] as number;
  if (known !== 0) return known & ~KNOWN;
  const ch = String.fromCodePoint(codePoint);
  const kinds = IS_SPACE.test(ch)
    ? SPACE
    : IS_LETTER.test(ch)
      ? LETTER
      : IS_MARK.test(ch)
        ? LETTER | SYMBOL
        : IS_DIGIT.test(ch)
          ? 0
          : SYMBOL; // punctuation, emoji, controls, lone surrogates
  kindsByCodePoint[codePoint] = kinds | KNOWN;
  return kinds;
}

/**
 * The runs of `text` longer than `maxRunBytes`, as sorted, disjoint
 * `[start, end)` character offsets in one flat array; `undefined` when there
 * are none (the common case, without allocating).
 */
export function longRuns(text: string, maxRunBytes: number = MAX_RUN_BYTES): number[] | undefined {
  let spans: number[] | undefined;
  let active = 0;
  // Where each kind's current run began: character offset and UTF-8 byte offset.
  const startAt = [0, 0, 0, 0];
  const startByte = [0, 0, 0, 0];
  let bytes = 0;
  const close = (ended: number, at: number) => {
    for (let k = 0; k < KIND_COUNT; k++) {
      if ((ended & (1 << k)) !== 0 && bytes - (startByte[k] as number) > maxRunBytes) {
        spans ??= [];
        spans.push(startAt[k] as number, at);
      }
    }
  };
  const n = text.length;
  for (let i = 0; i < n; ) {
    const c = text.charCodeAt(i);
    let kinds: number;
    let units = 1;
    let size: number;
    if (c < 0x80) {
      kinds = ASCII_KINDS[c] as number;
      size = 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
      kinds = kindsOf(((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000);
      units = 2;
      size = 4;
    } else {
      // A lone surrogate is encoded as U+FFFD: three bytes.
      kinds = kindsOf(c);
      size = c < 0x800 ? 2 : 3;
    }
    if (kinds !== active) {
      const ended = active & ~kinds;
      if (ended !== 0) close(ended, i);
      const started = kinds & ~active;
      for (let k = 0; k < KIND_COUNT; k++) {
        if ((started & (1 << k)) !== 0) {
          startAt[k] = i;
          startByte[k] = bytes;
        }
      }
      active = kinds;
    }
    bytes += size;
    i += units;
  }
  if (active !== 0) close(active, n);
  return spans === undefined ? undefined : merged(spans);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Runs of different kinds overlap (`!!!\n\n\n` is a symbol run and a tail run): sort and join them. */
function merged(spans: number[]): number[] {
  if (spans.length === 2) return spans;
  const pairs: [number, number][] = [];
  for (let k = 0; k < spans.length; k += 2) pairs.push([spans[k] as number, spans[k + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [start, end] of pairs) {
    const last = out.length - 1;
    if (last > 0 && start <= (out[last] as number)) out[last] = Math.max(out[last] as number, end);
    else out.push(start, end);
  }
  return out;
}

/**
 * Counts `text` with `tokenize`, except its long runs (see `longRuns`),
 * which `estimate` counts instead; `tokenize` never sees a run longer than
 * `maxRunBytes`.
 */
export function countWithoutLongRuns(
  text: string,
  tokenize: (piece: string) => number,
  estimate: (run: string) => number,
  maxRunBytes: number = MAX_RUN_BYTES,
): number {
  const runs = longRuns(text, maxRunBytes);
  if (runs === undefined) return tokenize(text);
  let total = 0;
  let from = 0;
  for (let k = 0; k < runs.length; k += 2) {
    const start = runs[k] as number;
    const end = runs[k + 1] as number;
    if (start > from) total += tokenize(text.slice(from, start));
    total += estimate(text.slice(start, end));
    from = end;
  }
  if (from < text.length) total += tokenize(text.slice(from));
  return total;
}
