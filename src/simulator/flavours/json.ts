/** Narrow readers for request bodies of unknown shape: wrong types read as absent. */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A non-negative integer, or undefined. */
export function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

export function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/**
 * The text of a content value: a string, or an array of parts whose `text`
 * fields are joined (text, input_text, output_text and tool results alike).
 */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    if (typeof part === 'string') out += part;
    else if (isObject(part)) {
      if (typeof part.text === 'string') out += part.text;
      else if (part.content !== undefined) out += textOf(part.content);
      else if (part.input !== undefined) out += JSON.stringify(part.input);
    }
  }
  return out;
}
