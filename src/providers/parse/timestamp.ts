/**
 * Absolute reset times. Anthropic sends RFC 3339 UTC timestamps, whole
 * seconds with `Z` in every capture (PROVIDERS.md §3.1); fractions and
 * offsets are accepted too. `Date.parse` alone would also take free-form
 * dates ("May 1"), so the shape is checked first.
 */

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339Ms(value: string | undefined): number | undefined {
  if (value === undefined || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Epoch timestamps in seconds or milliseconds, told apart by magnitude
 * (anything below 10^11 is seconds: 10^11 s is the year 5138, 10^11 ms is 1973).
 */
export function parseEpochMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}(?:\.\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  return n < 1e11 ? n * 1_000 : n;
}
