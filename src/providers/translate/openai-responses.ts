/**
 * OpenAI Responses (`POST /v1/responses`) ⇄ the neutral chat call's request
 * (the answer: `openai-responses-answer.ts`). Field names follow the
 * `openai` SDK's `ResponseCreateParams`. Only the stateless, client-side
 * part travels: text, images, function tools and structured output. What
 * the other families cannot do is refused by name: server-side state
 * (`previous_response_id`, `conversation`, `store: true`), reasoning
 * settings and items, built-in tools, `include`, `background`, …
 * The `input` items are read and written in `openai-responses-items.ts`.
 */
import { isJsonObject, isRecord, readArray, readNumber, readString } from './json-read.js';
import type {
  JsonValue,
  NeutralRequest,
  NeutralResponseFormat,
  NeutralTool,
  NeutralToolChoice,
} from './neutral.js';
import { readJsonSchemaFormat } from './openai-chat.js';
import { readInputItems, writeInputItems } from './openai-responses-items.js';
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

const FORMAT_KEYS = new Set(['type', 'name', 'schema', 'strict']);

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
      : readInputItems(readArray(body, 'input', 'input', refusals), system, refusals);
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
    return readJsonSchemaFormat(format, FORMAT_KEYS, 'text.format', refusals);
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
  for (const message of request.messages) input.push(...writeInputItems(message, refusals));
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
