/**
 * Removes the usage-only chunk Sluice asked for on the caller's behalf
 * (OpenAI `stream_options.include_usage`), so a caller that did not ask for
 * stream usage sees the stream it would have seen. Works on whole SSE events
 * (split anywhere across chunks); only used when Sluice added the option.
 *
 * It works on the bytes: every chunk of such a stream carries `"usage":null`,
 * and only an event whose `usage` is an object can be the one to drop, so
 * the others pass without being decoded, split into lines or re-encoded (a
 * chunk made of whole events that are all kept goes on as it came).
 */
import type { StreamRewriter } from '../adapter.js';
import { isUsageOnlyData } from './stream-usage.js';

const LF = 0x0a;
const CR = 0x0d;
const USAGE_KEY = Buffer.from('"usage"');
const NOTHING = Buffer.alloc(0);

export class UsageChunkFilter implements StreamRewriter {
  /** The start of an event whose end has not arrived yet. */
  private pending: Buffer = NOTHING;

  /** Bytes to forward for this chunk (complete events that are not usage-only). */
  push(chunk: Uint8Array): Uint8Array {
    const bytes = asBuffer(chunk);
    const text = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    let start = 0;
    let keptFrom = 0;
    let kept: Buffer[] | undefined;
    for (;;) {
      const end = eventEnd(text, start);
      if (end < 0) break;
      if (isUsageOnlyEvent(text, start, end)) {
        kept ??= [];
        if (start > keptFrom) kept.push(text.subarray(keptFrom, start));
        keptFrom = end;
      }
      start = end;
    }
    // Copied: the rest must outlive the chunk it came in.
    this.pending = start < text.length ? Buffer.from(text.subarray(start)) : NOTHING;
    if (!kept) return start === text.length ? text : text.subarray(0, start);
    if (start > keptFrom) kept.push(text.subarray(keptFrom, start));
    return Buffer.concat(kept);
  }

  /** Whatever is left when the stream ends (an unterminated last event). */
  end(): Uint8Array {
    const rest = this.pending;
    this.pending = NOTHING;
    return rest.length > 0 && isUsageOnlyEvent(rest, 0, rest.length) ? NOTHING : rest;
  }
}

/** Where the event starting at `from` ends (after its blank line: `\r?\n\r?\n`), or -1. */
function eventEnd(bytes: Buffer, from: number): number {
  let lf = bytes.indexOf(LF, from);
  while (lf >= 0) {
    const next = bytes[lf + 1];
    if (next === LF) return lf + 2;
    if (next === CR && bytes[lf + 2] === LF) return lf + 3;
    lf = bytes.indexOf(LF, lf + 1);
  }
  return -1;
}

function isUsageOnlyEvent(bytes: Buffer, start: number, end: number): boolean {
  if (!hasUsageObject(bytes, start, end)) return false;
  const data = bytes
    .toString('utf8', start, end)
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line[5] === ' ' ? 6 : 5))
    .join('\n');
  return isUsageOnlyData(data);
}

/** Whether a `"usage"` key in the event has an object for its value (ordinary chunks have `null`). */
function hasUsageObject(bytes: Buffer, start: number, end: number): boolean {
  let at = bytes.indexOf(USAGE_KEY, start);
  while (at >= 0 && at < end) {
    let i = skipSpace(bytes, at + USAGE_KEY.length, end);
    if (bytes[i] === 0x3a) {
      i = skipSpace(bytes, i + 1, end);
      if (bytes[i] === 0x7b) return true;
    }
    at = bytes.indexOf(USAGE_KEY, at + 1);
  }
  return false;
}

function skipSpace(bytes: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === CR || bytes[i] === LF)) i++;
  return i;
}

/** The same bytes as a Buffer, without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
