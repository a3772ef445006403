/**
 * Reads an OpenAI Chat Completions stream (`chat.completion.chunk` events,
 * `data: [DONE]` last; PROVIDERS.md §1.8, §8.7) into neutral stream events.
 * Text gets a content index when its first non-empty piece arrives and each
 * tool call (`delta.tool_calls[i].index`) when its first delta does, so a
 * reassembled stream numbers content as `openAIChatAnswerToNeutral` does.
 * A translated call always asks OpenAI for `include_usage` (TABLE.md), so a
 * stream without its usage chunk is incomplete.
 */
import { isRecord, type JsonRecord } from '../../parse/json-shape.js';
import { OPENAI_FINISH_TO_NEUTRAL, readOpenAIUsage } from '../openai-chat-answer.js';
import { Refusals } from '../translation.js';
import { FramedReader, parseEvent } from './framed-reader.js';
import { BAD_GATEWAY, openAIErrorStatus } from './stream-errors.js';

export class OpenAIChatReader extends FramedReader {
  #started = false;
  #stopped = false;
  #usage = false;
  #done = false;
  #nextIndex = 0;
  #textIndex = -1;
  /** `tool_calls[].index` → content index. */
  readonly #calls = new Map<number, number>();
  /** The call whose arguments are streaming, and whether any arrived (an empty one is `{}`). */
  #openCall = -1;
  #openCallHasArguments = false;

  protected read(_event: string | undefined, data: string): void {
    if (this.#done) return;
    if (data === '[DONE]') {
      this.#done = true;
      return;
    }
    const chunk = parseEvent(data);
    if (isRecord(chunk.error)) {
      const { error } = chunk;
      const type = typeof error.type === 'string' ? error.type : undefined;
      this.fail(openAIErrorStatus(error), typeof error.message === 'string' ? error.message : '', type);
      return;
    }
    if (!this.#started) {
      this.#started = true;
      this.sink({
        kind: 'start',
        id: typeof chunk.id === 'string' ? chunk.id : '',
        model: typeof chunk.model === 'string' ? chunk.model : '',
        ...(typeof chunk.created === 'number' ? { createdSeconds: chunk.created } : {}),
      });
    }
    const { choices } = chunk;
    if (Array.isArray(choices)) {
      // `n` is refused in translated requests: only the first choice exists.
      for (const choice of choices) if (isRecord(choice) && (choice.index ?? 0) === 0) this.#choice(choice);
    }
    if (isRecord(chunk.usage)) {
      const refusals = new Refusals();
      const usage = readOpenAIUsage(chunk.usage, refusals);
      if (!refusals.empty) {
        this.fail(BAD_GATEWAY, 'the upstream usage chunk is malformed');
        return;
      }
      this.#usage = true;
      this.sink({ kind: 'usage', usage });
    }
  }

  protected missing(): string | undefined {
    if (!this.#stopped) return 'before its finish_reason';
    if (!this.#usage) return 'without its usage chunk';
    if (!this.#done) return 'before data: [DONE]';
    return undefined;
  }

  #choice(choice: JsonRecord): void {
    const { delta } = choice;
    if (isRecord(delta)) {
      if (typeof delta.content === 'string' && delta.content !== '') {
        if (this.#textIndex < 0) this.#textIndex = this.#nextIndex++;
        this.sink({ kind: 'text', index: this.#textIndex, text: delta.content });
      }
      if (typeof delta.refusal === 'string' && delta.refusal !== '') {
        this.fail(BAD_GATEWAY, 'the upstream refused with a message only OpenAI can mark as a refusal');
        return;
      }
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) this.#toolCall(call);
    }
    if (typeof choice.finish_reason === 'string') {
      this.#closeCall();
      const reason = OPENAI_FINISH_TO_NEUTRAL[choice.finish_reason];
      if (reason === undefined) {
        this.fail(BAD_GATEWAY, `finish_reason ${JSON.stringify(choice.finish_reason)} has no counterpart`);
        return;
      }
      this.#stopped = true;
      this.sink({ kind: 'stop', reason });
    }
  }

  #toolCall(call: unknown): void {
    if (!isRecord(call)) return;
    const fn = isRecord(call.function) ? call.function : undefined;
    const at = typeof call.index === 'number' ? call.index : 0;
    let index = this.#calls.get(at);
    if (index === undefined) {
      this.#closeCall();
      index = this.#nextIndex++;
      this.#calls.set(at, index);
      this.#openCall = index;
      this.#openCallHasArguments = false;
      this.sink({
        kind: 'tool-call',
        index,
        id: typeof call.id === 'string' ? call.id : '',
        name: typeof fn?.name === 'string' ? fn.name : '',
      });
    }
    const json = fn?.arguments;
    if (typeof json === 'string' && json !== '') {
      if (index === this.#openCall) this.#openCallHasArguments = true;
      this.sink({ kind: 'tool-arguments', index, json });
    }
  }

  /** A call that streamed no arguments takes none: `{}`, as the non-streamed answer says. */
  #closeCall(): void {
    if (this.#openCall >= 0 && !this.#openCallHasArguments) {
      this.sink({ kind: 'tool-arguments', index: this.#openCall, json: '{}' });
    }
    this.#openCall = -1;
  }
}
