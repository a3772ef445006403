/**
 * Removes the usage-only chunk Sluice asked for on the caller's behalf
 * (OpenAI `stream_options.include_usage`), so a caller that did not ask for
 * stream usage sees the stream it would have seen. Works on whole SSE events
 * (split anywhere across chunks); only used when Sluice added the option.
 */
import type { StreamRewriter } from '../adapter.js';
import { isUsageOnlyData } from './stream-usage.js';

const EVENT_END = /\r?\n\r?\n/;

export class UsageChunkFilter implements StreamRewriter {
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private pending = '';

  /** Bytes to forward for this chunk (complete events that are not usage-only). */
  push(chunk: Uint8Array): Uint8Array {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let out = '';
    for (;;) {
      const match = EVENT_END.exec(this.pending);
      if (!match) break;
      const end = match.index + match[0].length;
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      if (!isUsageOnlyEvent(event)) out += event;
    }
    return this.encoder.encode(out);
  }

  /** Whatever is left when the stream ends (an unterminated last event). */
  end(): Uint8Array {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    return this.encoder.encode(isUsageOnlyEvent(rest) ? '' : rest);
  }
}

function isUsageOnlyEvent(event: string): boolean {
  if (!event.includes('"usage"')) return false;
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(line[5] === ' ' ? 6 : 5))
    .join('\n');
  return isUsageOnlyData(data);
}
