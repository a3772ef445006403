/**
 * A streamed answer translated between API families as it arrives: the
 * upstream's family's reader turns each chunk of bytes into neutral events
 * (`events.ts`) and the caller's family's writer turns each event into the
 * caller's stream text at once. Nothing is buffered beyond the event in
 * progress and, towards Gemini, one tool call's arguments.
 *
 * The formats are one registry: a format is a reader and a writer factory,
 * so another family's stream is one more line (as OpenAI Responses is).
 */
import { AnthropicMessagesReader } from './anthropic-messages-reader.js';
import { AnthropicMessagesWriter } from './anthropic-messages-writer.js';
import type { StreamReader, StreamSink, StreamWriter, StreamWriterOptions } from './events.js';
import { GeminiReader } from './gemini-reader.js';
import { GeminiWriter } from './gemini-writer.js';
import { OpenAIChatReader } from './openai-chat-reader.js';
import { OpenAIChatWriter } from './openai-chat-writer.js';
import { OpenAIResponsesReader } from './openai-responses-reader.js';
import { OpenAIResponsesWriter } from './openai-responses-writer.js';
import { BAD_GATEWAY } from './stream-errors.js';

export interface StreamCodec {
  reader(): StreamReader;
  writer(options: StreamWriterOptions): StreamWriter;
}

/** Every stream format a caller or an upstream may speak. Gemini's reader reads both of its framings. */
export const STREAM_FORMATS = Object.freeze({
  'openai-chat': { reader: () => new OpenAIChatReader(), writer: (o) => new OpenAIChatWriter(o) },
  'openai-responses': {
    reader: () => new OpenAIResponsesReader(),
    writer: (o) => new OpenAIResponsesWriter(o),
  },
  'anthropic-messages': {
    reader: () => new AnthropicMessagesReader(),
    writer: (o) => new AnthropicMessagesWriter(o),
  },
  'gemini-sse': { reader: () => new GeminiReader(), writer: (o) => new GeminiWriter(o, 'sse') },
  'gemini-json': { reader: () => new GeminiReader(), writer: (o) => new GeminiWriter(o, 'json-array') },
} satisfies Record<string, StreamCodec>);

export type StreamFormat = keyof typeof STREAM_FORMATS;

export type StreamTranslationOptions = StreamWriterOptions;

/** The caller's stream bytes for each upstream chunk; `end` or `fail` closes it, after which all say nothing. */
export interface StreamTranslation {
  /** The caller's bytes for one upstream chunk (often empty: an event split across chunks). */
  push(chunk: Uint8Array): Uint8Array;
  /** The upstream body ended: what closes the caller's stream (its error event when the upstream's was incomplete). */
  end(): Uint8Array;
  /** The upstream connection broke (`reason` says how): the caller's error event, then the close. */
  fail(reason: string): Uint8Array;
}

const encoder = new TextEncoder();
const NOTHING = new Uint8Array(0);

export function createStreamTranslation(
  from: StreamFormat,
  to: StreamFormat,
  options: StreamTranslationOptions,
): StreamTranslation {
  return new Translation(STREAM_FORMATS[from].reader(), STREAM_FORMATS[to].writer(options));
}

class Translation implements StreamTranslation {
  #out = '';
  #closed = false;
  readonly #sink: StreamSink = (event) => {
    this.#out += this.writer.write(event);
  };

  constructor(
    private readonly reader: StreamReader,
    private readonly writer: StreamWriter,
  ) {}

  push(chunk: Uint8Array): Uint8Array {
    if (this.#closed) return NOTHING;
    this.reader.push(chunk, this.#sink);
    return this.#take();
  }

  end(): Uint8Array {
    if (this.#closed) return NOTHING;
    this.#closed = true;
    this.reader.end(this.#sink);
    this.#out += this.writer.finish();
    return this.#take();
  }

  fail(reason: string): Uint8Array {
    if (this.#closed) return NOTHING;
    this.#closed = true;
    this.#sink({ kind: 'error', status: BAD_GATEWAY, message: reason });
    this.#out += this.writer.finish();
    return this.#take();
  }

  #take(): Uint8Array {
    if (this.#out === '') return NOTHING;
    const bytes = encoder.encode(this.#out);
    this.#out = '';
    return bytes;
  }
}
