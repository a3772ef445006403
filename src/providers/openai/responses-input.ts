/**
 * Input tokens of a Responses API request (`POST /v1/responses`): the
 * `instructions`, the `input` (a string, or a list of items: messages,
 * function calls and their outputs, reasoning summaries), tool definitions
 * and the `text.format` schema. Items are framed like chat messages (§6.1);
 * `previous_response_id` refers to a conversation this request cannot see,
 * so those tokens are known only from usage at settlement.
 */
import type { PromptTally } from '../estimate/prompt-tally.js';
import { arrayField, field, isRecord, recordField, stringField } from '../parse/json-shape.js';
import { type ChatFraming, tallyContent } from './chat-prompt.js';

export function tallyResponsesRequest(body: unknown, tally: PromptTally, framing: ChatFraming): void {
  const instructions = stringField(body, 'instructions');
  if (instructions) {
    tally.add(framing.perMessage);
    tally.text(instructions);
  }
  const input = field(body, 'input');
  if (typeof input === 'string') {
    tally.add(framing.perMessage);
    tally.text('user');
    tally.text(input);
  } else if (Array.isArray(input)) {
    for (const item of input) tallyItem(item, tally, framing);
  }
  if (instructions || input !== undefined) tally.add(framing.priming);
  tally.json(field(body, 'tools'));
  tally.json(field(recordField(body, 'text'), 'format'));
}

/** One `input` item with its framing (the unit a prompt budget drops). */
export function tallyItem(item: unknown, tally: PromptTally, framing: ChatFraming): void {
  if (typeof item === 'string') {
    tally.add(framing.perMessage);
    tally.text(item);
    return;
  }
  if (!isRecord(item)) return;
  tally.add(framing.perMessage);
  const type = stringField(item, 'type');
  if (type === 'reasoning') {
    const summary = arrayField(item, 'summary');
    if (summary) for (const part of summary) tally.text(stringField(part, 'text'));
    return;
  }
  tally.text(stringField(item, 'role'));
  tally.text(stringField(item, 'name'));
  tally.text(stringField(item, 'arguments'));
  tally.text(stringField(item, 'input'));
  tallyContent(field(item, 'content'), tally);
  tallyContent(field(item, 'output'), tally);
}
