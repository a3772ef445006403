/** Shared test helpers: raw HTTP samples → status, headers, body; byte feeding for taps. */
import type { UsageTap } from '../../src/providers/adapter.js';
import { SAMPLES } from './fixtures/samples.js';

export interface HttpSample {
  readonly status: number;
  readonly headers: Headers;
  /** The body as sent (text). */
  readonly text: string;
  /** The body parsed as JSON, or the text when it is not JSON (SSE). */
  readonly body: unknown;
}

export function sample(key: string): HttpSample {
  const raw = SAMPLES[key];
  if (raw === undefined) throw new Error(`no sample ${key}`);
  return parseHttp(raw);
}

export function parseHttp(raw: string): HttpSample {
  if (!raw.startsWith('HTTP/')) return { status: 0, headers: new Headers(), text: raw, body: tryJson(raw) };
  const split = raw.indexOf('\n\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const text = split < 0 ? '' : raw.slice(split + 2);
  const [statusLine = '', ...lines] = head.split('\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status, headers, text, body: tryJson(text) };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Feeds `data` to `tap` cut at the given offsets (sorted, deduplicated, in range). */
export function feedSplit(tap: UsageTap, data: Uint8Array, cuts: readonly number[]): UsageTap {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b);
  let at = 0;
  for (const point of [...points, data.length]) {
    if (point > at) tap.push(data.subarray(at, point));
    at = point;
  }
  return tap;
}

export function feedBytewise(tap: UsageTap, data: Uint8Array): UsageTap {
  for (let i = 0; i < data.length; i++) tap.push(data.subarray(i, i + 1));
  return tap;
}

/** A header lookup from a plain record (for hand-written cases). */
export function headersOf(record: Record<string, string>): Headers {
  return new Headers(record);
}

export const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);
