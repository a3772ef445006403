/**
 * Small readers the translators share: a body arrives as parsed JSON of
 * unknown shape, and a wrong type is a refusal naming the parameter.
 */
import { isRecord, type JsonRecord } from '../parse/json-shape.js';
import type { JsonObject, JsonValue } from './neutral.js';
import type { Refusals } from './translation.js';

export { isRecord, type JsonRecord };

export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isRecord(value) && Object.values(value).every(isJsonValue);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return isRecord(value) && isJsonValue(value);
}

/** A string member, or a refusal when present with another type. */
export function readString(
  record: JsonRecord,
  key: string,
  at: string,
  refusals: Refusals,
): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  refusals.add(at, 'expected a string');
  return undefined;
}

export function readNumber(
  record: JsonRecord,
  key: string,
  at: string,
  refusals: Refusals,
): number | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  refusals.add(at, 'expected a number');
  return undefined;
}

export function readArray(
  record: JsonRecord,
  key: string,
  at: string,
  refusals: Refusals,
): readonly unknown[] {
  const value = record[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  refusals.add(at, 'expected an array');
  return [];
}

/** A JSON object as JSON text, or undefined when the text is not one. */
export function parseJsonObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `data:<media type>;base64,<data>` split, or undefined for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mediaType: match[1], data: match[2] };
}

/** An array of strings; any other element is a refusal. */
export function readStrings(record: JsonRecord, key: string, at: string, refusals: Refusals): string[] {
  return readArray(record, key, at, refusals).flatMap((item, i) => {
    if (typeof item === 'string') return [item];
    refusals.add(`${at}[${i}]`, 'expected a string');
    return [];
  });
}
