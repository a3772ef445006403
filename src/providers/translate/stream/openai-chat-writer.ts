/**
 * Writes neutral stream events as an OpenAI Chat Completions stream
 * (PROVIDERS.md §1.8, §8.7): `chat.completion.chunk` events, the role in the
 * first delta, a tool call's id and name in its first delta and its
 * arguments in the deltas after, `finish_reason` in a chunk of its own, the
 * usage chunk (`choices: []`) only when the caller asked for it, then
 * `data: [DONE]`. An error is the `data: {"error":{…}}` chunk OpenAI sends
 * after a 200 (§1.6), and nothing follows it.
 *
 * Chunks are built as text around the one JSON-escaped value they carry:
 * this runs for every token of every translated stream.
 */
import { openAIErrorPayload } from '../../openai/payload.js';
import type { NeutralUsage } from '../neutral.js';
import { NEUTRAL_TO_OPENAI_FINISH, writeOpenAIUsage } from '../openai-chat-answer.js';
import type { NeutralStreamEvent, StreamWriter, StreamWriterOptions } from './events.js';
import { BAD_GATEWAY, refusalKindOf } from './stream-errors.js';

const ROLE = '"role":"assistant",';
const CHOICE_END = '},"logprobs":null,"finish_reason":null}]}\n\n';

export class OpenAIChatWriter implements StreamWriter {
  /** `data: {"id":…,"object":…,"created":…,"model":…,"choices":[` */
  #head = '';
  #role = ROLE;
  #toolIndex = new Map<number, number>();
  #usage: NeutralUsage | undefined;
  #stopped = false;
  #closed = false;

  constructor(private readonly options: StreamWriterOptions) {
    this.#setHead('', '', options.createdSeconds);
  }

  write(event: NeutralStreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'start':
        this.#setHead(event.id, event.model, event.createdSeconds ?? this.options.createdSeconds);
        return '';
      case 'text':
        if (event.text === '') return '';
        return this.#delta(`"content":${JSON.stringify(event.text)}`);
      case 'tool-call': {
        const at = this.#toolIndex.size;
        this.#toolIndex.set(event.index, at);
        return this.#delta(
          `"tool_calls":[{"index":${at},"id":${JSON.stringify(event.id)},"type":"function","function":{"name":${JSON.stringify(event.name)},"arguments":""}}]`,
        );
      }
      case 'tool-arguments': {
        const at = this.#toolIndex.get(event.index);
        if (at === undefined || event.json === '') return '';
        return this.#delta(
          `"tool_calls":[{"index":${at},"function":{"arguments":${JSON.stringify(event.json)}}}]`,
        );
      }
      case 'usage':
        this.#usage = event.usage;
        return '';
      case 'stop': {
        if (this.#stopped) return '';
        this.#stopped = true;
        const role = this.#role === ROLE ? '"role":"assistant"' : '';
        this.#role = '';
        return `${this.#head}{"index":0,"delta":{${role}},"logprobs":null,"finish_reason":"${NEUTRAL_TO_OPENAI_FINISH[event.reason]}"}]}\n\n`;
      }
      case 'error':
        this.#closed = true;
        return `data: ${JSON.stringify(openAIErrorPayload(refusalKindOf(event.status), event.message).body)}\n\n`;
    }
  }

  finish(): string {
    if (this.#closed) return '';
    if (!this.#stopped)
      return this.write({ kind: 'error', status: BAD_GATEWAY, message: 'the answer ended early' });
    this.#closed = true;
    const usage =
      this.options.streamUsage && this.#usage !== undefined
        ? `${this.#head}],"usage":${JSON.stringify(writeOpenAIUsage(this.#usage))}}\n\n`
        : '';
    return `${usage}data: [DONE]\n\n`;
  }

  #setHead(id: string, model: string, created: number): void {
    const name = this.options.model ?? model;
    this.#head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(name)},"choices":[`;
  }

  /** A chunk of one delta member; the first one also says the role. */
  #delta(member: string): string {
    const role = this.#role;
    this.#role = '';
    return `${this.#head}{"index":0,"delta":{${role}${member}${CHOICE_END}`;
  }
}
