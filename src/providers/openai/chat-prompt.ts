/**
 * Input tokens of a Chat Completions request, after the cookbook's count
 * (PROVIDERS.md §6.1): every message costs `perMessage` framing tokens plus
 * its fields' tokens, a `name` adds `perName`, and the reply is primed with
 * `priming` tokens. Tool and function definitions and a JSON schema response
 * format are counted as their JSON text, which is close to what the model
 * sees (the API re-renders them, so this is an estimate; exact counts need
 * `/v1/responses/input_tokens`, §1.5).
 */
import { OPENAI_IMAGE_TOKENS } from '../estimate/media.js';
import type { PromptTally } from '../estimate/prompt-tally.js';
import { arrayField, field, isRecord, recordField, stringField } from '../parse/json-shape.js';

export interface ChatFraming {
  readonly perMessage: number;
  readonly perName: number;
  readonly priming: number;
}

/** gpt-3.5-turbo-0613 and every later chat model (cookbook: 129 tokens for its sample). */
export const CHAT_FRAMING: ChatFraming = Object.freeze({ perMessage: 3, perName: 1, priming: 3 });
/** gpt-3.5-turbo-0301 only (cookbook: 127 tokens for the same sample, priming included). */
export const CHAT_FRAMING_0301: ChatFraming = Object.freeze({ perMessage: 4, perName: -1, priming: 3 });

export function framingFor(model: string | undefined): ChatFraming {
  return model?.includes('gpt-3.5-turbo-0301') ? CHAT_FRAMING_0301 : CHAT_FRAMING;
}

export function tallyChatRequest(body: unknown, tally: PromptTally, framing: ChatFraming): void {
  const messages = arrayField(body, 'messages');
  if (messages) {
    for (const message of messages) tallyMessage(message, tally, framing);
    tally.add(framing.priming);
  }
  tally.json(field(body, 'tools'));
  tally.json(field(body, 'functions'));
  const format = recordField(body, 'response_format');
  if (format) tally.json(field(format, 'json_schema'));
}

/** One message with its framing (the unit a prompt budget drops, `runtime/load/prompt-budget/`). */
export function tallyMessage(message: unknown, tally: PromptTally, framing: ChatFraming): void {
  if (!isRecord(message)) return;
  tally.add(framing.perMessage);
  tally.text(stringField(message, 'role'));
  const name = stringField(message, 'name');
  if (name) {
    tally.text(name);
    tally.add(framing.perName);
  }
  tallyContent(field(message, 'content'), tally);
  tally.text(stringField(message, 'refusal'));
  tally.text(stringField(message, 'tool_call_id'));
  const calls = arrayField(message, 'tool_calls');
  if (calls) for (const call of calls) tallyFunctionCall(recordField(call, 'function'), tally);
  tallyFunctionCall(recordField(message, 'function_call'), tally);
}

function tallyFunctionCall(call: unknown, tally: PromptTally): void {
  tally.text(stringField(call, 'name'));
  tally.text(stringField(call, 'arguments'));
}

/** A message's content: a string, or an array of typed parts. */
export function tallyContent(content: unknown, tally: PromptTally): void {
  if (typeof content === 'string') {
    tally.text(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (typeof part === 'string') {
      tally.text(part);
      continue;
    }
    const type = stringField(part, 'type');
    if (type === 'image_url' || type === 'input_image') {
      const detail = stringField(recordField(part, 'image_url'), 'detail') ?? stringField(part, 'detail');
      tally.add(detail === 'low' ? OPENAI_IMAGE_TOKENS.low : OPENAI_IMAGE_TOKENS.high);
      continue;
    }
    // text, input_text, output_text, refusal; files and audio carry no countable text.
    tally.text(stringField(part, 'text'));
    tally.text(stringField(part, 'refusal'));
  }
}
