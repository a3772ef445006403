/**
 * OpenAI Responses (`POST /v1/responses`) ⇄ the neutral chat call's request
 * (the answer: `openai-responses-answer.ts`). Field names follow the
 * `openai` SDK's `ResponseCreateParams`. Only the stateless, client-side
 * part travels: text, images, function tools and structured output. What
 * the other families cannot do is refused by name: server-side state
 * (`previous_response_id`, `conversation`, `store: true`), reasoning
 * settings and items, built-in tools, `include`, `background`, …
 *
 * Input is a flat list of items; the neutral form has turns. Reading groups
 * them: a `message` item opens a turn of its role, a `function_call` joins
 * the assistant turn just before it, consecutive `function_call_output`
 * items make one user turn of tool results (TABLE.md, "Lossy").
 */
import {
  isJsonObject,
  isRecord,
  type JsonRecord,
  parseDataUrl,
  parseJsonObject,
  readArray,
  readNumber,
  readString,
} from './json-read.js';
import type {
  JsonValue,
  NeutralImage,
  NeutralMessage,
  NeutralPart,
  NeutralRequest,
  NeutralResponseFormat,
  NeutralText,
  NeutralTool,
  NeutralToolCall,
  NeutralToolChoice,
  NeutralToolResult,
} from './neutral.js';
import { TOOL_ERROR_PREFIX } from './openai-chat.js';
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

const REQUEST_KEYS = new Set([
  'model',
  'instructions',
  'input',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'temperature',
  'top_p',
  'max_output_tokens',
  'stream',
  'stream_options',
  'store',
]);

/**
 * Item metadata a client echoes back from an earlier answer (`input:
 * [...input, ...response.output]`): it selects nothing, so it is not
 * carried. `phase` labels an assistant message commentary or final answer.
 */
export const ECHOED_ITEM_KEYS = ['id', 'status'];
export const ECHOED_MESSAGE_KEYS = [...ECHOED_ITEM_KEYS, 'phase'];

const STATELESS = 'the other API families keep no server-side state: send the whole conversation in `input`';

export function openAIResponsesRequestToNeutral(body: unknown): Translation<NeutralRequest> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  for (const key of ['previous_response_id', 'conversation']) {
    if (body[key] !== undefined && body[key] !== null) refusals.add(key, STATELESS);
  }
  refusals.unknownKeys(
    body,
    new Set([...REQUEST_KEYS, 'previous_response_id', 'conversation']),
    '',
    'openai',
  );
  // Responses stores by default; a caller relying on that default loses nothing it can read here.
  if (body.store === true) refusals.add('store', STATELESS);
  readStreamOptions(body.stream_options, refusals);
  const system: string[] = [];
  const instructions = readString(body, 'instructions', 'instructions', refusals);
  if (instructions !== undefined) system.push(instructions);
  const input = body.input;
  const messages =
    typeof input === 'string'
      ? [{ role: 'user' as const, parts: [{ kind: 'text' as const, text: input }] }]
      : readItems(readArray(body, 'input', 'input', refusals), system, refusals);
  const stream = body.stream === true;
  const request: NeutralRequest = {
    model: readString(body, 'model', 'model', refusals) ?? '',
    system,
    messages,
    tools: readArray(body, 'tools', 'tools', refusals).flatMap((tool, i) =>
      readTool(tool, join('tools', i), refusals),
    ),
    toolChoice: readToolChoice(body.tool_choice, refusals),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    responseFormat: readText(body.text, refusals),
    temperature: readNumber(body, 'temperature', 'temperature', refusals),
    topP: readNumber(body, 'top_p', 'top_p', refusals),
    // The Responses API has no stop sequences.
    stopSequences: [],
    maxOutputTokens: readNumber(body, 'max_output_tokens', 'max_output_tokens', refusals),
    stream,
    // A Responses stream always ends with usage (`response.completed`).
    streamUsage: stream,
  };
  return refusals.result(() => request);
}

function readStreamOptions(options: unknown, refusals: Refusals): void {
  if (options === undefined || options === null) return;
  if (!isRecord(options)) {
    refusals.add('stream_options', 'expected an object');
    return;
  }
  refusals.unknownKeys(options, new Set(['include_obfuscation']), 'stream_options', 'openai');
  // A translated stream carries no obfuscation padding; asking for it outright is refused.
  if (options.include_obfuscation === true)
    refusals.add('stream_options.include_obfuscation', 'a translated stream is never padded');
}

type Turn = { role: 'user' | 'assistant'; parts: NeutralPart[] };

function readItems(list: readonly unknown[], system: string[], refusals: Refusals): NeutralMessage[] {
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
        else system.push(systemText(item.content, join(at, 'content'), refusals));
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

/** Content that may only be text: a string or `input_text` parts, joined. */
function systemText(content: unknown, at: string, refusals: Refusals): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    refusals.add(at, 'expected text');
    return '';
  }
  return content
    .map((part, i) => {
      if (isRecord(part) && part.type === 'input_text' && typeof part.text === 'string') {
        refusals.unknownKeys(part, new Set(['type', 'text']), join(at, i), 'openai');
        return part.text;
      }
      refusals.add(join(at, i), 'only text parts can travel here');
      return '';
    })
    .join('');
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

function readTool(tool: unknown, at: string, refusals: Refusals): NeutralTool[] {
  if (!isRecord(tool) || tool.type !== 'function') {
    refusals.add(at, 'only function tools travel (built-in tools run on OpenAI only)');
    return [];
  }
  refusals.unknownKeys(tool, new Set(['type', 'name', 'description', 'parameters', 'strict']), at, 'openai');
  if (tool.strict === true) refusals.add(join(at, 'strict'), 'strict tool schemas are not shared');
  const parameters =
    tool.parameters === undefined || tool.parameters === null
      ? { type: 'object', properties: {} }
      : tool.parameters;
  if (!isJsonObject(parameters)) refusals.add(join(at, 'parameters'), 'expected a JSON Schema object');
  return [
    {
      name: typeof tool.name === 'string' ? tool.name : '',
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      parameters: isJsonObject(parameters) ? parameters : {},
    },
  ];
}

function readToolChoice(choice: unknown, refusals: Refusals): NeutralToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function' && typeof choice.name === 'string') {
    refusals.unknownKeys(choice, new Set(['type', 'name']), 'tool_choice', 'openai');
    return { name: choice.name };
  }
  refusals.add('tool_choice', 'only auto, none, required or one named function travel');
  return undefined;
}

function readText(text: unknown, refusals: Refusals): NeutralResponseFormat | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isRecord(text)) {
    refusals.add('text', 'expected an object');
    return undefined;
  }
  refusals.unknownKeys(text, new Set(['format']), 'text', 'openai');
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (isRecord(format) && format.type === 'text') return undefined;
  if (isRecord(format) && format.type === 'json_object') return { kind: 'json' };
  if (isRecord(format) && format.type === 'json_schema') {
    // Anthropic and Gemini always hold the answer to the schema, so `strict` asks nothing more of them.
    refusals.unknownKeys(format, new Set(['type', 'name', 'schema', 'strict']), 'text.format', 'openai');
    if (!isJsonObject(format.schema)) {
      refusals.add('text.format.schema', 'expected a JSON Schema object');
      return undefined;
    }
    return {
      kind: 'json-schema',
      ...(typeof format.name === 'string' ? { name: format.name } : {}),
      schema: format.schema,
    };
  }
  refusals.add('text.format', 'unknown response format');
  return undefined;
}

/**
 * Always `store: false`: the caller spoke another family, which keeps
 * nothing upstream, so nothing is kept on its behalf. Tools go out with
 * `strict: false`, since Responses makes an unflagged tool strict and the
 * other families' tools are best-effort.
 */
export function neutralToOpenAIResponsesRequest(request: NeutralRequest): Translation<Body> {
  const refusals = new Refusals();
  const input: Body[] = request.system
    .slice(1)
    .map((text): Body => ({ type: 'message', role: 'system', content: text }));
  for (const message of request.messages) input.push(...writeMessage(message, refusals));
  const body: Body = { model: request.model };
  if (request.system[0] !== undefined) body.instructions = request.system[0];
  body.input = input;
  if (request.tools.length > 0) body.tools = request.tools.map(writeTool);
  if (request.toolChoice !== undefined) body.tool_choice = writeToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) body.text = { format: writeFormat(request.responseFormat) };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stopSequences.length > 0)
    refusals.add('stopSequences', 'the Responses API has no stop sequences');
  if (request.maxOutputTokens !== undefined) body.max_output_tokens = request.maxOutputTokens;
  if (request.stream) body.stream = true;
  body.store = false;
  return refusals.result(() => body);
}

function writeMessage(message: NeutralMessage, refusals: Refusals): Body[] {
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

function writeTool(tool: NeutralTool): Body {
  const out: Body = { type: 'function', name: tool.name };
  if (tool.description !== undefined) out.description = tool.description;
  out.parameters = tool.parameters;
  out.strict = false;
  return out;
}

function writeToolChoice(choice: NeutralToolChoice): JsonValue {
  return typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
}

function writeFormat(format: NeutralResponseFormat): JsonValue {
  if (format.kind === 'json') return { type: 'json_object' };
  // Responses requires a name; Anthropic and Gemini have none to give.
  return { type: 'json_schema', name: format.name ?? 'response', schema: format.schema, strict: true };
}
