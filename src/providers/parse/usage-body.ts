/**
 * A non-streamed response is relayed byte for byte; settlement only needs
 * its top-level `usage`. Parsing just that object (a few hundred bytes)
 * instead of the whole body saves most of a `JSON.parse` per request.
 *
 * The key is found from the end: OpenAI (chat, completions, embeddings,
 * responses) and Anthropic (messages) put `usage` after the content, and a
 * `"usage":` inside a JSON string cannot match because its quotes would be
 * escaped. When anything looks off, the whole body is parsed instead.
 */
const KEY = Buffer.from('"usage"');
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** `{ usage }` from the body, or the whole parsed body, or undefined when it is not JSON. */
export function bodyForUsage(raw: Buffer): unknown {
  const at = raw.lastIndexOf(KEY);
  if (at >= 0) {
    let i = skipSpace(raw, at + KEY.length);
    if (raw[i] === COLON) {
      i = skipSpace(raw, i + 1);
      if (raw[i] === OPEN) {
        const end = matchingBrace(raw, i);
        if (end > 0) {
          try {
            return { usage: JSON.parse(raw.toString('utf8', i, end + 1)) };
          } catch {
            // fall through to the whole body
          }
        }
      }
    }
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function skipSpace(raw: Buffer, from: number): number {
  let i = from;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09)) i++;
  return i;
}

/** Index of the `}` closing the object that opens at `start`, or -1. */
function matchingBrace(raw: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return i;
  }
  return -1;
}
