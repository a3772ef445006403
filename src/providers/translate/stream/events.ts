/**
 * A streamed chat answer as the API families share it, event by event: what
 * a stream reader makes of one upstream family's stream (OpenAI Chat chunks,
 * Responses events, Anthropic `message_start` / `content_block_*` /
 * `message_delta`, Gemini chunks) and what a stream writer turns into the
 * caller's family. Translation is reader → events → writer, one upstream
 * chunk at a time, never the whole stream buffered.
 *
 * Content is numbered as the neutral answer numbers it (`NeutralAnswer.content`):
 * text and tool calls in the order the model produced them; a block's
 * `index` is its position there, so a reassembled stream equals the
 * non-streamed answer.
 */
import type { NeutralStopReason, NeutralUsage } from '../neutral.js';

export type NeutralStreamEvent =
  /** The answer began: its id and model (the first thing every family's stream says). */
  | { readonly kind: 'start'; readonly id: string; readonly model: string; readonly createdSeconds?: number }
  /** A piece of the text of content block `index`. */
  | { readonly kind: 'text'; readonly index: number; readonly text: string }
  /** Content block `index` is a tool call. */
  | { readonly kind: 'tool-call'; readonly index: number; readonly id: string; readonly name: string }
  /** A fragment of the JSON text of tool call `index`'s arguments (fragments concatenate to the whole object). */
  | { readonly kind: 'tool-arguments'; readonly index: number; readonly json: string }
  /** Usage so far; the last one before `stop` is the answer's (never summed). */
  | { readonly kind: 'usage'; readonly usage: NeutralUsage }
  /** Why the model stopped; after it only `usage` may still come. */
  | { readonly kind: 'stop'; readonly reason: NeutralStopReason; readonly stopSequence?: string }
  /**
   * The upstream reported an error inside its stream (Anthropic `event:
   * error`, an OpenAI `error` chunk), or its stream was malformed or cut:
   * the caller's stream ends with its own family's error event.
   */
  | { readonly kind: 'error'; readonly status: number; readonly message: string; readonly type?: string };

/** Receives events as a reader finds them (no arrays on the hot path). */
export type StreamSink = (event: NeutralStreamEvent) => void;

/** Reads one family's stream bytes, split anywhere. */
export interface StreamReader {
  push(chunk: Uint8Array, sink: StreamSink): void;
  /**
   * The upstream body ended. A stream that ended before its terminal event
   * (cut mid-event, no stop, no final usage where the family always sends
   * one) yields an `error` event.
   */
  end(sink: StreamSink): void;
}

/** Writes one family's stream text from events. */
export interface StreamWriter {
  /** The bytes (SSE text, or a JSON array's next element) for one event; '' when it says nothing in this family. */
  write(event: NeutralStreamEvent): string;
  /** What closes the stream (`data: [DONE]`, the closing `]`), after the last event. */
  finish(): string;
}

/** What a writer needs to know of the caller beyond the events. */
export interface StreamWriterOptions {
  /** The model name the caller's stream says (the caller's own name for it); undefined: the upstream's. */
  readonly model?: string;
  /** The caller asked for usage in its stream (OpenAI `stream_options.include_usage`; other families always get it). */
  readonly streamUsage: boolean;
  /** OpenAI `created` when the upstream gave none: the caller's clock, in Unix seconds. */
  readonly createdSeconds: number;
}
