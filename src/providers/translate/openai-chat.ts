/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`) ⇄ the neutral chat
 * call's request (the answer: `openai-chat-answer.ts`). Field names follow
 * the `openai` SDK's `ChatCompletionCreateParams`. What the neutral form cannot hold is refused by name
 * (`n > 1`, `logprobs`, `logit_bias`, `seed`, audio, a `name` on a message,
 * a system message after the conversation started, …).
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
  readStrings,
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
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

const REQUEST_KEYS = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'stop',
  'max_tokens',
  'max_completion_tokens',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'n',
  'logprobs',
]);

/** A tool error has no flag in OpenAI's `tool` message; the model reads it in the text instead. */
export const TOOL_ERROR_PREFIX = 'Error: ';

export function openAIChatRequestToNeutral(body: unknown): Translation<NeutralRequest> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, REQUEST_KEYS, '', 'openai');
  const n = readNumber(body, 'n', 'n', refusals);
  if (n !== undefined && n !== 1) refusals.add('n', 'only OpenAI answers with several choices');
  if (body.logprobs === true) refusals.add('logprobs', 'only OpenAI returns log probabilities');
  const system: string[] = [];
  const messages = readMessages(readArray(body, 'messages', 'messages', refusals), system, refusals);
  const streamOptions = body.stream_options;
  let streamUsage = false;
  if (isRecord(streamOptions)) {
    refusals.unknownKeys(streamOptions, new Set(['include_usage']), 'stream_options', 'openai');
    streamUsage = streamOptions.include_usage === true;
  }
  const stop = body.stop;
  const stopSequences = typeof stop === 'string' ? [stop] : readStrings(body, 'stop', 'stop', refusals);
  const request: NeutralRequest = {
    model: readString(body, 'model', 'model', refusals) ?? '',
    system,
    messages,
    tools: readArray(body, 'tools', 'tools', refusals).flatMap((tool, i) =>
      readTool(tool, join('tools', i), refusals),
    ),
    toolChoice: readToolChoice(body.tool_choice, refusals),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    responseFormat: readResponseFormat(body.response_format, refusals),
    temperature: readNumber(body, 'temperature', 'temperature', refusals),
    topP: readNumber(body, 'top_p', 'top_p', refusals),
    stopSequences,
    maxOutputTokens:
      readNumber(body, 'max_completion_tokens', 'max_completion_tokens', refusals) ??
      readNumber(body, 'max_tokens', 'max_tokens', refusals),
    stream: body.stream === true,
    streamUsage,
  };
  return refusals.result(() => request);
}

function readMessages(list: readonly unknown[], system: string[], refusals: Refusals): NeutralMessage[] {
  const out: { role: 'user' | 'assistant'; parts: NeutralPart[] }[] = [];
  // Consecutive `tool` messages answer one assistant turn: they become one user message.
  let toolTurn: { role: 'user'; parts: NeutralPart[] } | undefined;
  for (const [i, message] of list.entries()) {
    const at = join('messages', i);
    if (!isRecord(message)) {
      refusals.add(at, 'expected a message object');
      continue;
    }
    const role = message.role;
    if (role !== 'tool') toolTurn = undefined;
    if (role === 'system' || role === 'developer') {
      refusals.unknownKeys(message, new Set(['role', 'content']), at, 'openai');
      if (out.length > 0) {
        refusals.add(at, 'a system message after the conversation started');
        continue;
      }
      system.push(textOnly(message.content, join(at, 'content'), refusals));
      continue;
    }
    if (role === 'user') {
      refusals.unknownKeys(message, new Set(['role', 'content']), at, 'openai');
      out.push({ role: 'user', parts: readUserContent(message.content, join(at, 'content'), refusals) });
      continue;
    }
    if (role === 'assistant') {
      refusals.unknownKeys(message, new Set(['role', 'content', 'tool_calls', 'refusal']), at, 'openai');
      if (typeof message.refusal === 'string')
        refusals.add(join(at, 'refusal'), 'only OpenAI marks a refusal');
      const parts: NeutralPart[] = [];
      if (message.content !== null && message.content !== undefined) {
        const text = textOnly(message.content, join(at, 'content'), refusals);
        if (text !== '') parts.push({ kind: 'text', text });
      }
      readArray(message, 'tool_calls', join(at, 'tool_calls'), refusals).forEach((call, j) => {
        const parsed = readToolCall(call, join(join(at, 'tool_calls'), j), refusals);
        if (parsed) parts.push(parsed);
      });
      out.push({ role: 'assistant', parts });
      continue;
    }
    if (role === 'tool') {
      refusals.unknownKeys(message, new Set(['role', 'content', 'tool_call_id']), at, 'openai');
      const result: NeutralToolResult = {
        kind: 'tool-result',
        callId: readString(message, 'tool_call_id', join(at, 'tool_call_id'), refusals) ?? '',
        content: [{ kind: 'text', text: textOnly(message.content, join(at, 'content'), refusals) }],
        isError: false,
      };
      if (toolTurn) toolTurn.parts.push(result);
      else {
        toolTurn = { role: 'user', parts: [result] };
        out.push(toolTurn);
      }
      continue;
    }
    refusals.add(join(at, 'role'), `role ${JSON.stringify(role)} has no counterpart in other API families`);
  }
  return out;
}

/**
 * Content that may only be text: a string or text parts (`partType`: Chat's
 * `text`, Responses' `input_text`), joined.
 */
export function textOnly(content: unknown, at: string, refusals: Refusals, partType = 'text'): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    refusals.add(at, 'expected text');
    return '';
  }
  return content
    .map((part, i) => {
      if (isRecord(part) && part.type === partType && typeof part.text === 'string') {
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
  return content.flatMap((part, i): NeutralPart[] => {
    const partAt = join(at, i);
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') {
      refusals.unknownKeys(part, new Set(['type', 'text']), partAt, 'openai');
      return [{ kind: 'text', text: part.text }];
    }
    if (isRecord(part) && part.type === 'image_url' && isRecord(part.image_url)) {
      refusals.unknownKeys(part, new Set(['type', 'image_url']), partAt, 'openai');
      const image = part.image_url;
      refusals.unknownKeys(image, new Set(['url', 'detail']), join(partAt, 'image_url'), 'openai');
      if (image.detail !== undefined && image.detail !== 'auto') {
        refusals.add(join(partAt, 'image_url.detail'), 'only OpenAI takes an image detail level');
      }
      const url = typeof image.url === 'string' ? image.url : '';
      const inline = parseDataUrl(url);
      return [
        inline
          ? { kind: 'image', source: { kind: 'base64', mediaType: inline.mediaType, data: inline.data } }
          : { kind: 'image', source: { kind: 'url', url } },
      ];
    }
    refusals.add(
      partAt,
      `content part ${JSON.stringify(isRecord(part) ? part.type : part)} has no counterpart`,
    );
    return [];
  });
}

export function readToolCall(call: unknown, at: string, refusals: Refusals): NeutralToolCall | undefined {
  if (!isRecord(call) || call.type !== 'function' || !isRecord(call.function)) {
    refusals.add(at, 'only function tool calls travel');
    return undefined;
  }
  refusals.unknownKeys(call, new Set(['id', 'type', 'function']), at, 'openai');
  refusals.unknownKeys(call.function, new Set(['name', 'arguments']), join(at, 'function'), 'openai');
  const args =
    typeof call.function.arguments === 'string' ? parseJsonObject(call.function.arguments) : undefined;
  if (!args) refusals.add(join(at, 'function.arguments'), 'arguments are not a JSON object');
  return {
    kind: 'tool-call',
    id: typeof call.id === 'string' ? call.id : '',
    name: typeof call.function.name === 'string' ? call.function.name : '',
    arguments: args ?? {},
  };
}

function readTool(tool: unknown, at: string, refusals: Refusals): NeutralTool[] {
  if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
    refusals.add(at, 'only function tools travel');
    return [];
  }
  refusals.unknownKeys(tool, new Set(['type', 'function']), at, 'openai');
  const fn = tool.function;
  refusals.unknownKeys(
    fn,
    new Set(['name', 'description', 'parameters', 'strict']),
    join(at, 'function'),
    'openai',
  );
  if (fn.strict === true) refusals.add(join(at, 'function.strict'), 'strict tool schemas are not shared');
  const parameters = fn.parameters === undefined ? { type: 'object', properties: {} } : fn.parameters;
  if (!isJsonObject(parameters))
    refusals.add(join(at, 'function.parameters'), 'expected a JSON Schema object');
  return [
    {
      name: typeof fn.name === 'string' ? fn.name : '',
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      parameters: isJsonObject(parameters) ? parameters : {},
    },
  ];
}

function readToolChoice(choice: unknown, refusals: Refusals): NeutralToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function)) {
    if (typeof choice.function.name === 'string') return { name: choice.function.name };
  }
  refusals.add('tool_choice', 'only auto, none, required or one named function travel');
  return undefined;
}

function readResponseFormat(format: unknown, refusals: Refusals): NeutralResponseFormat | undefined {
  if (format === undefined || format === null) return undefined;
  if (isRecord(format) && format.type === 'text') return undefined;
  if (isRecord(format) && format.type === 'json_object') return { kind: 'json' };
  if (isRecord(format) && format.type === 'json_schema' && isRecord(format.json_schema)) {
    const at = 'response_format.json_schema';
    return readJsonSchemaFormat(format.json_schema, SCHEMA_KEYS, at, refusals);
  }
  refusals.add('response_format', 'unknown response format');
  return undefined;
}

const SCHEMA_KEYS = new Set(['name', 'schema', 'strict']);

/**
 * A structured-output spec, `{ name?, schema, strict? }` (Chat's
 * `response_format.json_schema`, Responses' `text.format` beside its `type`).
 * Anthropic and Gemini always hold the answer to the schema, so `strict`
 * asks nothing more of them.
 */
export function readJsonSchemaFormat(
  spec: JsonRecord,
  keys: ReadonlySet<string>,
  at: string,
  refusals: Refusals,
): NeutralResponseFormat | undefined {
  refusals.unknownKeys(spec, keys, at, 'openai');
  if (!isJsonObject(spec.schema)) {
    refusals.add(join(at, 'schema'), 'expected a JSON Schema object');
    return undefined;
  }
  return {
    kind: 'json-schema',
    ...(typeof spec.name === 'string' ? { name: spec.name } : {}),
    schema: spec.schema,
  };
}

export function neutralToOpenAIChatRequest(request: NeutralRequest): Translation<Body> {
  const refusals = new Refusals();
  const messages: Body[] = request.system.map((text) => ({ role: 'system', content: text }));
  for (const message of request.messages) messages.push(...writeMessage(message, refusals));
  const body: Body = { model: request.model, messages };
  if (request.tools.length > 0) body.tools = request.tools.map(writeTool);
  if (request.toolChoice !== undefined) body.tool_choice = writeToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat) body.response_format = writeResponseFormat(request.responseFormat);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stopSequences.length > 4)
    refusals.add('stopSequences', 'OpenAI takes at most 4 stop sequences');
  if (request.stopSequences.length > 0) body.stop = [...request.stopSequences];
  if (request.maxOutputTokens !== undefined) body.max_completion_tokens = request.maxOutputTokens;
  if (request.stream) body.stream = true;
  if (request.stream && request.streamUsage) body.stream_options = { include_usage: true };
  return refusals.result(() => body);
}

function writeMessage(message: NeutralMessage, refusals: Refusals): Body[] {
  if (message.role === 'assistant') {
    const text = message.parts.filter((p): p is NeutralText => p.kind === 'text').map((p) => p.text);
    const calls = message.parts.filter((p): p is NeutralToolCall => p.kind === 'tool-call');
    if (message.parts.some((p) => p.kind === 'image' || p.kind === 'tool-result')) {
      refusals.add('messages', 'an assistant message in OpenAI holds only text and tool calls');
    }
    const out: Body = { role: 'assistant', content: text.length > 0 ? text.join('') : null };
    if (calls.length > 0) out.tool_calls = calls.map(writeToolCall);
    return [out];
  }
  const out: Body[] = [];
  const rest: (NeutralText | NeutralImage)[] = [];
  for (const part of message.parts) {
    if (part.kind === 'tool-result') out.push(writeToolResult(part, refusals));
    else if (part.kind === 'tool-call') refusals.add('messages', 'a user message cannot hold a tool call');
    else rest.push(part);
  }
  if (rest.length > 0 || out.length === 0) out.push({ role: 'user', content: writeUserContent(rest) });
  return out;
}

function writeUserContent(parts: readonly (NeutralText | NeutralImage)[]): JsonValue {
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'text') return only.text;
  return parts.map(
    (part): Body =>
      part.kind === 'text'
        ? { type: 'text', text: part.text }
        : {
            type: 'image_url',
            image_url: {
              url:
                part.source.kind === 'base64'
                  ? `data:${part.source.mediaType};base64,${part.source.data}`
                  : part.source.url,
            },
          },
  );
}

function writeToolResult(result: NeutralToolResult, refusals: Refusals): Body {
  if (result.content.some((p) => p.kind === 'image')) {
    refusals.add('messages', 'an OpenAI tool message holds only text, not images');
  }
  const text = result.content.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  return {
    role: 'tool',
    tool_call_id: result.callId,
    content: result.isError ? `${TOOL_ERROR_PREFIX}${text}` : text,
  };
}

export function writeToolCall(call: NeutralToolCall): Body {
  return {
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  };
}

function writeTool(tool: NeutralTool): Body {
  const fn: Body = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  fn.parameters = tool.parameters;
  return { type: 'function', function: fn };
}

function writeToolChoice(choice: NeutralToolChoice): JsonValue {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function writeResponseFormat(format: NeutralResponseFormat): JsonValue {
  if (format.kind === 'json') return { type: 'json_object' };
  // OpenAI requires a name; Anthropic and Gemini have none to give.
  return {
    type: 'json_schema',
    json_schema: { name: format.name ?? 'response', schema: format.schema, strict: true },
  };
}
