/**
 * A non-streamed response is relayed byte for byte; settlement reads only
 * its top-level `usage` and `model` (Anthropic counts cache reads for some
 * models, PROVIDERS.md §3.2), and `service_tier` (the tier that served it
 * is the one charged, PROVIDERS.md "2026 changes"). From 1 KB up, parsing just those two members
 * instead of the whole body saves a `JSON.parse` that grows with the body
 * (`npm run bench usage-body`: tens of µs at 20 KB, milliseconds at 200 KB
 * or for a batch of embeddings). Below 1 KB the two cost the same within a
 * microsecond, and the whole body is parsed.
 *
 * OpenAI and Anthropic put `usage` near the end and `model` near the start,
 * so each is found by a short walk over the object's top level: back from
 * its closing brace to `usage`, forward from its opening brace to `model`
 * (a `model` after `usage`, or just before it as in embeddings, is read on
 * the way back). Either walk costs a few µs whatever the body's size. A
 * `usage` or `model` key nested deeper or inside a string never matches; of
 * two `usage` keys the last one wins, as in `JSON.parse`. What neither walk
 * covers is not read or checked: a body broken in its middle still yields
 * its usage (the gateway reads only bodies that arrived in full), and of
 * two `model` keys far before `usage` the first is read (providers send
 * one). Anything else off (no top-level `usage`, not an object, a value
 * that does not parse) falls back to parsing the whole body.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Bodies shorter than this are parsed whole: the partial read saves nothing on them. */
export const PARTIAL_READ_MIN_BYTES = 1_024;

const FROM_END: readonly string[] = Object.freeze(['usage', 'model', 'service_tier']);
const FROM_START: readonly string[] = Object.freeze(['model']);

/**
 * `{ usage, model, service_tier }` as `JSON.parse(raw)` has them (`model` and
 * `service_tier` left out when the body has none or they lie beyond the walks), or the whole parsed body, or undefined when it is not JSON.
 * `minBytes`: the size from which to read only the two members (tests pass 0).
 */
export function bodyForUsage(raw: Buffer, minBytes = PARTIAL_READ_MIN_BYTES): unknown {
  if (raw.length >= minBytes) {
    const members = usageAndModel(raw);
    if (members !== undefined) return members;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function usageAndModel(raw: Buffer): Record<string, unknown> | undefined {
  if (raw[skipSpace(raw, 0)] !== OPEN_BRACE) return undefined;
  const members: Record<string, unknown> = {};
  const usageAt = walkBack(raw, members);
  if (usageAt < 0) return undefined;
  if (Object.hasOwn(members, 'model')) return members;
  return walkForward(raw, usageAt, members) ? members : undefined;
}

/**
 * How far from the end the walk back looks for `usage` before leaving the
 * body to `JSON.parse` (a Gemini answer has none): past what any provider
 * puts after it (at most OpenAI Responses' `user` and `metadata`, 16 pairs
 * of up to 64 + 512 characters).
 */
const USAGE_WITHIN_BYTES = 12 * 1_024;

/**
 * How far past `usage` the walk back goes on looking for `model` before
 * leaving it to the walk forward: far enough for embeddings, whose `model`
 * sits just before `usage` after the vectors, short of any content.
 */
const LOOK_BACK_BYTES = 256;

/**
 * How far past `usage` the walk back goes on looking for `service_tier`:
 * Chat Completions put it after `usage` (read on the way), the Responses
 * API a few short members before it (`store` … `truncation`, pretty-printed).
 * A tier further back (a long `tools` list echoed between them) is not
 * read: the call is then charged to the tier it was sent as.
 */
const TIER_LOOK_BACK_BYTES = 1_024;

/**
 * Walks the top level back from the closing brace to `usage`, reading it
 * and any `model` and `service_tier` on the way into `into`, then a little
 * further for those two. Returns where the `usage` key starts, or -1 when there is none
 * or the text does not look like JSON.
 */
function walkBack(raw: Buffer, into: Record<string, unknown>): number {
  let i = skipSpaceBack(raw, raw.length - 1);
  if (raw[i] !== CLOSE_BRACE) return -1;
  let depth = 1;
  let usageAt = -1;
  // Where the walk stops: USAGE_WITHIN_BYTES from the end, then LOOK_BACK_BYTES past `usage`.
  let floor = Math.max(0, raw.length - USAGE_WITHIN_BYTES);
  // The `,` or `}` that ends the value of the top-level member being walked.
  let valueEnd = i;
  for (i--; i >= 0; i--) {
    if (i < floor) return usageAt;
    const c = raw[i];
    if (c === QUOTE) {
      const close = i;
      // Outside strings a quote closes one, so it is not escaped (else the text was cut inside one).
      if (raw[close - 1] === BACKSLASH && escaped(raw, close)) return -1;
      // A string reaching below the floor ends the walk (however many quotes it escapes).
      const open = openingQuote(raw, close, floor);
      if (open < floor) return usageAt;
      i = open;
      if (depth !== 1) continue;
      const colon = skipSpace(raw, close + 1);
      if (raw[colon] !== COLON) continue; // a value, not a key
      const wanted = wantedKey(raw, open, close, FROM_END);
      if (wanted === BROKEN_KEY) return -1;
      const name = FROM_END[wanted];
      if (name === undefined || Object.hasOwn(into, name)) continue;
      // Past LOOK_BACK_BYTES only the tier is looked for: `model` is the walk forward's (the first one).
      if (name === 'model' && usageAt >= 0 && open < usageAt - LOOK_BACK_BYTES) continue;
      if (!readValue(raw, colon + 1, valueEnd, name, into)) return -1;
      if (name === 'usage') {
        usageAt = open;
        const lookBack = Object.hasOwn(into, 'service_tier') ? LOOK_BACK_BYTES : TIER_LOOK_BACK_BYTES;
        floor = Math.max(0, open - lookBack);
      }
      if (usageAt >= 0 && Object.hasOwn(into, 'model') && Object.hasOwn(into, 'service_tier')) return usageAt;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth++;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // The opening brace: every member was walked (the walk forward checks where it is).
      if (--depth === 0) return usageAt;
    } else if (c === COMMA && depth === 1) valueEnd = i;
  }
  return usageAt;
}

/**
 * Walks the top level forward from the opening brace up to `end` (where
 * the `usage` key starts) and reads the first `model` into `into`. False
 * when the text does not look like JSON.
 */
function walkForward(raw: Buffer, end: number, into: Record<string, unknown>): boolean {
  let i = skipSpace(raw, 0);
  if (raw[i] !== OPEN_BRACE) return false;
  let depth = 1;
  // Where the value of a wanted key starts, while walking over it.
  let valueStart = -1;
  for (i++; i < end; i++) {
    const c = raw[i];
    if (c === QUOTE) {
      const open = i;
      const close = closingQuote(raw, open);
      if (close < 0) return false;
      i = close;
      if (depth !== 1 || valueStart >= 0) continue;
      const colon = skipSpace(raw, close + 1);
      if (raw[colon] !== COLON) continue; // a value, not a key
      const wanted = wantedKey(raw, open, close, FROM_START);
      if (wanted === BROKEN_KEY) return false;
      if (wanted >= 0) valueStart = colon + 1;
      i = colon;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return false;
    } else if (c === COMMA && depth === 1 && valueStart >= 0) {
      return readValue(raw, valueStart, i, 'model', into);
    }
  }
  // No `model` before `usage` (and none after it, or the walk back had read it);
  // a `usage` the walk back took for the top level must be at it.
  return valueStart < 0 && depth === 1;
}

/** Parses `raw[start, end)` into `into[name]`; false when it does not parse. */
function readValue(
  raw: Buffer,
  start: number,
  end: number,
  name: string,
  into: Record<string, unknown>,
): boolean {
  try {
    into[name] = JSON.parse(raw.toString('utf8', start, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * Index of the quote opening the string whose closing quote is at `close`,
 * or -1; or any index below `floor` once the search passes it.
 */
function openingQuote(raw: Buffer, close: number, floor: number): number {
  let at = close;
  for (;;) {
    if (at === 0) return -1;
    // Buffer#lastIndexOf reads a negative offset from the end: `at - 1` is never below 0 here.
    at = raw.lastIndexOf(QUOTE, at - 1);
    if (at < floor) return at;
    if (!escaped(raw, at)) return at;
  }
}

/** Index of the quote closing the string whose opening quote is at `open`, or -1. */
function closingQuote(raw: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = raw.indexOf(QUOTE, at + 1);
    if (at < 0) return -1;
    if (!escaped(raw, at)) return at;
  }
}

/** Whether the quote at `at` follows an odd number of backslashes (is part of a string). */
function escaped(raw: Buffer, at: number): boolean {
  let backslashes = 0;
  while (at - 1 - backslashes >= 0 && raw[at - 1 - backslashes] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

const BROKEN_KEY = -2;

/**
 * Which of `names` (ASCII) the key between the quotes at `open` and `close`
 * is: its index, -1 for none of them, BROKEN_KEY when it does not parse.
 * Compared byte by byte: most keys are neither, and need no string.
 */
function wantedKey(raw: Buffer, open: number, close: number, names: readonly string[]): number {
  for (let i = open + 1; i < close; i++) {
    if (raw[i] !== BACKSLASH) continue;
    // An escape (`"\u0075sage"` is `usage` too): let JSON.parse spell it out.
    try {
      return names.indexOf(JSON.parse(raw.toString('utf8', open, close + 1)) as string);
    } catch {
      return BROKEN_KEY;
    }
  }
  for (let n = 0; n < names.length; n++) if (spells(raw, open + 1, close, names[n] as string)) return n;
  return -1;
}

/** Whether the bytes from `start` to `end` are the ASCII `name`. */
function spells(raw: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (raw[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(raw: Buffer, from: number): number {
  let i = from;
  while (i < raw.length && isSpace(raw[i])) i++;
  return i;
}

/** The last index at or before `from` that is not JSON whitespace, or -1. */
function skipSpaceBack(raw: Buffer, from: number): number {
  let i = from;
  while (i >= 0 && isSpace(raw[i])) i--;
  return i;
}
