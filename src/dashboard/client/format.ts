/** How numbers and durations read on the page (pure, no DOM). */

const exact = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 1234 → "1,234": totals, which an operator compares with `/metrics`. */
export function count(n: number): string {
  return exact.format(n);
}

/** 1234 → "1.2k", 2_500_000 → "2.5M": limits and rates, where magnitude matters more than digits. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1e3) return oneDecimal.format(n);
  for (const [unit, size] of UNITS) {
    // Pick the unit after rounding, so 999,950 reads "1M", not "1,000k".
    const scaled = Math.abs(n / size);
    const shown = scaled >= 10 ? Math.round(scaled) : Math.round(scaled * 10) / 10;
    if (shown < 1000 || unit === 'G')
      return `${(scaled >= 10 ? exact : oneDecimal).format(Math.sign(n) * shown)}${unit}`;
  }
  return exact.format(n);
}

const UNITS: readonly [string, number][] = [
  ['k', 1e3],
  ['M', 1e6],
  ['G', 1e9],
];

const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const twoSignificant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });

/** USD: "$1,234.50"; under a dollar two significant digits ("$0.0042"), so a test's cost is not "$0.00". */
export function usd(n: number): string {
  if (n === 0) return '$0';
  return `$${Math.abs(n) < 1 ? twoSignificant.format(n) : cents.format(n)}`;
}

/** An axis label in milliseconds: tenths under 10 ms, where waits of a busy gateway live. */
export function axisMs(ms: number): string {
  if (ms >= 1_000) return duration(ms);
  return `${ms < 10 ? oneDecimal.format(ms) : exact.format(ms)} ms`;
}

/** 0.634 → "63 %"; one decimal near the thresholds' neighbourhood is noise, so none. */
export function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** Milliseconds as a person would say them: "350 ms", "4.2 s", "3 m 20 s", "2 h 5 m". */
export function duration(ms: number): string {
  if (!(ms > 0)) return '0 s';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = ms / 1_000;
  if (s < 10) return `${oneDecimal.format(s)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m - h * 60} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Time until something expected: "in 4 m 20 s", "now" when due, "—" when unknown. */
export function fromNow(ms: number | null): string {
  if (ms === null) return '—';
  if (ms <= 0) return 'now';
  return `in ${duration(ms)}`;
}

/** A wait quantile: "—" when there were no waits to measure. */
export function wait(ms: number | null): string {
  if (ms === null) return '—';
  if (ms === 0) return '0 ms';
  return duration(ms);
}

const WINDOW_SHORT: Readonly<Record<string, string>> = Object.freeze({
  second: 's',
  minute: 'min',
  hour: 'h',
  day: 'day',
});

/** `requests`, `minute` → "requests / min"; concurrency has no window. */
export function limitName(dimension: string, window: string | null): string {
  const what = dimension.replace('_', ' ');
  return window === null ? what : `${what} / ${WINDOW_SHORT[window] ?? window}`;
}

const hoursMinutes = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const withSeconds = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** An epoch-ms instant as local wall-clock time. */
export function clockTime(epochMs: number, seconds: boolean): string {
  return (seconds ? withSeconds : hoursMinutes).format(epochMs);
}
