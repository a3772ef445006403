/**
 * Reads an Anthropic Messages stream (`message_start`, `content_block_*`,
 * `message_delta`, `message_stop`; PROVIDERS.md §3.5, §8.13) into neutral
 * stream events. Usage fields are taken at their last value, never summed
 * (`message_delta.usage` is cumulative and may repeat the input side), and
 * turned neutral by the answer translator's `readAnthropicUsage`. Unknown
 * event types (`ping`, future ones) are skipped, as Anthropic's versioning
 * policy asks; so are blocks that never travel (thinking, server tools:
 * a translated request cannot ask for them).
 */
import { isRecord, type JsonRecord } from '../../parse/json-shape.js';
import { ANTHROPIC_STOP_TO_NEUTRAL, readAnthropicUsage } from '../anthropic-messages-answer.js';
import { Refusals } from '../translation.js';
import { FramedReader, parseEvent } from './framed-reader.js';
import { anthropicErrorStatus, BAD_GATEWAY } from './stream-errors.js';

const NO_BLOCK = -1;

export class AnthropicMessagesReader extends FramedReader {
  #started = false;
  #stopped = false;
  #done = false;
  #nextIndex = 0;
  /** The block under way: Anthropic's index, the content index, and whether it is a tool call. */
  #block = NO_BLOCK;
  #index = NO_BLOCK;
  #isTool = false;
  #hasArguments = false;
  /** Usage fields at their last value. */
  readonly #usage: Record<string, unknown> = {};

  protected read(_event: string | undefined, data: string): void {
    if (this.#done) return;
    const body = parseEvent(data);
    switch (body.type) {
      case 'message_start': {
        this.#start(body.message);
        return;
      }
      case 'content_block_start': {
        this.#blockStart(body);
        return;
      }
      case 'content_block_delta': {
        this.#blockDelta(body);
        return;
      }
      case 'content_block_stop':
        if (body.index === this.#block) this.#blockStop();
        return;
      case 'message_delta': {
        this.#messageDelta(body);
        return;
      }
      case 'message_stop':
        this.#done = true;
        return;
      case 'error': {
        const error = isRecord(body.error) ? body.error : {};
        const type = typeof error.type === 'string' ? error.type : undefined;
        const message = typeof error.message === 'string' ? error.message : '';
        this.fail(anthropicErrorStatus(type), message, type);
        return;
      }
    }
  }

  protected missing(): string | undefined {
    if (!this.#started) return 'before message_start';
    if (!this.#stopped) return 'before the stop_reason of message_delta';
    if (!this.#done) return 'before message_stop';
    return undefined;
  }

  #start(message: unknown): void {
    if (!isRecord(message) || !isRecord(message.usage)) {
      this.fail(BAD_GATEWAY, 'the upstream message_start carries no usage');
      return;
    }
    this.#started = true;
    this.sink({
      kind: 'start',
      id: typeof message.id === 'string' ? message.id : '',
      model: typeof message.model === 'string' ? message.model : '',
    });
    this.#takeUsage(message.usage);
  }

  #blockStart(body: JsonRecord): void {
    const block = body.content_block;
    if (!isRecord(block) || typeof body.index !== 'number') return;
    if (this.#block !== NO_BLOCK) this.#blockStop();
    if (block.type !== 'text' && block.type !== 'tool_use') return;
    this.#block = body.index;
    this.#index = this.#nextIndex++;
    this.#isTool = block.type === 'tool_use';
    this.#hasArguments = false;
    if (block.type === 'text') {
      this.sink({ kind: 'text', index: this.#index, text: typeof block.text === 'string' ? block.text : '' });
      return;
    }
    this.sink({
      kind: 'tool-call',
      index: this.#index,
      id: typeof block.id === 'string' ? block.id : '',
      name: typeof block.name === 'string' ? block.name : '',
    });
  }

  #blockDelta(body: JsonRecord): void {
    const { delta } = body;
    if (body.index !== this.#block || !isRecord(delta)) return;
    if (delta.type === 'text_delta' && typeof delta.text === 'string' && !this.#isTool) {
      this.sink({ kind: 'text', index: this.#index, text: delta.text });
    } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && this.#isTool) {
      if (delta.partial_json === '') return;
      this.#hasArguments = true;
      this.sink({ kind: 'tool-arguments', index: this.#index, json: delta.partial_json });
    }
  }

  /** A tool_use whose input streamed no JSON takes none: `{}`, as its `input` says. */
  #blockStop(): void {
    if (this.#isTool && !this.#hasArguments)
      this.sink({ kind: 'tool-arguments', index: this.#index, json: '{}' });
    this.#block = NO_BLOCK;
    this.#isTool = false;
  }

  #messageDelta(body: JsonRecord): void {
    if (isRecord(body.usage)) this.#takeUsage(body.usage);
    const delta = isRecord(body.delta) ? body.delta : {};
    if (delta.stop_reason === undefined || delta.stop_reason === null) return;
    const reason =
      typeof delta.stop_reason === 'string' ? ANTHROPIC_STOP_TO_NEUTRAL[delta.stop_reason] : undefined;
    if (reason === undefined) {
      this.fail(BAD_GATEWAY, `stop_reason ${JSON.stringify(delta.stop_reason)} has no counterpart`);
      return;
    }
    if (this.#block !== NO_BLOCK) this.#blockStop();
    this.#stopped = true;
    this.sink(
      typeof delta.stop_sequence === 'string'
        ? { kind: 'stop', reason, stopSequence: delta.stop_sequence }
        : { kind: 'stop', reason },
    );
  }

  /** Overwrites each reported field (null means "not reported here") and says the usage so far. */
  #takeUsage(usage: JsonRecord): void {
    for (const key of Object.keys(usage)) if (usage[key] !== null) this.#usage[key] = usage[key];
    const refusals = new Refusals();
    const neutral = readAnthropicUsage(this.#usage, refusals);
    if (!refusals.empty) {
      this.fail(BAD_GATEWAY, 'the upstream usage is malformed');
      return;
    }
    this.sink({ kind: 'usage', usage: neutral });
  }
}
