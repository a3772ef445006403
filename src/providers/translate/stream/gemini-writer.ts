/**
 * Writes neutral stream events as a Gemini `streamGenerateContent` stream,
 * with `alt=sse` (`data: {GenerateContentResponse}` events) or without it
 * (one JSON array, `[{…}\n,\r\n{…}]`, PROVIDERS.md §4.2). Each chunk is a
 * small answer: a text part, or a whole `functionCall` (Gemini never streams
 * arguments, so one call's argument fragments are the only thing kept until
 * the call is complete); the last chunk carries `finishReason` and
 * `usageMetadata`, written by the answer translator's table and
 * `writeGeminiUsage`. An error is Google's `{"error":{code,message,status}}`
 * as the last element.
 */
import { geminiErrorPayload } from '../../gemini/payload.js';
import { NEUTRAL_TO_GEMINI_FINISH, writeGeminiUsage } from '../gemini-generate-answer.js';
import { parseJsonObject } from '../json-read.js';
import type { NeutralStopReason, NeutralUsage } from '../neutral.js';
import type { NeutralStreamEvent, StreamWriter, StreamWriterOptions } from './events.js';
import { BAD_GATEWAY, refusalKindOf } from './stream-errors.js';

export type GeminiFraming = 'sse' | 'json-array';

const NO_CALL = -1;

export class GeminiWriter implements StreamWriter {
  /** `,"modelVersion":…,"responseId":…}`, closing every chunk. */
  #tail: string;
  #elements = 0;
  /** The tool call whose arguments are being gathered. */
  #call = NO_CALL;
  #callId = '';
  #callName = '';
  #callArguments = '';
  #usage: NeutralUsage | undefined;
  #stop: NeutralStopReason | undefined;
  #closed = false;

  constructor(
    private readonly options: StreamWriterOptions,
    private readonly framing: GeminiFraming,
  ) {
    this.#tail = this.#makeTail('', '');
  }

  write(event: NeutralStreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'start':
        this.#tail = this.#makeTail(event.id, event.model);
        return '';
      case 'text': {
        const call = this.#flushCall();
        if (event.text === '' || this.#closed) return call;
        return `${call}${this.#chunk(`{"text":${JSON.stringify(event.text)}}`, '')}`;
      }
      case 'tool-call': {
        const call = this.#flushCall();
        this.#call = event.index;
        this.#callId = event.id;
        this.#callName = event.name;
        this.#callArguments = '';
        return call;
      }
      case 'tool-arguments':
        if (event.index === this.#call) this.#callArguments += event.json;
        return '';
      case 'usage':
        this.#usage = event.usage;
        return '';
      case 'stop':
        this.#stop = event.reason;
        return '';
      case 'error': {
        this.#closed = true;
        this.#call = NO_CALL;
        const { body } = geminiErrorPayload(refusalKindOf(event.status), event.message);
        return this.#element(JSON.stringify(body));
      }
    }
  }

  finish(): string {
    return `${this.#last()}${this.framing === 'json-array' ? (this.#elements === 0 ? '[]' : '\n]') : ''}`;
  }

  /** The final chunk (finishReason, usage, and the last call, as Gemini sends it), or the error in its place. */
  #last(): string {
    if (this.#closed) return '';
    if (this.#stop === undefined) {
      return this.write({ kind: 'error', status: BAD_GATEWAY, message: 'the answer ended early' });
    }
    const part = this.#callPart();
    if (part === undefined) return this.write({ kind: 'error', status: BAD_GATEWAY, message: BAD_ARGUMENTS });
    this.#closed = true;
    const usage =
      this.#usage === undefined ? '' : `,"usageMetadata":${JSON.stringify(writeGeminiUsage(this.#usage))}`;
    return this.#chunk(part, `,"finishReason":"${NEUTRAL_TO_GEMINI_FINISH[this.#stop]}"`, usage);
  }

  #makeTail(id: string, model: string): string {
    return `,"modelVersion":${JSON.stringify(this.options.model ?? model)},"responseId":${JSON.stringify(id)}}`;
  }

  /** The gathered call as a chunk, when one is open (an error instead when its arguments are not an object). */
  #flushCall(): string {
    if (this.#call === NO_CALL) return '';
    const part = this.#callPart();
    if (part === undefined) return this.write({ kind: 'error', status: BAD_GATEWAY, message: BAD_ARGUMENTS });
    return this.#chunk(part, '');
  }

  /** The open call's `functionCall` part ('' when none is open; undefined when its arguments are not an object). */
  #callPart(): string | undefined {
    if (this.#call === NO_CALL) return '';
    this.#call = NO_CALL;
    const args = this.#callArguments === '' ? {} : parseJsonObject(this.#callArguments);
    this.#callArguments = '';
    if (args === undefined) return undefined;
    return `{"functionCall":{"id":${JSON.stringify(this.#callId)},"name":${JSON.stringify(this.#callName)},"args":${JSON.stringify(args)}}}`;
  }

  /** One `GenerateContentResponse` with `part` (none when ''), `finish` inside the candidate, `usage` after it. */
  #chunk(part: string, finish: string, usage = ''): string {
    const content = part === '' ? '' : `"content":{"parts":[${part}],"role":"model"},`;
    return this.#element(`{"candidates":[{${content}"index":0${finish}}]${usage}${this.#tail}`);
  }

  #element(json: string): string {
    if (this.framing === 'sse') return `data: ${json}\r\n\r\n`;
    return `${this.#elements++ === 0 ? '[' : '\n,\r\n'}${json}`;
  }
}

const BAD_ARGUMENTS = 'the tool call arguments the upstream streamed are not a JSON object';
