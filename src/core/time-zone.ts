/**
 * Calendar periods in a named time zone (IANA, e.g. `America/Los_Angeles`),
 * through the runtime's own Intl data: Gemini's per-day quotas reset at
 * midnight Pacific time (PROVIDERS.md §4.1), which is 07:00 or 08:00 UTC
 * depending on daylight saving time, and a day is 23 or 25 hours long on the
 * days the clocks change.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** Whether `zone` names a time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

/** Ms to add to UTC to get the wall-clock time of `zone` at instant `t` (−8 h for Pacific standard time). */
export function zoneOffsetMs(zone: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(whole)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
  );
  return wall - whole;
}

/** The instant at which `zone`'s wall clock shows `wall` (ms, as if UTC); offsets settle in two steps across a change. */
function instantOfWall(zone: string, wall: number, near: number): number {
  const guess = wall - zoneOffsetMs(zone, near);
  return wall - zoneOffsetMs(zone, guess);
}

/**
 * Start and end of the period of `periodMs` (a wall-clock length: a minute,
 * an hour, a day) that contains `now` in `zone`. Periods begin at wall-clock
 * multiples of their length, e.g. every local midnight; on a day the clocks
 * change, the period between two midnights is 23 or 25 h long.
 */
export function zonePeriod(zone: string, periodMs: number, now: number, out: Float64Array): void {
  const wallStart = Math.floor((now + zoneOffsetMs(zone, now)) / periodMs) * periodMs;
  out[0] = instantOfWall(zone, wallStart, now);
  out[1] = instantOfWall(zone, wallStart + periodMs, now + periodMs);
}

/**
 * Start and end of the calendar month that contains `now` in `zone`
 * (undefined: UTC): a spending budget's month, 28 to 31 days long.
 */
export function monthPeriod(zone: string | undefined, now: number, out: Float64Array): void {
  const offset = zone === undefined ? 0 : zoneOffsetMs(zone, now);
  const wall = new Date(now + offset);
  const wallStart = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), 1);
  const wallEnd = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 1);
  if (zone === undefined) {
    out[0] = wallStart;
    out[1] = wallEnd;
    return;
  }
  out[0] = instantOfWall(zone, wallStart, now);
  out[1] = instantOfWall(zone, wallEnd, wallEnd - offset);
}
