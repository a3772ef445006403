/**
 * OpenAI Responses items ⇄ neutral turns and parts, for the request's
 * `input` and the answer's `output` (`openai-responses.ts`,
 * `openai-responses-answer.ts`).
 *
 * Input is a flat list of items; the neutral form has turns. Reading groups
 * them: a `message` item opens a turn of its role, a `function_call` joins
 * the assistant turn just before it, consecutive `function_call_output`
 * items make one user turn of tool results (TABLE.md, "Lossy").
 */
import { isRecord, type JsonRecord, parseDataUrl, parseJsonObject, readString } from './json-read.js';
import type {
  JsonValue,
  NeutralImage,
  NeutralMessage,
  NeutralPart,
  NeutralText,
  NeutralToolCall,
  NeutralToolResult,
} from './neutral.js';
import { TOOL_ERROR_PREFIX, textOnly } from './openai-chat.js';
import { join, type Refusals } from './translation.js';

type Body = { [key: string]: JsonValue };

/**
 * Item metadata a client echoes back from an earlier answer (`input:
 * [...input, ...response.output]`): it selects nothing, so it is not
 * carried. `phase` labels an assistant message commentary or final answer.
 */
export const ECHOED_ITEM_KEYS = ['id', 'status'];
export const ECHOED_MESSAGE_KEYS = [...ECHOED_ITEM_KEYS, 'phase'];

type Turn = { role: 'user' | 'assistant'; parts: NeutralPart[] };

export function readInputItems(
  list: readonly unknown[],
  system: string[],
  refusals: Refusals,
): NeutralMessage[] {
  const out: Turn[] = [];
  // The turn a `function_call` or `function_call_output` item may join.
  let open: { kind: 'assistant' | 'tool-results'; turn: Turn } | undefined;
  for (const [i, item] of list.entries()) {
    const at = join('input', i);
    if (!isRecord(item)) {
      refusals.add(at, 'expected an input item object');
      continue;
    }
    // An item with a role and no type is a message (`EasyInputMessage`).
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    if (type === 'message') {
      refusals.unknownKeys(item, new Set(['type', 'role', 'content', ...ECHOED_MESSAGE_KEYS]), at, 'openai');
      const role = item.role;
      if (role === 'system' || role === 'developer') {
        if (out.length > 0) refusals.add(at, 'a system message after the conversation started');
        else system.push(textOnly(item.content, join(at, 'content'), refusals, 'input_text'));
        open = undefined;
      } else if (role === 'user') {
        out.push({ role: 'user', parts: readUserContent(item.content, join(at, 'content'), refusals) });
        open = undefined;
      } else if (role === 'assistant') {
        const turn: Turn = {
          role: 'assistant',
          parts: readAssistantContent(item.content, join(at, 'content'), refusals),
        };
        out.push(turn);
        open = { kind: 'assistant', turn };
      } else {
        refusals.add(
          join(at, 'role'),
          `role ${JSON.stringify(role)} has no counterpart in other API families`,
        );
      }
      continue;
    }
    if (type === 'function_call') {
      const call = readFunctionCall(item, at, refusals);
      if (open?.kind === 'assistant') open.turn.parts.push(call);
      else {
        const turn: Turn = { role: 'assistant', parts: [call] };
        out.push(turn);
        open = { kind: 'assistant', turn };
      }
      continue;
    }
    if (type === 'function_call_output') {
      const result = readFunctionCallOutput(item, at, refusals);
      if (open?.kind === 'tool-results') open.turn.parts.push(result);
      else {
        const turn: Turn = { role: 'user', parts: [result] };
        out.push(turn);
        open = { kind: 'tool-results', turn };
      }
      continue;
    }
    refusals.add(at, `input item ${JSON.stringify(type)} has no counterpart in other API families`);
  }
  return out;
}

function readUserContent(content: unknown, at: string, refusals: Refusals): NeutralPart[] {
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) {
    refusals.add(at, 'expected a string or content parts');
    return [];
  }
  return content.flatMap((part, i) => readInputPart(part, join(at, i), refusals));
}

/** An `input_text` or `input_image` part (user content, or a tool's output given as parts). */
function readInputPart(part: unknown, at: string, refusals: Refusals): (NeutralText | NeutralImage)[] {
  if (isRecord(part) && part.type === 'input_text' && typeof part.text === 'string') {
    refusals.unknownKeys(part, new Set(['type', 'text']), at, 'openai');
    return [{ kind: 'text', text: part.text }];
  }
  if (isRecord(part) && part.type === 'input_image') {
    refusals.unknownKeys(part, new Set(['type', 'image_url', 'detail']), at, 'openai');
    if (part.detail !== undefined && part.detail !== null && part.detail !== 'auto')
      refusals.add(join(at, 'detail'), 'only OpenAI takes an image detail level');
    if (typeof part.image_url !== 'string') {
      refusals.add(join(at, 'image_url'), 'expected an image URL (Files API ids do not travel)');
      return [];
    }
    const inline = parseDataUrl(part.image_url);
    return [
      inline
        ? { kind: 'image', source: { kind: 'base64', mediaType: inline.mediaType, data: inline.data } }
        : { kind: 'image', source: { kind: 'url', url: part.image_url } },
    ];
  }
  refusals.add(at, `content part ${JSON.stringify(isRecord(part) ? part.type : part)} has no counterpart`);
  return [];
}

/** An assistant message in the input: a string or `output_text` parts, each kept as a text part. */
function readAssistantContent(content: unknown, at: string, refusals: Refusals): NeutralText[] {
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) {
    refusals.add(at, 'expected a string or output_text parts');
    return [];
  }
  return content.flatMap((part, i): NeutralText[] => {
    const partAt = join(at, i);
    const text = readOutputText(part, partAt, refusals);
    return text === undefined ? [] : [{ kind: 'text', text }];
  });
}

/** An `output_text` part's text (input history or an answer); a refusal, annotations or logprobs are refused. */
export function readOutputText(part: unknown, at: string, refusals: Refusals): string | undefined {
  if (isRecord(part) && part.type === 'refusal') {
    refusals.add(at, 'only OpenAI marks a refusal');
    return undefined;
  }
  if (!isRecord(part) || part.type !== 'output_text' || typeof part.text !== 'string') {
    refusals.add(at, 'only output_text parts travel');
    return undefined;
  }
  refusals.unknownKeys(part, new Set(['type', 'text', 'annotations', 'logprobs']), at, 'openai');
  if (Array.isArray(part.annotations) && part.annotations.length > 0)
    refusals.add(join(at, 'annotations'), 'URL and file citations are not shared');
  if (Array.isArray(part.logprobs) && part.logprobs.length > 0)
    refusals.add(join(at, 'logprobs'), 'only OpenAI returns log probabilities');
  return part.text;
}

/** A `function_call` item (input history or an answer): `call_id` is the neutral id. */
export function readFunctionCall(item: JsonRecord, at: string, refusals: Refusals): NeutralToolCall {
  refusals.unknownKeys(
    item,
    new Set(['type', 'call_id', 'name', 'arguments', ...ECHOED_ITEM_KEYS]),
    at,
    'openai',
  );
  const args = typeof item.arguments === 'string' ? parseJsonObject(item.arguments) : undefined;
  if (!args) refusals.add(join(at, 'arguments'), 'arguments are not a JSON object');
  return {
    kind: 'tool-call',
    id: readString(item, 'call_id', join(at, 'call_id'), refusals) ?? '',
    name: readString(item, 'name', join(at, 'name'), refusals) ?? '',
    arguments: args ?? {},
  };
}

function readFunctionCallOutput(item: JsonRecord, at: string, refusals: Refusals): NeutralToolResult {
  refusals.unknownKeys(item, new Set(['type', 'call_id', 'output', ...ECHOED_ITEM_KEYS]), at, 'openai');
  const output = item.output;
  let content: (NeutralText | NeutralImage)[] = [];
  if (typeof output === 'string') content = [{ kind: 'text', text: output }];
  else if (Array.isArray(output))
    content = output.flatMap((part, i) => readInputPart(part, join(join(at, 'output'), i), refusals));
  else refusals.add(join(at, 'output'), 'expected a string or content parts');
  return {
    kind: 'tool-result',
    callId: readString(item, 'call_id', join(at, 'call_id'), refusals) ?? '',
    content,
    isError: false,
  };
}

export function writeInputItems(message: NeutralMessage, refusals: Refusals): Body[] {
  if (message.role === 'assistant') {
    if (message.parts.some((p) => p.kind === 'image' || p.kind === 'tool-result'))
      refusals.add('messages', 'an assistant turn in Responses holds only text and function calls');
    const texts = message.parts.filter((p): p is NeutralText => p.kind === 'text');
    const calls = message.parts.filter((p): p is NeutralToolCall => p.kind === 'tool-call');
    const out: Body[] = [];
    if (texts.length > 0 || calls.length === 0)
      out.push({
        type: 'message',
        role: 'assistant',
        content: texts.map((t) => ({ type: 'output_text', text: t.text, annotations: [] })),
      });
    for (const call of calls) out.push(writeFunctionCall(call));
    return out;
  }
  const out: Body[] = [];
  const rest: (NeutralText | NeutralImage)[] = [];
  for (const part of message.parts) {
    if (part.kind === 'tool-result') out.push(writeFunctionCallOutput(part));
    else if (part.kind === 'tool-call') refusals.add('messages', 'a user message cannot hold a tool call');
    else rest.push(part);
  }
  if (rest.length > 0 || out.length === 0)
    out.push({ type: 'message', role: 'user', content: writeUserContent(rest) });
  return out;
}

function writeUserContent(parts: readonly (NeutralText | NeutralImage)[]): JsonValue {
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'text') return only.text;
  return parts.map(writeInputPart);
}

function writeInputPart(part: NeutralText | NeutralImage): Body {
  if (part.kind === 'text') return { type: 'input_text', text: part.text };
  const url =
    part.source.kind === 'base64'
      ? `data:${part.source.mediaType};base64,${part.source.data}`
      : part.source.url;
  return { type: 'input_image', image_url: url, detail: 'auto' };
}

/** The item an answer's tool call is (its `call_id` is the neutral id; `arguments` JSON text). */
export function writeFunctionCall(call: NeutralToolCall): Body {
  return {
    type: 'function_call',
    call_id: call.id,
    name: call.name,
    arguments: JSON.stringify(call.arguments),
  };
}

function writeFunctionCallOutput(result: NeutralToolResult): Body {
  const onlyText = result.content.every((p) => p.kind === 'text');
  const text = result.content.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  const output: JsonValue = onlyText
    ? result.isError
      ? `${TOOL_ERROR_PREFIX}${text}`
      : text
    : [
        ...(result.isError ? [{ type: 'input_text', text: TOOL_ERROR_PREFIX }] : []),
        ...result.content.map(writeInputPart),
      ];
  return { type: 'function_call_output', call_id: result.callId, output };
}
