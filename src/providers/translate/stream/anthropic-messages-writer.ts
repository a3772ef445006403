/**
 * Writes neutral stream events as an Anthropic Messages stream (PROVIDERS.md
 * §3.5, §8.13): `message_start`, then per content block
 * `content_block_start` / `content_block_delta` / `content_block_stop` in
 * order, then `message_delta` (stop reason, cumulative usage) and
 * `message_stop`. An error is `event: error` with Anthropic's envelope
 * (§3.3), and nothing follows it.
 *
 * `message_start` waits for the event after `start`, so usage the upstream
 * reports first (Anthropic, Gemini) is in it; an upstream that reports
 * usage only at the end (OpenAI) gets zeros there, and `message_delta`
 * repeats the whole usage, input side included (the SDK's `MessageStream`
 * takes every non-null field of it). Usage is written in Anthropic's sense
 * by the answer translator's `writeAnthropicUsage`.
 */
import { anthropicErrorPayload } from '../../anthropic/payload.js';
import { NEUTRAL_TO_ANTHROPIC_STOP, writeAnthropicUsage } from '../anthropic-messages-answer.js';
import type { NeutralStopReason, NeutralUsage } from '../neutral.js';
import type { NeutralStreamEvent, StreamWriter, StreamWriterOptions } from './events.js';
import { BAD_GATEWAY, refusalKindOf } from './stream-errors.js';

const NO_BLOCK = -1;
const NO_USAGE: NeutralUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export class AnthropicMessagesWriter implements StreamWriter {
  #id = '';
  #model: string;
  #started = false;
  /** The content index of the open block, and the Anthropic index it was given. */
  #open = NO_BLOCK;
  #openIsTool = false;
  #blocks = 0;
  #usage: NeutralUsage | undefined;
  #stop: NeutralStopReason | undefined;
  #stopSequence: string | undefined;
  #closed = false;

  constructor(private readonly options: StreamWriterOptions) {
    this.#model = options.model ?? '';
  }

  write(event: NeutralStreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'start':
        this.#id = event.id;
        this.#model = this.options.model ?? event.model;
        return '';
      case 'usage':
        this.#usage = event.usage;
        return this.#begin();
      case 'text': {
        let out = this.#begin();
        if (this.#open !== event.index)
          out += this.#openBlock(event.index, false, '{"type":"text","text":""}');
        if (event.text === '' || this.#openIsTool) return out;
        return `${out}${this.#delta(`{"type":"text_delta","text":${JSON.stringify(event.text)}}`)}`;
      }
      case 'tool-call':
        return `${this.#begin()}${this.#openBlock(
          event.index,
          true,
          `{"type":"tool_use","id":${JSON.stringify(event.id)},"name":${JSON.stringify(event.name)},"input":{}}`,
        )}`;
      case 'tool-arguments':
        if (this.#open !== event.index || !this.#openIsTool || event.json === '') return '';
        return this.#delta(`{"type":"input_json_delta","partial_json":${JSON.stringify(event.json)}}`);
      case 'stop':
        this.#stop = event.reason;
        this.#stopSequence = event.stopSequence;
        return `${this.#begin()}${this.#closeBlock()}`;
      case 'error':
        this.#closed = true;
        return sse(
          'error',
          JSON.stringify(anthropicErrorPayload(refusalKindOf(event.status), event.message).body),
        );
    }
  }

  finish(): string {
    if (this.#closed) return '';
    if (this.#stop === undefined)
      return this.write({ kind: 'error', status: BAD_GATEWAY, message: 'the answer ended early' });
    this.#closed = true;
    const stopSequence =
      this.#stop === 'stop-sequence' && this.#stopSequence !== undefined
        ? JSON.stringify(this.#stopSequence)
        : 'null';
    const usage = JSON.stringify(writeAnthropicUsage(this.#usage ?? NO_USAGE));
    return (
      sse(
        'message_delta',
        `{"type":"message_delta","delta":{"stop_reason":"${NEUTRAL_TO_ANTHROPIC_STOP[this.#stop]}","stop_sequence":${stopSequence}},"usage":${usage}}`,
      ) + sse('message_stop', '{"type":"message_stop"}')
    );
  }

  /** `message_start`, once, before anything else of the message. */
  #begin(): string {
    if (this.#started) return '';
    this.#started = true;
    const usage = JSON.stringify(writeAnthropicUsage(this.#usage ?? NO_USAGE));
    return sse(
      'message_start',
      `{"type":"message_start","message":{"id":${JSON.stringify(this.#id)},"type":"message","role":"assistant","model":${JSON.stringify(this.#model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":${usage}}}`,
    );
  }

  #openBlock(index: number, isTool: boolean, block: string): string {
    const closed = this.#closeBlock();
    this.#open = index;
    this.#openIsTool = isTool;
    return `${closed}${sse('content_block_start', `{"type":"content_block_start","index":${this.#blocks},"content_block":${block}}`)}`;
  }

  #closeBlock(): string {
    if (this.#open === NO_BLOCK) return '';
    this.#open = NO_BLOCK;
    return sse('content_block_stop', `{"type":"content_block_stop","index":${this.#blocks++}}`);
  }

  #delta(delta: string): string {
    return sse(
      'content_block_delta',
      `{"type":"content_block_delta","index":${this.#blocks},"delta":${delta}}`,
    );
  }
}

function sse(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
