/**
 * The arguments of a simulated tool call, built from the tool's JSON schema
 * and the user's text, the same every time for the same pair:
 *
 * - only required properties are filled (an agent loop then sees the
 *   smallest valid call), in the schema's order;
 * - `const`, then `default`, win; an `enum` gives the first value the text
 *   mentions, else its first value;
 * - a string is the user's text (trimmed, cut to `maxLength`), a number the
 *   first number in the text (else `minimum`, else 0, then clamped), a
 *   boolean `false`, an array `minItems` items, null null;
 * - `anyOf` / `oneOf` / `allOf` take their first branch, local `$ref`s
 *   (`#/$defs/…`, `#/definitions/…`) are followed, Gemini's upper-case
 *   types (`STRING`, `OBJECT`) read as JSON Schema's.
 *
 * A request's schema may be hostile (cycles, arrays of arrays of 16 items,
 * thousands of required properties): the arguments hold at most
 * `MAX_VALUES` values, nest at most `MAX_DEPTH` deep, and quote at most
 * `MAX_TEXT` characters of the user's text.
 */
import { isObject, type JsonObject } from './flavours/json.js';

/** Deeper schemas (or `$ref` cycles) end in null rather than recursing forever. */
const MAX_DEPTH = 8;
/** Values past this many are null: a schema cannot make the answer grow exponentially. */
const MAX_VALUES = 256;
/** A model quotes a phrase, not a whole document. */
const MAX_TEXT = 1_000;

interface Reading {
  readonly root: JsonObject;
  readonly text: string;
  /** Values still allowed; counts down. */
  budget: number;
}

/** An object of arguments for a tool whose parameters are `schema` (anything not an object schema gives `{}`). */
export function toolArguments(schema: unknown, text: string): JsonObject {
  if (!isObject(schema)) return {};
  const value = valueFor(schema, { root: schema, text: quotable(text), budget: MAX_VALUES }, 0);
  return isObject(value) ? value : {};
}

/** The user's text, trimmed and cut to `MAX_TEXT` characters (never inside a surrogate pair). */
function quotable(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length <= MAX_TEXT) return trimmed;
  const end = /[\uD800-\uDBFF]/.test(trimmed.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
  return trimmed.slice(0, end);
}

function valueFor(schema: unknown, reading: Reading, depth: number): unknown {
  if (depth > MAX_DEPTH || reading.budget <= 0) return null;
  reading.budget--;
  if (!isObject(schema)) return reading.text;
  const resolved = resolveRef(schema, reading.root);
  if (resolved !== schema) return valueFor(resolved, reading, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return enumValue(schema.enum, reading.text);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) return valueFor(branches[0], reading, depth + 1);
  }
  switch (typeOf(schema)) {
    case 'object':
      return objectValue(schema, reading, depth);
    case 'array':
      return arrayValue(schema, reading, depth);
    case 'string':
      return stringValue(schema, reading.text);
    case 'number':
      return numberValue(schema, reading.text, false);
    case 'integer':
      return numberValue(schema, reading.text, true);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return reading.text;
  }
}

/** The schema's type in JSON Schema's lower case; the first non-null one of a list; `object` when only properties say so. */
function typeOf(schema: JsonObject): string | undefined {
  const type = Array.isArray(schema.type)
    ? schema.type.find((t) => typeof t === 'string' && t.toLowerCase() !== 'null')
    : schema.type;
  if (typeof type === 'string') return type.toLowerCase();
  return isObject(schema.properties) ? 'object' : undefined;
}

function resolveRef(schema: JsonObject, root: JsonObject): unknown {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    target = isObject(target) ? target[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
  }
  return target ?? {};
}

function objectValue(schema: JsonObject, reading: Reading, depth: number): JsonObject {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [],
  );
  const out: JsonObject = {};
  // Properties first in their declared order, then required names the properties do not describe.
  for (const [name, property] of Object.entries(properties)) {
    if (required.has(name)) set(out, name, valueFor(property, reading, depth + 1));
  }
  for (const name of required)
    if (!Object.hasOwn(out, name)) set(out, name, valueFor(true, reading, depth + 1));
  return out;
}

/** An own property even for names such as `__proto__`, which plain assignment would treat as the prototype. */
function set(object: JsonObject, name: string, value: unknown): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

function arrayValue(schema: JsonObject, reading: Reading, depth: number): unknown[] {
  const min = typeof schema.minItems === 'number' ? Math.min(Math.max(0, schema.minItems), 16) : 0;
  return Array.from({ length: min }, () => valueFor(schema.items, reading, depth + 1));
}

function enumValue(values: readonly unknown[], text: string): unknown {
  const lower = text.toLowerCase();
  return (
    values.find((v) => typeof v === 'string' && v !== '' && lower.includes(v.toLowerCase())) ?? values[0]
  );
}

function stringValue(schema: JsonObject, text: string): string {
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  const min = typeof schema.minLength === 'number' ? Math.min(schema.minLength, MAX_TEXT) : 0;
  const cut = [...text].slice(0, max).join('');
  return cut.length >= min ? cut : cut.padEnd(min, 'x');
}

function numberValue(schema: JsonObject, text: string, integer: boolean): number {
  const found = text.match(/-?\d+(?:\.\d+)?/)?.[0];
  let minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  let maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (integer && minimum !== undefined) minimum = Math.ceil(minimum);
  if (integer && maximum !== undefined) maximum = Math.floor(maximum);
  let value = found !== undefined ? Number(found) : (minimum ?? 0);
  if (integer) value = Math.trunc(value);
  if (minimum !== undefined) value = Math.max(value, minimum);
  if (maximum !== undefined) value = Math.min(value, maximum);
  return value;
}
