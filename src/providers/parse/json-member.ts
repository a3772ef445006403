/**
 * Reads one object member out of a JSON text without parsing the rest.
 *
 * Usage taps see every event of a stream; parsing each whole event to find a
 * small `usage` object would cost a full `JSON.parse` per chunk. A member name
 * found as `"key"` preceded by `{` or `,` and followed by `:` cannot sit
 * inside a string (quotes there are escaped), so the object that follows can
 * be cut out by brace matching and parsed alone.
 */

/** How many occurrences to try before giving up (keeps odd inputs linear). */
const MAX_TRIES = 8;

/** The parsed object of the last `"key": { … }` member in `text`, or undefined. */
export function lastObjectMember(text: string, key: string): Record<string, unknown> | undefined {
  const needle = `"${key}"`;
  let at = text.lastIndexOf(needle);
  for (let tries = 0; at >= 0 && tries < MAX_TRIES; tries++) {
    const value = objectAfter(text, at, needle.length);
    if (value) return value;
    at = at > 0 ? text.lastIndexOf(needle, at - 1) : -1;
  }
  return undefined;
}

/**
 * The last `"key": "<word>"` member in `text` whose value is a short plain
 * string (letters, digits, `_`, `-`: a tier or status name), or undefined.
 * As with objects, a match preceded by `{` or `,` is a key, not string content.
 */
export function lastWordMember(text: string, key: string): string | undefined {
  const needle = `"${key}"`;
  let at = text.lastIndexOf(needle);
  for (let tries = 0; at >= 0 && tries < MAX_TRIES; tries++) {
    const value = wordAfter(text, at, needle.length);
    if (value !== undefined) return value;
    at = at > 0 ? text.lastIndexOf(needle, at - 1) : -1;
  }
  return undefined;
}

const WORD = /^"([A-Za-z0-9_-]{1,64})"/;

/**
 * Where the value of the member whose quoted name starts at `at` begins, or
 * undefined when the name is not a member name (no `{` or `,` before it, no
 * `:` after it): text that merely contains it.
 */
function valueAt(text: string, at: number, needleLength: number): number | undefined {
  let before = at - 1;
  while (before >= 0 && isSpace(text.charCodeAt(before))) before--;
  const opener = text.charCodeAt(before);
  if (opener !== 0x7b /* { */ && opener !== 0x2c /* , */) return undefined;
  const i = skipSpace(text, at + needleLength);
  if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
  return skipSpace(text, i + 1);
}

function wordAfter(text: string, at: number, needleLength: number): string | undefined {
  const i = valueAt(text, at, needleLength);
  return i === undefined ? undefined : WORD.exec(text.slice(i, i + 68))?.[1];
}

function objectAfter(text: string, at: number, needleLength: number): Record<string, unknown> | undefined {
  const i = valueAt(text, at, needleLength);
  if (i === undefined || text.charCodeAt(i) !== 0x7b) return undefined;
  const end = matchingBrace(text, i);
  if (end < 0) return undefined;
  try {
    const value: unknown = JSON.parse(text.slice(i, end + 1));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Index of the `}` closing the object that opens at `start`, or -1. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return c === 0x7d ? i : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
