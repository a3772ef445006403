/**
 * Reads a Gemini `streamGenerateContent` stream into neutral stream events,
 * with `alt=sse` (`data: {GenerateContentResponse}` events) or without it
 * (one JSON array whose elements arrive over time, PROVIDERS.md §4.2): the
 * frame tells them apart by the first character. Each chunk is a small
 * answer: text parts continue the text block before them, a `functionCall`
 * arrives whole, and the chunk with `finishReason` (and the last
 * `usageMetadata`) ends the answer. Stop reasons and usage go through the
 * answer translator's table and `readGeminiUsage`; a call without an id gets
 * the one `geminiAnswerToNeutral` would give it.
 */
import { isRecord, type JsonRecord } from '../../parse/json-shape.js';
import { GEMINI_FINISH_TO_NEUTRAL, readGeminiUsage } from '../gemini-generate-answer.js';
import { isJsonObject } from '../json-read.js';
import { Refusals } from '../translation.js';
import { FramedReader, parseEvent } from './framed-reader.js';
import { BAD_GATEWAY, geminiErrorStatus } from './stream-errors.js';

export class GeminiReader extends FramedReader {
  #started = false;
  #stopped = false;
  #usage = false;
  #responseId = '';
  #nextIndex = 0;
  /** The text block the next text part continues; -1 after a call (a later text is a new block). */
  #textIndex = -1;
  #calls = false;

  protected read(_event: string | undefined, data: string): void {
    const chunk = parseEvent(data);
    if (isRecord(chunk.error)) {
      const { error } = chunk;
      const status = typeof error.status === 'string' ? error.status : undefined;
      this.fail(geminiErrorStatus(error), typeof error.message === 'string' ? error.message : '', status);
      return;
    }
    if (!this.#started) {
      this.#started = true;
      this.#responseId = typeof chunk.responseId === 'string' ? chunk.responseId : '';
      this.sink({
        kind: 'start',
        id: this.#responseId,
        model: typeof chunk.modelVersion === 'string' ? chunk.modelVersion : '',
      });
    }
    if (isRecord(chunk.usageMetadata)) {
      const refusals = new Refusals();
      const usage = readGeminiUsage(chunk.usageMetadata, refusals);
      if (!refusals.empty) {
        this.fail(BAD_GATEWAY, 'the upstream usageMetadata is malformed');
        return;
      }
      this.#usage = true;
      this.sink({ kind: 'usage', usage });
    }
    const candidates = Array.isArray(chunk.candidates) ? chunk.candidates : [];
    if (candidates.length === 0 && isRecord(chunk.promptFeedback)) {
      this.fail(BAD_GATEWAY, `the upstream blocked the prompt (${String(chunk.promptFeedback.blockReason)})`);
      return;
    }
    const candidate = candidates[0];
    if (isRecord(candidate) && !this.#stopped) this.#candidate(candidate);
  }

  protected missing(): string | undefined {
    if (!this.#stopped) return 'before its finishReason';
    if (!this.#usage) return 'without its usageMetadata';
    return undefined;
  }

  #candidate(candidate: JsonRecord): void {
    const parts = isRecord(candidate.content) ? candidate.content.parts : undefined;
    if (Array.isArray(parts)) {
      for (const part of parts) {
        if (!isRecord(part) || part.thought === true) continue; // thoughts are never asked for
        if (typeof part.text === 'string') {
          if (part.text === '') continue;
          if (this.#textIndex < 0) this.#textIndex = this.#nextIndex++;
          this.sink({ kind: 'text', index: this.#textIndex, text: part.text });
        } else if (isRecord(part.functionCall)) {
          if (!this.#functionCall(part.functionCall)) return;
        } else {
          this.fail(BAD_GATEWAY, `part ${JSON.stringify(Object.keys(part))} is Gemini-only`);
          return;
        }
      }
    }
    if (typeof candidate.finishReason !== 'string') return;
    let reason = GEMINI_FINISH_TO_NEUTRAL[candidate.finishReason];
    if (reason === undefined) {
      this.fail(BAD_GATEWAY, `finishReason ${JSON.stringify(candidate.finishReason)} has no counterpart`);
      return;
    }
    if (reason === 'end' && this.#calls) reason = 'tool-calls';
    this.#stopped = true;
    this.sink({ kind: 'stop', reason });
  }

  /** False when the call cannot travel (arguments that are not an object). */
  #functionCall(call: JsonRecord): boolean {
    const args = call.args ?? {};
    if (!isJsonObject(args)) {
      this.fail(BAD_GATEWAY, 'the upstream functionCall args are not a JSON object');
      return false;
    }
    const index = this.#nextIndex++;
    this.#textIndex = -1;
    this.#calls = true;
    this.sink({
      kind: 'tool-call',
      index,
      id:
        typeof call.id === 'string' && call.id !== '' ? call.id : `gemini-call-${this.#responseId}-${index}`,
      name: typeof call.name === 'string' ? call.name : '',
    });
    this.sink({ kind: 'tool-arguments', index, json: JSON.stringify(args) });
    return true;
  }
}
