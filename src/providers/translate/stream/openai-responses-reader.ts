/**
 * Reads an OpenAI Responses stream (named SSE events, bytes split anywhere)
 * into neutral stream events. Content is numbered as the non-streamed
 * answer numbers it (`openai-responses-answer.ts`): each `output_text` part
 * of a `message` item is a text block, each `function_call` item a tool
 * call, in output order; `call_id` is the neutral id.
 *
 * A server may send a part's text or a call's arguments only in the closing
 * event (`.done`, `response.output_item.done`) without deltas; those are
 * read too, once. `reasoning` items are skipped: a translated request asks
 * for no summaries, and their tokens stay in usage. What the non-streamed
 * answer refuses (a refusal part, annotations, built-in tool items) ends
 * the stream with an error event, as does `response.failed`, `error`, JSON
 * that is not an object, and an end before `response.completed` /
 * `response.incomplete`. Other event types are ignored.
 */

import { createStreamFrame, type StreamFrame } from '../../stream/stream-frame.js';
import { isRecord, type JsonRecord } from '../json-read.js';
import { readResponsesStopReason, readResponsesUsage } from '../openai-responses-answer.js';
import { Refusals } from '../translation.js';
import type { NeutralStreamEvent, StreamReader, StreamSink } from './events.js';
import { statusOfResponsesCode } from './openai-responses-errors.js';

/** An upstream stream that broke its own protocol. */
const BAD_GATEWAY = 502;

const IGNORE: StreamSink = () => {};
const CITED = 'the upstream cited sources, which the caller’s API cannot carry';
const REFUSED = 'the upstream model refused with a refusal part';

/** A text part or a call: its neutral index once it has shown content, and whether its content was read. */
interface Block {
  index: number | undefined;
  read: boolean;
}

type ItemState =
  | { readonly kind: 'message'; readonly parts: Map<number, Block> }
  | { readonly kind: 'function_call'; readonly block: Block }
  | { readonly kind: 'skipped' };

export class OpenAIResponsesReader implements StreamReader {
  readonly #frame: StreamFrame = createStreamFrame((event, data) => this.#deliver(event, data));
  /** The sink of the `push` or `end` under way (the frame calls back synchronously). */
  #sink: StreamSink = IGNORE;
  #started = false;
  /** The terminal event or an error went out: nothing more is read. */
  #over = false;
  #next = 0;
  #toolCalls = false;
  readonly #items = new Map<number, ItemState>();

  push(chunk: Uint8Array, sink: StreamSink): void {
    if (this.#over) return;
    this.#sink = sink;
    this.#frame.push(chunk);
  }

  end(sink: StreamSink): void {
    if (this.#over) return;
    this.#sink = sink;
    this.#fail(BAD_GATEWAY, 'the upstream stream ended before response.completed');
  }

  #deliver(name: string | undefined, data: string): void {
    if (this.#over) return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      event = undefined;
    }
    if (!isRecord(event)) {
      this.#fail(BAD_GATEWAY, `the upstream sent a ${name ?? 'stream'} event that is not JSON`);
      return;
    }
    const type = typeof event.type === 'string' ? event.type : name;
    this.#read(type, event);
  }

  #read(type: string | undefined, event: JsonRecord): void {
    const { output_index: output, content_index: content } = event;
    switch (type) {
      case 'response.created':
        this.#start(event.response);
        break;
      case 'response.output_item.added':
        this.#itemAdded(output, event.item);
        break;
      case 'response.content_part.added':
        this.#partAdded(output, content, event.part);
        break;
      case 'response.output_text.delta':
        this.#text(output, content, event.delta, true);
        break;
      case 'response.output_text.done':
        this.#text(output, content, event.text, false);
        break;
      case 'response.content_part.done':
        if (this.#partAdded(output, content, event.part))
          this.#text(output, content, field(event.part, 'text'), false);
        break;
      case 'response.function_call_arguments.delta':
        this.#arguments(output, event.delta, true);
        break;
      case 'response.function_call_arguments.done':
        this.#arguments(output, event.arguments, false);
        break;
      case 'response.output_item.done':
        this.#itemDone(output, event.item);
        break;
      case 'response.output_text.annotation.added':
        this.#fail(BAD_GATEWAY, CITED);
        break;
      case 'response.refusal.delta':
      case 'response.refusal.done':
        this.#fail(BAD_GATEWAY, REFUSED);
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.#finish(event.response);
        break;
      case 'response.failed':
        this.#failed(field(event.response, 'error'));
        break;
      case 'error':
        this.#failed(event);
        break;
      default:
      // in_progress, reasoning summaries, and events added later say nothing to translate
    }
  }

  #start(response: unknown): void {
    if (this.#started || !isRecord(response)) return;
    this.#started = true;
    const created = response.created_at;
    this.#sink({
      kind: 'start',
      id: typeof response.id === 'string' ? response.id : '',
      model: typeof response.model === 'string' ? response.model : '',
      ...(typeof created === 'number' ? { createdSeconds: created } : {}),
    });
  }

  /** The item at `output`, announced now if this is the first event naming it. */
  #itemAdded(output: unknown, item: unknown): ItemState | undefined {
    if (typeof output !== 'number' || !isRecord(item)) return undefined;
    const known = this.#items.get(output);
    if (known) return known;
    let state: ItemState;
    if (item.type === 'message') state = { kind: 'message', parts: new Map() };
    else if (item.type === 'reasoning') state = { kind: 'skipped' };
    else if (item.type === 'function_call') {
      state = { kind: 'function_call', block: { index: this.#next++, read: false } };
      this.#toolCalls = true;
      this.#sink({
        kind: 'tool-call',
        index: state.block.index ?? 0,
        id: typeof item.call_id === 'string' ? item.call_id : '',
        name: typeof item.name === 'string' ? item.name : '',
      });
    } else {
      this.#fail(
        BAD_GATEWAY,
        `the upstream answered with a ${String(item.type)} item, which has no counterpart`,
      );
      return undefined;
    }
    this.#items.set(output, state);
    if (state.kind === 'function_call') this.#arguments(output, item.arguments, false);
    return state;
  }

  /** Whether the part is an `output_text` part of a message (a refusal part ends the stream). */
  #partAdded(output: unknown, content: unknown, part: unknown): boolean {
    const item = typeof output === 'number' ? this.#items.get(output) : undefined;
    if (item?.kind !== 'message' || typeof content !== 'number') return false;
    if (field(part, 'type') === 'refusal') {
      this.#fail(BAD_GATEWAY, REFUSED);
      return false;
    }
    const annotations = field(part, 'annotations');
    if (Array.isArray(annotations) && annotations.length > 0) {
      this.#fail(BAD_GATEWAY, CITED);
      return false;
    }
    if (!item.parts.has(content)) item.parts.set(content, { index: undefined, read: false });
    return true;
  }

  /** A delta, or a closing event's whole text (read only when no delta came). */
  #text(output: unknown, content: unknown, text: unknown, delta: boolean): void {
    const item = typeof output === 'number' ? this.#items.get(output) : undefined;
    if (item?.kind !== 'message' || typeof content !== 'number' || typeof text !== 'string') return;
    let block = item.parts.get(content);
    if (!block) {
      block = { index: undefined, read: false };
      item.parts.set(content, block);
    }
    if ((!delta && block.read) || text === '') return;
    block.read = true;
    block.index ??= this.#next++;
    this.#sink({ kind: 'text', index: block.index, text });
  }

  #arguments(output: unknown, json: unknown, delta: boolean): void {
    const item = typeof output === 'number' ? this.#items.get(output) : undefined;
    if (item?.kind !== 'function_call' || typeof json !== 'string') return;
    const { block } = item;
    if ((!delta && block.read) || json === '') return;
    block.read = true;
    this.#sink({ kind: 'tool-arguments', index: block.index ?? 0, json });
  }

  #itemDone(output: unknown, item: unknown): void {
    const state = this.#itemAdded(output, item);
    if (!state || !isRecord(item)) return;
    if (state.kind === 'function_call') this.#arguments(output, item.arguments, false);
    if (state.kind !== 'message' || !Array.isArray(item.content)) return;
    item.content.forEach((part, content) => {
      if (this.#partAdded(output, content, part)) this.#text(output, content, field(part, 'text'), false);
    });
  }

  #finish(response: unknown): void {
    if (!isRecord(response)) {
      this.#fail(BAD_GATEWAY, 'the upstream’s final event has no response');
      return;
    }
    const refusals = new Refusals();
    const reason = readResponsesStopReason(response, this.#toolCalls, refusals);
    const usage =
      response.usage === undefined || response.usage === null
        ? undefined
        : readResponsesUsage(response.usage, refusals);
    if (!refusals.empty || reason === undefined) {
      this.#fail(BAD_GATEWAY, 'the upstream’s final event has a status or usage with no counterpart');
      return;
    }
    if (usage) this.#sink({ kind: 'usage', usage });
    this.#sink({ kind: 'stop', reason });
    this.#over = true;
  }

  #failed(error: unknown): void {
    const code = field(error, 'code');
    const message = field(error, 'message');
    this.#fail(
      statusOfResponsesCode(code),
      typeof message === 'string' ? message : 'the upstream failed',
      typeof code === 'string' ? code : undefined,
    );
  }

  #fail(status: number, message: string, type?: string): void {
    if (this.#over) return;
    this.#over = true;
    const event: NeutralStreamEvent =
      type === undefined ? { kind: 'error', status, message } : { kind: 'error', status, message, type };
    this.#sink(event);
  }
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}
