/**
 * How deep a JSON text nests arrays and objects, checked on the raw bytes
 * before it is parsed. `JSON.parse` copes with ten thousand levels, but
 * everything after it (re-serializing for a model rewrite or stream usage,
 * walking the body for the token estimate) recurses and overflows the
 * stack: a 500 for one crafted request. Real requests (tool schemas,
 * nested content parts) stay far below the bound.
 */

/** Deepest nesting accepted (serde_json's default). */
export const MAX_JSON_NESTING = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** True when `text` (UTF-8 JSON) opens more than `max` arrays and objects inside each other. */
export function nestsDeeperThan(text: Uint8Array, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (byte === QUOTE) {
      // Strings (most of a prompt's bytes) are skipped with the native search for their closing quote.
      i = closingQuote(text, i);
      if (i < 0) return false; // unterminated: JSON.parse says so
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opening at `open` (one not escaped), or -1. */
function closingQuote(text: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    while (text[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}
