/**
 * Turns raw response bytes into messages for a usage tap: SSE events
 * (`event` name + `data` text) or, for JSON streams, one message per
 * top-level value (`event` undefined). The format is told by the first
 * non-blank character: `[` or `{` is JSON (Gemini without `alt=sse`),
 * anything else is SSE.
 *
 * Bytes may be split anywhere, also inside a UTF-8 sequence: the decoder
 * runs in streaming mode. Memory is bounded by the largest single event
 * (`maxEventChars`); a larger one is dropped, never buffered without bound.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { JsonValueSplitter } from './json-values.js';

export type MessageHandler = (event: string | undefined, data: string) => void;

/**
 * Room for the largest event a tap must read: the Responses API's
 * `response.completed` repeats the whole output (a 128 k-token answer is
 * about 1 MB of JSON).
 */
export const DEFAULT_MAX_EVENT_CHARS = 8 << 20;

export interface StreamFrame {
  push(chunk: Uint8Array): void;
}

export function createStreamFrame(
  onMessage: MessageHandler,
  maxEventChars = DEFAULT_MAX_EVENT_CHARS,
): StreamFrame {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  const deliver: MessageHandler = (event, data) => {
    try {
      onMessage(event, data);
    } catch {
      // A handler bug must not break the response stream it observes.
    }
  };
  let sink: ((text: string) => void) | undefined;
  let head = '';

  const sse = (): ((text: string) => void) => {
    let parser: EventSourceParser | undefined;
    parser = createParser({
      onEvent: (message) => deliver(message.event, message.data),
      onError: (error) => {
        // Past the buffer limit the parser stops; drop that event and go on.
        if (error.type === 'max-buffer-size-exceeded') parser?.reset();
      },
      maxBufferSize: maxEventChars,
    });
    return (text) => {
      try {
        parser?.feed(text);
      } catch {
        parser?.reset();
      }
    };
  };

  const json = (): ((text: string) => void) => {
    const splitter = new JsonValueSplitter((value) => deliver(undefined, value), maxEventChars);
    return (text) => splitter.push(text);
  };

  return {
    push(chunk: Uint8Array): void {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        return; // not a byte view: nothing to observe
      }
      if (text.length === 0) return;
      if (!sink) {
        head += text;
        const first = head.search(/\S/);
        if (first < 0) {
          if (head.length > 1024) head = ''; // blank keep-alives (DeepSeek, §5) before any content
          return;
        }
        const c = head[first];
        sink = c === '[' || c === '{' ? json() : sse();
        text = head;
        head = '';
      }
      sink(text);
    },
  };
}
