/** Durations as people write them in scenarios and flags: `500ms`, `30s`, `2m`, or a number of seconds. */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of `value`; throws with the accepted forms when it cannot be read. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value * 1_000;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
    if (match) return Number(match[1]) * (UNITS[match[2] ?? 's'] as number);
  }
  throw new Error(
    `cannot read duration ${JSON.stringify(value)}: write e.g. 500ms, 30s, 2m or a number of seconds`,
  );
}

export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
