/**
 * Reading single header values safely. `HeaderLookup.get` is case-insensitive
 * by contract (fetch `Headers`); a caller-supplied lookup may still throw or
 * return odd values, which become `undefined` here.
 */
import type { HeaderLookup } from '../adapter.js';

/** Longest header value worth parsing; rate-limit values are a few bytes. */
const MAX_VALUE_LENGTH = 256;

export function headerValue(headers: HeaderLookup, name: string): string | undefined {
  let raw: unknown;
  try {
    raw = headers.get(name);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  return value.length > 0 && value.length <= MAX_VALUE_LENGTH ? value : undefined;
}

/**
 * A limit or remaining count: a plain non-negative decimal. Negative values
 * mean "unknown" (Azure sends `-1`, PROVIDERS.md §2.1), as does anything
 * that is not a number or exceeds 2^53.
 */
export function parseHeaderCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(?:\.\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}
