/**
 * Writes neutral stream events as an OpenAI Responses stream: named SSE
 * events, each with a `sequence_number`. `response.created` and
 * `response.in_progress` open it; each content block is an output item
 * (`response.output_item.added` … `.done`): consecutive text blocks are the
 * `output_text` parts of one `message` item, as the non-streamed answer
 * groups them (`openai-responses-answer.ts`), and a tool call is a
 * `function_call` item whose arguments stream as
 * `response.function_call_arguments.delta`. The terminal event carries the
 * whole response: `response.completed`, or `response.incomplete` for a cap
 * or a filter, written by `finish()` since usage may follow the stop.
 *
 * An error after the stream started is `response.failed` (the response so
 * far, with its `error`); before it, the bare `error` event. Nothing follows
 * either. The `openai` SDK's `responses.stream()` folds these events into
 * the final response (`ResponseAccumulator`), so every item and part is
 * announced before its deltas.
 */
import type { JsonValue, NeutralStopReason, NeutralUsage } from '../neutral.js';
import {
  functionCallItemId,
  messageItemId,
  responsesStatus,
  writeResponsesUsage,
} from '../openai-responses-answer.js';
import type { NeutralStreamEvent, StreamWriter } from './events.js';
import { responsesCodeOfStatus } from './openai-responses-errors.js';

type Body = { [key: string]: JsonValue };

export interface OpenAIResponsesWriterOptions {
  /** The model name the caller's stream says; undefined: the upstream's. */
  readonly model?: string;
  /** `created_at` when the upstream gave none: the caller's clock, in Unix seconds. */
  readonly createdSeconds: number;
}

/** An output item as it stands; `done` once its closing events went out. */
type Item =
  | { kind: 'message'; id: string; parts: string[]; done: boolean }
  | { kind: 'function_call'; id: string; callId: string; name: string; arguments: string; done: boolean };

export class OpenAIResponsesWriter implements StreamWriter {
  #sequence = 0;
  #id = '';
  #model: string;
  #createdSeconds: number;
  #started = false;
  readonly #items: Item[] = [];
  /** Neutral block index → output index, and (text blocks) content index. */
  readonly #blocks = new Map<number, { output: number; content: number }>();
  /** The neutral index of the last block opened (a text block may join its message). */
  #lastBlock: { index: number; kind: 'text' | 'tool-call' } | undefined;
  #usage: NeutralUsage | undefined;
  #stop: NeutralStopReason | undefined;
  #closed = false;

  constructor(private readonly options: OpenAIResponsesWriterOptions) {
    this.#model = options.model ?? '';
    this.#createdSeconds = options.createdSeconds;
  }

  write(event: NeutralStreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'start':
        return this.#start(event.id, event.model, event.createdSeconds);
      case 'text':
        return this.#text(event.index, event.text);
      case 'tool-call':
        return this.#toolCall(event.index, event.id, event.name);
      case 'tool-arguments':
        return this.#toolArguments(event.index, event.json);
      case 'usage':
        this.#usage = event.usage;
        return '';
      case 'stop':
        this.#stop ??= event.reason;
        return this.#closeAll();
      case 'error':
        return this.#fail(event.status, event.message);
    }
  }

  finish(): string {
    if (this.#closed) return '';
    if (this.#stop === undefined)
      return this.#fail(502, 'the upstream stream ended before the model stopped');
    this.#closed = true;
    const { status, incompleteDetails } = responsesStatus(this.#stop);
    const response = this.#response(status, { incomplete_details: incompleteDetails });
    if (this.#usage) response.usage = writeResponsesUsage(this.#usage);
    return this.#event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }

  #start(id: string, model: string, createdSeconds: number | undefined): string {
    if (this.#started) return '';
    this.#started = true;
    this.#id = id;
    this.#model = this.options.model ?? model;
    this.#createdSeconds = createdSeconds ?? this.options.createdSeconds;
    const response = this.#response('in_progress', { incomplete_details: null });
    return this.#event('response.created', { response }) + this.#event('response.in_progress', { response });
  }

  #text(index: number, text: string): string {
    let out = this.#ensureStarted();
    let block = this.#blocks.get(index);
    if (!block) {
      const last = this.#lastBlock;
      const open = this.#items.at(-1);
      if (last?.kind === 'text' && open?.kind === 'message' && !open.done) {
        const previous = this.#blocks.get(last.index);
        if (previous) out += this.#closePart(open, previous);
        block = { output: this.#items.length - 1, content: open.parts.length };
        open.parts.push('');
      } else {
        out += this.#closeOpen();
        const item: Item = {
          kind: 'message',
          id: messageItemId(this.#id, this.#items.length),
          parts: [''],
          done: false,
        };
        this.#items.push(item);
        block = { output: this.#items.length - 1, content: 0 };
        out += this.#event('response.output_item.added', {
          output_index: block.output,
          item: { id: item.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
        });
      }
      this.#blocks.set(index, block);
      this.#lastBlock = { index, kind: 'text' };
      const item = this.#items[block.output];
      out += this.#event('response.content_part.added', {
        item_id: item?.id ?? '',
        output_index: block.output,
        content_index: block.content,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
    }
    const item = this.#items[block.output];
    if (item?.kind !== 'message' || text === '') return out;
    item.parts[block.content] = (item.parts[block.content] ?? '') + text;
    return (
      out +
      this.#event('response.output_text.delta', {
        item_id: item.id,
        output_index: block.output,
        content_index: block.content,
        delta: text,
        logprobs: [],
      })
    );
  }

  #toolCall(index: number, callId: string, name: string): string {
    if (this.#blocks.has(index)) return '';
    let out = this.#ensureStarted() + this.#closeOpen();
    const item: Item = {
      kind: 'function_call',
      id: functionCallItemId(callId),
      callId,
      name,
      arguments: '',
      done: false,
    };
    this.#items.push(item);
    const output = this.#items.length - 1;
    this.#blocks.set(index, { output, content: 0 });
    this.#lastBlock = { index, kind: 'tool-call' };
    out += this.#event('response.output_item.added', {
      output_index: output,
      item: { ...functionCallBody(item), status: 'in_progress' },
    });
    return out;
  }

  #toolArguments(index: number, json: string): string {
    const block = this.#blocks.get(index);
    const item = block && this.#items[block.output];
    if (!block || item?.kind !== 'function_call' || json === '') return '';
    item.arguments += json;
    const delta = this.#event('response.function_call_arguments.delta', {
      item_id: item.id,
      output_index: block.output,
      delta: json,
    });
    // Arguments for a call already closed (an upstream that interleaves calls): close it again, whole.
    return item.done ? delta + this.#closeItem(item, block.output) : delta;
  }

  /** Closes the last output item if still open. */
  #closeOpen(): string {
    const output = this.#items.length - 1;
    const item = this.#items[output];
    return item && !item.done ? this.#closeItem(item, output) : '';
  }

  #closeAll(): string {
    return this.#items.map((item, output) => (item.done ? '' : this.#closeItem(item, output))).join('');
  }

  #closeItem(item: Item, output: number): string {
    item.done = true;
    if (item.kind === 'function_call') {
      return (
        this.#event('response.function_call_arguments.done', {
          item_id: item.id,
          output_index: output,
          arguments: item.arguments,
        }) +
        this.#event('response.output_item.done', {
          output_index: output,
          item: { ...functionCallBody(item), status: 'completed' },
        })
      );
    }
    const last = item.parts.length - 1;
    return (
      this.#closePart(item, { output, content: last }) +
      this.#event('response.output_item.done', { output_index: output, item: messageBody(item) })
    );
  }

  #closePart(item: Item & { kind: 'message' }, at: { output: number; content: number }): string {
    const text = item.parts[at.content] ?? '';
    const where = { item_id: item.id, output_index: at.output, content_index: at.content };
    return (
      this.#event('response.output_text.done', { ...where, text, logprobs: [] }) +
      this.#event('response.content_part.done', { ...where, part: outputText(text) })
    );
  }

  /** An event before `start` (a reader that skipped it) still opens the stream the SDK expects. */
  #ensureStarted(): string {
    return this.#started ? '' : this.#start(this.#id, this.#model, undefined);
  }

  #fail(status: number, message: string): string {
    this.#closed = true;
    const error = { code: responsesCodeOfStatus(status), message };
    if (!this.#started) return this.#event('error', { ...error, param: null });
    return this.#event('response.failed', {
      response: { ...this.#response('failed', { incomplete_details: null }), error },
    });
  }

  #response(status: string, extra: Body): Body {
    return {
      id: this.#id,
      object: 'response',
      created_at: this.#createdSeconds,
      status,
      error: null,
      ...extra,
      model: this.#model,
      output: this.#items.filter((item) => item.done).map(itemBody),
    };
  }

  #event(type: string, fields: Body): string {
    const data = { type, sequence_number: this.#sequence++, ...fields };
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }
}

function outputText(text: string): Body {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function functionCallBody(item: Item & { kind: 'function_call' }): Body {
  return {
    id: item.id,
    type: 'function_call',
    call_id: item.callId,
    name: item.name,
    arguments: item.arguments,
  };
}

function messageBody(item: Item & { kind: 'message' }): Body {
  return {
    id: item.id,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: item.parts.map(outputText),
  };
}

function itemBody(item: Item): Body {
  return item.kind === 'message' ? messageBody(item) : { ...functionCallBody(item), status: 'completed' };
}
