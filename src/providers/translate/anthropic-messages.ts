/**
 * Anthropic Messages (`POST /v1/messages`) ⇄ the neutral chat call. Field
 * names follow `@anthropic-ai/sdk` 1.12 (`MessageCreateParams`; the answer, `Message`, is
 * in `anthropic-messages-answer.ts`).
 * `cache_control` is advisory (read, not carried). Refused by name: thinking, server tools, documents,
 * citations, metadata, and sampling parameters (the Messages API no longer
 * takes `temperature` or `top_p`: the SDK's request type has neither).
 */
import {
  isJsonObject,
  isRecord,
  type JsonRecord,
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
  NeutralToolChoice,
} from './neutral.js';
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

/**
 * `max_tokens` when the caller set no cap (an OpenAI or Gemini caller
 * without one means "as long as the model allows"). Anthropic requires the
 * field. 4,096 is the smallest output ceiling of any Claude model still
 * served, so it is never a 400; OTPM no longer counts `max_tokens`
 * (PROVIDERS.md §3.2, 2026 copy), so a cap costs no capacity. Whoever wires
 * this passes the deployment's model maximum instead when it knows it; an
 * answer cut here says so with the `max-tokens` stop reason.
 */
export const ANTHROPIC_MAX_TOKENS_WHEN_UNSET = 4_096;

/** Media types the Messages API takes inline (`Base64ImageSource.media_type`). */
/**
 * Advisory, read and not carried: a cache breakpoint only says where
 * Anthropic should cache a prefix; the other families cache prefixes on
 * their own (OpenAI automatically, Gemini implicitly), and the answer is the
 * same either way. Refusing it would refuse nearly every agent's call.
 */
const CACHE_CONTROL = 'cache_control';

/**
 * Advisory too: how finely Anthropic streams a tool's arguments (the Vercel
 * AI SDK sets it on every streamed tool), not what they are. Other families
 * stream arguments their own way.
 */
const EAGER_INPUT_STREAMING = 'eager_input_streaming';

const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

const REQUEST_KEYS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'output_config',
]);

export function anthropicRequestToNeutral(body: unknown): Translation<NeutralRequest> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, REQUEST_KEYS, '', 'anthropic');
  const toolChoice = readToolChoice(body.tool_choice, refusals);
  const stream = body.stream === true;
  const request: NeutralRequest = {
    model: readString(body, 'model', 'model', refusals) ?? '',
    system: readSystem(body.system, refusals),
    messages: readArray(body, 'messages', 'messages', refusals).map((m, i) =>
      readMessage(m, join('messages', i), refusals),
    ),
    tools: readArray(body, 'tools', 'tools', refusals).flatMap((t, i) =>
      readTool(t, join('tools', i), refusals),
    ),
    toolChoice: toolChoice?.choice,
    parallelToolCalls: toolChoice?.parallel,
    responseFormat: readOutputConfig(body.output_config, refusals),
    stopSequences: readStrings(body, 'stop_sequences', 'stop_sequences', refusals),
    maxOutputTokens: readNumber(body, 'max_tokens', 'max_tokens', refusals),
    stream,
    // An Anthropic stream always carries usage (message_start, message_delta).
    streamUsage: stream,
  };
  return refusals.result(() => request);
}

function readSystem(system: unknown, refusals: Refusals): string[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return [system];
  if (!Array.isArray(system)) {
    refusals.add('system', 'expected a string or text blocks');
    return [];
  }
  return system.map((block, i) => readTextBlock(block, join('system', i), refusals)?.text ?? '');
}

function readTextBlock(block: unknown, at: string, refusals: Refusals): NeutralText | undefined {
  if (!isRecord(block) || block.type !== 'text' || typeof block.text !== 'string') {
    refusals.add(at, 'expected a text block');
    return undefined;
  }
  refusals.unknownKeys(block, new Set(['type', 'text', 'citations', CACHE_CONTROL]), at, 'anthropic');
  if (block.citations !== undefined && block.citations !== null) {
    refusals.add(join(at, 'citations'), 'citations are Anthropic-only');
  }
  return { kind: 'text', text: block.text };
}

function readMessage(message: unknown, at: string, refusals: Refusals): NeutralMessage {
  if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
    refusals.add(at, 'expected a user or assistant message');
    return { role: 'user', parts: [] };
  }
  refusals.unknownKeys(message, new Set(['role', 'content']), at, 'anthropic');
  const content = message.content;
  if (typeof content === 'string') return { role: message.role, parts: [{ kind: 'text', text: content }] };
  const blocks = readArray(message, 'content', join(at, 'content'), refusals);
  return {
    role: message.role,
    parts: blocks.flatMap((b, i) => readBlock(b, join(join(at, 'content'), i), refusals)),
  };
}

export function readBlock(block: unknown, at: string, refusals: Refusals): NeutralPart[] {
  if (!isRecord(block)) {
    refusals.add(at, 'expected a content block');
    return [];
  }
  switch (block.type) {
    case 'text': {
      const text = readTextBlock(block, at, refusals);
      return text ? [text] : [];
    }
    case 'image': {
      const image = readImage(block, at, refusals);
      return image ? [image] : [];
    }
    case 'tool_use':
      refusals.unknownKeys(block, new Set(['type', 'id', 'name', 'input', CACHE_CONTROL]), at, 'anthropic');
      if (!isJsonObject(block.input)) refusals.add(join(at, 'input'), 'expected a JSON object');
      return [
        {
          kind: 'tool-call',
          id: typeof block.id === 'string' ? block.id : '',
          name: typeof block.name === 'string' ? block.name : '',
          arguments: isJsonObject(block.input) ? block.input : {},
        },
      ];
    case 'tool_result': {
      refusals.unknownKeys(
        block,
        new Set(['type', 'tool_use_id', 'content', 'is_error', CACHE_CONTROL]),
        at,
        'anthropic',
      );
      const content = block.content;
      const parts: (NeutralText | NeutralImage)[] =
        typeof content === 'string'
          ? [{ kind: 'text', text: content }]
          : readArray(block, 'content', join(at, 'content'), refusals).flatMap((inner, i) => {
              const innerAt = join(join(at, 'content'), i);
              if (isRecord(inner) && inner.type === 'image') return readImage(inner, innerAt, refusals) ?? [];
              return readTextBlock(inner, innerAt, refusals) ?? [];
            });
      return [
        {
          kind: 'tool-result',
          callId: typeof block.tool_use_id === 'string' ? block.tool_use_id : '',
          content: parts,
          isError: block.is_error === true,
        },
      ];
    }
    default:
      refusals.add(at, `block type ${JSON.stringify(block.type)} is Anthropic-only`);
      return [];
  }
}

function readImage(block: JsonRecord, at: string, refusals: Refusals): NeutralImage | undefined {
  refusals.unknownKeys(block, new Set(['type', 'source', CACHE_CONTROL]), at, 'anthropic');
  const source = block.source;
  if (isRecord(source) && source.type === 'base64') {
    refusals.unknownKeys(source, new Set(['type', 'media_type', 'data']), join(at, 'source'), 'anthropic');
    return {
      kind: 'image',
      source: {
        kind: 'base64',
        mediaType: typeof source.media_type === 'string' ? source.media_type : '',
        data: typeof source.data === 'string' ? source.data : '',
      },
    };
  }
  if (isRecord(source) && source.type === 'url' && typeof source.url === 'string') {
    refusals.unknownKeys(source, new Set(['type', 'url']), join(at, 'source'), 'anthropic');
    return { kind: 'image', source: { kind: 'url', url: source.url } };
  }
  refusals.add(join(at, 'source'), 'only base64 and URL images travel (not Files API ids)');
  return undefined;
}

function readTool(tool: unknown, at: string, refusals: Refusals): NeutralTool[] {
  if (!isRecord(tool) || (tool.type !== undefined && tool.type !== null && tool.type !== 'custom')) {
    refusals.add(at, 'server and client-side Anthropic tools are Anthropic-only');
    return [];
  }
  refusals.unknownKeys(
    tool,
    new Set(['type', 'name', 'description', 'input_schema', CACHE_CONTROL, EAGER_INPUT_STREAMING]),
    at,
    'anthropic',
  );
  if (!isJsonObject(tool.input_schema))
    refusals.add(join(at, 'input_schema'), 'expected a JSON Schema object');
  return [
    {
      name: typeof tool.name === 'string' ? tool.name : '',
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      parameters: isJsonObject(tool.input_schema) ? tool.input_schema : {},
    },
  ];
}

const CHOICE_TO_NEUTRAL: Readonly<Record<string, 'auto' | 'none' | 'required'>> = {
  auto: 'auto',
  none: 'none',
  any: 'required',
};

function readToolChoice(
  choice: unknown,
  refusals: Refusals,
): { choice: NeutralToolChoice; parallel: boolean | undefined } | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (!isRecord(choice) || typeof choice.type !== 'string') {
    refusals.add('tool_choice', 'expected a tool choice object');
    return undefined;
  }
  refusals.unknownKeys(
    choice,
    new Set(['type', 'name', 'disable_parallel_tool_use']),
    'tool_choice',
    'anthropic',
  );
  const disable = choice.disable_parallel_tool_use;
  const parallel = typeof disable === 'boolean' ? !disable : undefined;
  if (choice.type === 'tool' && typeof choice.name === 'string')
    return { choice: { name: choice.name }, parallel };
  const simple = CHOICE_TO_NEUTRAL[choice.type];
  if (simple) return { choice: simple, parallel };
  refusals.add('tool_choice.type', `tool choice ${JSON.stringify(choice.type)} has no counterpart`);
  return undefined;
}

function readOutputConfig(config: unknown, refusals: Refusals): NeutralResponseFormat | undefined {
  if (config === undefined || config === null) return undefined;
  if (!isRecord(config)) {
    refusals.add('output_config', 'expected an object');
    return undefined;
  }
  refusals.unknownKeys(config, new Set(['format']), 'output_config', 'anthropic');
  const format = config.format;
  if (format === undefined || format === null) return undefined;
  if (isRecord(format) && format.type === 'json_schema' && isJsonObject(format.schema)) {
    refusals.unknownKeys(format, new Set(['type', 'schema']), 'output_config.format', 'anthropic');
    return { kind: 'json-schema', schema: format.schema };
  }
  refusals.add('output_config.format', 'expected a json_schema format');
  return undefined;
}

export interface AnthropicRequestOptions {
  /** `max_tokens` when the neutral request sets no cap (default `ANTHROPIC_MAX_TOKENS_WHEN_UNSET`). */
  readonly maxTokensWhenUnset?: number;
}

export function neutralToAnthropicRequest(
  request: NeutralRequest,
  options: AnthropicRequestOptions = {},
): Translation<Body> {
  const refusals = new Refusals();
  if (request.temperature !== undefined)
    refusals.add('temperature', 'Anthropic Messages takes no temperature');
  if (request.topP !== undefined) refusals.add('topP', 'Anthropic Messages takes no top_p');
  if (request.responseFormat?.kind === 'json') {
    refusals.add('responseFormat', 'Anthropic has JSON output only with a schema, not a bare JSON mode');
  }
  const body: Body = {
    model: request.model,
    max_tokens: request.maxOutputTokens ?? options.maxTokensWhenUnset ?? ANTHROPIC_MAX_TOKENS_WHEN_UNSET,
  };
  const [only, ...more] = request.system;
  if (only !== undefined) {
    body.system = more.length === 0 ? only : request.system.map((text) => ({ type: 'text', text }));
  }
  body.messages = request.messages.map((m, i) => writeMessage(m, join('messages', i), refusals));
  if (request.tools.length > 0) body.tools = request.tools.map(writeTool);
  if (request.toolChoice !== undefined || request.parallelToolCalls !== undefined) {
    const choice = writeToolChoice(request.toolChoice ?? 'auto');
    if (request.parallelToolCalls !== undefined)
      choice.disable_parallel_tool_use = !request.parallelToolCalls;
    body.tool_choice = choice;
  }
  if (request.responseFormat?.kind === 'json-schema') {
    body.output_config = { format: { type: 'json_schema', schema: request.responseFormat.schema } };
  }
  if (request.stopSequences.length > 0) body.stop_sequences = [...request.stopSequences];
  if (request.stream) body.stream = true;
  return refusals.result(() => body);
}

function writeMessage(message: NeutralMessage, at: string, refusals: Refusals): Body {
  const only = message.parts[0];
  if (message.parts.length === 1 && only?.kind === 'text') return { role: message.role, content: only.text };
  return {
    role: message.role,
    content: message.parts.map((part, i) => writePart(part, join(join(at, 'parts'), i), refusals)),
  };
}

export function writePart(part: NeutralPart, at: string, refusals: Refusals): Body {
  switch (part.kind) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return writeImage(part, at, refusals);
    case 'tool-call':
      return { type: 'tool_use', id: part.id, name: part.name, input: part.arguments };
    case 'tool-result': {
      const block: Body = { type: 'tool_result', tool_use_id: part.callId };
      const only = part.content[0];
      if (part.content.length === 1 && only?.kind === 'text') block.content = only.text;
      else if (part.content.length > 0) {
        block.content = part.content.map((p, i) =>
          p.kind === 'text'
            ? { type: 'text', text: p.text }
            : writeImage(p, join(join(at, 'content'), i), refusals),
        );
      }
      if (part.isError) block.is_error = true;
      return block;
    }
  }
}

function writeImage(image: NeutralImage, at: string, refusals: Refusals): Body {
  const { source } = image;
  if (source.kind === 'url') return { type: 'image', source: { type: 'url', url: source.url } };
  if (!IMAGE_MEDIA_TYPES.has(source.mediaType)) {
    refusals.add(join(at, 'mediaType'), `Anthropic takes no inline ${source.mediaType} images`);
  }
  return { type: 'image', source: { type: 'base64', media_type: source.mediaType, data: source.data } };
}

function writeTool(tool: NeutralTool): Body {
  const body: Body = { name: tool.name };
  if (tool.description !== undefined) body.description = tool.description;
  body.input_schema = tool.parameters;
  return body;
}

function writeToolChoice(choice: NeutralToolChoice): Body {
  if (typeof choice !== 'string') return { type: 'tool', name: choice.name };
  return { type: choice === 'required' ? 'any' : choice };
}
