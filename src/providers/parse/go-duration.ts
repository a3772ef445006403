/**
 * Durations as rate-limit headers and error details write them, in ms.
 *
 * - Go `time.Duration.String()` of a ms-truncated value: `6m0s`, `20ms`,
 *   `1h2m3.5s`, `0s` (OpenAI and Groq `x-ratelimit-reset-*`, PROVIDERS.md §1.2).
 * - Bare numbers are seconds (Azure documents `10` and `300`, §2.1).
 * - Fractional parts anywhere (`789.6ms` in Groq messages) and Go's smaller
 *   units (`us`, `µs`, `ns`), which are legal Go output even if unseen.
 * - Protobuf JSON durations (`33s`, `45.837906927s`, Gemini `RetryInfo`, §4.2)
 *   are a subset of the above.
 *
 * Parsed liberally but strictly tiled: every character must belong to a
 * `<number><unit>` term, so `5 minutes` or `1h-2m` give `undefined`.
 */

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign, what Go prints
  μs: 1e-3, // U+03BC Greek mu, what people type
  ns: 1e-6,
});

const BARE_SECONDS = /^\d+(?:\.\d+)?$/;
// Longer units first so `ms` is not read as `m` followed by garbage.
const TERM = /(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)/y;
/** Header values are short; anything longer is garbage and not worth scanning. */
const MAX_LENGTH = 64;

export function parseDurationMs(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_LENGTH) return undefined;
  if (BARE_SECONDS.test(text)) return finite(Number(text) * 1_000);
  let total = 0;
  let at = 0;
  TERM.lastIndex = 0;
  while (at < text.length) {
    TERM.lastIndex = at;
    const m = TERM.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? Number.NaN);
    at = TERM.lastIndex;
  }
  return finite(total);
}

function finite(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
