/**
 * A non-streamed response is relayed byte for byte; settlement reads only
 * its top-level `usage` and `model` (Anthropic counts cache reads for some
 * models, PROVIDERS.md §3.2). From 1 KB up, parsing just those two members
 * instead of the whole body saves a `JSON.parse` that grows with the body:
 * ~30-50 µs at 20 KB, 2.7-4 ms at 200 KB, 0.1-0.2 ms for one embedding as
 * floats and 4 ms for 16 (`npm run bench usage-body`). Below 1 KB the two
 * cost the same within a microsecond, and the whole body is parsed.
 *
 * The members are found by walking the object's top level backwards from
 * its closing brace (OpenAI and Anthropic put `usage` after the content), so
 * a `usage` key nested deeper or inside a string never matches, and of
 * duplicate keys the last one wins, as in `JSON.parse`. String contents are
 * skipped with `lastIndexOf`, so a long answer costs little. The bytes not
 * walked are not checked: a body broken before its `model` can still yield
 * its usage. Anything else off (no top-level `usage`, not an object, a value
 * that does not parse) falls back to parsing the whole body.
 */
const USAGE_KEY = Buffer.from('"usage"');
const WANTED: readonly string[] = Object.freeze(['usage', 'model']);

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

/**
 * `{ usage, model }` as `JSON.parse(raw)` has them (`model` left out when the
 * body has none), or the whole parsed body, or undefined when it is not JSON.
 * `minBytes`: the size from which to read only the two members (tests pass 0).
 */
export function bodyForUsage(raw: Buffer, minBytes = PARTIAL_READ_MIN_BYTES): unknown {
  if (raw.length >= minBytes && raw.lastIndexOf(USAGE_KEY) >= 0) {
    const members = topLevelMembers(raw, WANTED);
    if (members?.usage !== undefined) return members;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The members named `names` of the object `raw` holds, read from its end;
 * a name left out is absent. Undefined when `raw` does not look like one
 * JSON object or a member's value does not parse.
 */
function topLevelMembers(raw: Buffer, names: readonly string[]): Record<string, unknown> | undefined {
  let i = skipSpaceBack(raw, raw.length - 1);
  if (raw[i] !== CLOSE_BRACE) return undefined;
  const found: Record<string, unknown> = {};
  let missing = names.length;
  let depth = 1;
  // The `,` or `}` that ends the value of the top-level member being walked.
  let valueEnd = i;
  for (i--; i >= 0; i--) {
    const c = raw[i];
    if (c === QUOTE) {
      const close = i;
      const open = openingQuote(raw, close);
      if (open < 0) return undefined;
      i = open;
      if (depth !== 1) continue;
      const colon = skipSpace(raw, close + 1);
      if (raw[colon] !== COLON) continue; // a value, not a key
      const wanted = wantedKey(raw, open, close, names);
      if (wanted === BROKEN_KEY) return undefined;
      const name = names[wanted];
      if (name === undefined || Object.hasOwn(found, name)) continue;
      try {
        found[name] = JSON.parse(raw.toString('utf8', colon + 1, valueEnd));
      } catch {
        return undefined;
      }
      if (--missing === 0) return found;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth++;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (--depth === 0) return c === OPEN_BRACE && skipSpaceBack(raw, i - 1) < 0 ? found : undefined;
    } else if (c === COMMA && depth === 1) valueEnd = i;
  }
  return undefined;
}

/** Index of the quote opening the string whose closing quote is at `close`, or -1. */
function openingQuote(raw: Buffer, close: number): number {
  let at = close;
  for (;;) {
    if (at === 0) return -1;
    // Buffer#lastIndexOf reads a negative offset from the end: `at - 1` is never below 0 here.
    at = raw.lastIndexOf(QUOTE, at - 1);
    if (at < 0) return -1;
    // A quote after an odd number of backslashes is part of the string.
    let backslashes = 0;
    while (at - 1 - backslashes >= 0 && raw[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
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
