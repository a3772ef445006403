/**
 * Defensive readers for JSON of unknown shape. Request and response bodies
 * arrive as `unknown` (anything `JSON.parse` or a library caller produced);
 * these helpers turn them into typed values or `undefined`, and never throw.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property read that survives getters that throw (library callers may pass proxies). */
export function field(value: unknown, key: string): unknown {
  if (!isRecord(value)) return undefined;
  try {
    return Object.hasOwn(value, key) ? value[key] : undefined;
  } catch {
    return undefined;
  }
}

export function stringField(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}

export function recordField(value: unknown, key: string): JsonRecord | undefined {
  const v = field(value, key);
  return isRecord(v) ? v : undefined;
}

export function arrayField(value: unknown, key: string): readonly unknown[] | undefined {
  const v = field(value, key);
  return Array.isArray(v) ? v : undefined;
}

/**
 * A token or request count: a finite, non-negative number up to 2^53, rounded
 * to an integer. Strings are accepted only as plain decimal integers (Google
 * serialises int64 as strings, e.g. `"quotaValue": "20"`).
 */
export function toCount(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value)) n = Number(value);
  else return undefined;
  if (!Number.isFinite(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) return undefined;
  return Math.round(n);
}

export function countField(value: unknown, key: string): number | undefined {
  return toCount(field(value, key));
}

/** First present count among `keys` (`max_completion_tokens ?? max_tokens ?? …`). */
export function firstCountField(value: unknown, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const n = countField(value, key);
    if (n !== undefined) return n;
  }
  return undefined;
}
