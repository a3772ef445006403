/**
 * Server-Sent Events framing (WHATWG HTML, "event stream interpretation"),
 * for a stream read with `fetch`: the page sends the admin key in a header,
 * which `EventSource` cannot do, and a key in the URL would end up in logs.
 * Pure (no DOM), fed text split anywhere.
 */

export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  /** The reconnection delay the server asked for, if any. */
  retryMs: number | undefined;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): StreamEvent[] {
    this.buffer += chunk;
    const out: StreamEvent[] = [];
    for (;;) {
      const end = this.lineEnd();
      if (end === undefined) break;
      const line = this.buffer.slice(0, end.at);
      this.buffer = this.buffer.slice(end.at + end.length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  /** The next line ending (CRLF, LF or CR); a CR at the very end waits for a possible LF. */
  private lineEnd(): { at: number; length: number } | undefined {
    const buffer = this.buffer;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c === 10) return { at: i, length: 1 };
      if (c === 13) {
        if (i + 1 === buffer.length) return undefined;
        return { at: i, length: buffer.charCodeAt(i + 1) === 10 ? 2 : 1 };
      }
    }
    return undefined;
  }

  private line(line: string): StreamEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const event = { event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}
