/**
 * Gemini `models/{model}:generateContent` (and `:streamGenerateContent`) ⇄
 * the neutral chat call. Field names are the REST body's, as the
 * `@google/genai` SDK's converters write them (`generationConfig`,
 * `systemInstruction`, `functionDeclarations[].parametersJsonSchema`).
 * The model and the stream flag live in the path, so a Gemini call here is
 * `{ model, stream, body }`. The answer is in `gemini-generate-answer.ts`.
 *
 * Tool call ids: Gemini may leave `functionCall.id` out. A call without one
 * gets `gemini-call-<content index>-<part index>` (stable while the history
 * grows), and a `functionResponse` without one is paired with the first
 * unanswered call of the same name in the turn before it. Ids always go out
 * to Gemini, which echoes them.
 */
import { isJsonObject, isRecord, type JsonRecord, readArray, readNumber, readStrings } from './json-read.js';
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

export interface GeminiCall {
  /** The model named in the path. */
  readonly model: string;
  /** `:streamGenerateContent` rather than `:generateContent`. */
  readonly stream: boolean;
  readonly body: unknown;
}

export interface GeminiCallOut {
  readonly model: string;
  readonly stream: boolean;
  readonly body: Body;
}

const REQUEST_KEYS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig']);
const GENERATION_KEYS = new Set([
  'temperature',
  'topP',
  'maxOutputTokens',
  'stopSequences',
  'responseMimeType',
  'responseJsonSchema',
  'candidateCount',
]);
/** Gemini's documented limit on `stopSequences`. */
const MAX_STOP_SEQUENCES = 5;

/**
 * Advisory, read and not carried: Gemini's `thoughtSignature` is an opaque
 * token only Gemini reads (its SDK sends it back in every later turn).
 * Another family needs nothing in its place; a Gemini deployment reached from
 * another API never gets it back, which Gemini 3's function calling may
 * refuse upstream (TABLE.md).
 */
const THOUGHT_SIGNATURE = 'thoughtSignature';
const TEXT_KEYS = new Set(['text', THOUGHT_SIGNATURE]);
const FUNCTION_CALL_KEYS = new Set(['functionCall', THOUGHT_SIGNATURE]);

export function geminiRequestToNeutral(call: GeminiCall): Translation<NeutralRequest> {
  const refusals = new Refusals();
  const { body } = call;
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, REQUEST_KEYS, '', 'gemini');
  const config: JsonRecord = isRecord(body.generationConfig) ? body.generationConfig : {};
  refusals.unknownKeys(config, GENERATION_KEYS, 'generationConfig', 'gemini');
  const candidates = readNumber(config, 'candidateCount', 'generationConfig.candidateCount', refusals);
  if (candidates !== undefined && candidates !== 1) {
    refusals.add('generationConfig.candidateCount', 'only Gemini and OpenAI answer with several candidates');
  }
  const choice = readToolConfig(body.toolConfig, refusals);
  const request: NeutralRequest = {
    model: call.model,
    system: readSystem(body.systemInstruction, refusals),
    messages: readContents(readArray(body, 'contents', 'contents', refusals), refusals),
    tools: readArray(body, 'tools', 'tools', refusals).flatMap((t, i) =>
      readTools(t, join('tools', i), refusals),
    ),
    toolChoice: choice,
    responseFormat: readResponseFormat(config, refusals),
    temperature: readNumber(config, 'temperature', 'generationConfig.temperature', refusals),
    topP: readNumber(config, 'topP', 'generationConfig.topP', refusals),
    stopSequences: readStrings(config, 'stopSequences', 'generationConfig.stopSequences', refusals),
    maxOutputTokens: readNumber(config, 'maxOutputTokens', 'generationConfig.maxOutputTokens', refusals),
    stream: call.stream,
    // A Gemini stream carries usageMetadata in its chunks.
    streamUsage: call.stream,
  };
  return refusals.result(() => request);
}

function readSystem(instruction: unknown, refusals: Refusals): string[] {
  if (instruction === undefined || instruction === null) return [];
  if (!isRecord(instruction)) {
    refusals.add('systemInstruction', 'expected a Content object');
    return [];
  }
  refusals.unknownKeys(instruction, new Set(['parts', 'role']), 'systemInstruction', 'gemini');
  return readArray(instruction, 'parts', 'systemInstruction.parts', refusals).map((part, i) => {
    const at = join('systemInstruction.parts', i);
    if (isRecord(part) && typeof part.text === 'string') {
      refusals.unknownKeys(part, new Set(['text']), at, 'gemini');
      return part.text;
    }
    refusals.add(at, 'a system instruction travels as text only');
    return '';
  });
}

function readContents(contents: readonly unknown[], refusals: Refusals): NeutralMessage[] {
  const out: NeutralMessage[] = [];
  // Calls of the latest model turn not yet answered, for responses that carry no id.
  let open: NeutralToolCall[] = [];
  contents.forEach((content, c) => {
    const at = join('contents', c);
    if (!isRecord(content)) {
      refusals.add(at, 'expected a Content object');
      return;
    }
    refusals.unknownKeys(content, new Set(['role', 'parts']), at, 'gemini');
    const role = content.role === 'model' ? 'assistant' : 'user';
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
      refusals.add(join(at, 'role'), `role ${JSON.stringify(content.role)} has no counterpart`);
    }
    const parts: NeutralPart[] = [];
    readArray(content, 'parts', join(at, 'parts'), refusals).forEach((part, p) => {
      const partAt = join(join(at, 'parts'), p);
      if (role === 'assistant' && isRecord(part) && isRecord(part.functionCall)) {
        const call = readFunctionCall(part, partAt, `gemini-call-${c}-${p}`, refusals);
        if (call) parts.push(call);
        return;
      }
      if (role === 'user' && isRecord(part) && isRecord(part.functionResponse)) {
        const result = readFunctionResponse(part.functionResponse, partAt, open, refusals);
        if (result) parts.push(result);
        return;
      }
      const media = readMediaPart(part, partAt, refusals);
      if (media) parts.push(media);
    });
    if (role === 'assistant') open = parts.filter((p): p is NeutralToolCall => p.kind === 'tool-call');
    out.push({ role, parts });
  });
  return out;
}

export function readMediaPart(
  part: unknown,
  at: string,
  refusals: Refusals,
): NeutralText | NeutralImage | undefined {
  if (!isRecord(part)) {
    refusals.add(at, 'expected a Part object');
    return undefined;
  }
  if (typeof part.text === 'string') {
    refusals.unknownKeys(part, TEXT_KEYS, at, 'gemini');
    return { kind: 'text', text: part.text };
  }
  if (isRecord(part.inlineData)) {
    refusals.unknownKeys(part, new Set(['inlineData']), at, 'gemini');
    const { mimeType, data } = part.inlineData;
    if (typeof mimeType !== 'string' || !mimeType.startsWith('image/') || typeof data !== 'string') {
      refusals.add(join(at, 'inlineData'), 'only inline images travel');
      return undefined;
    }
    return { kind: 'image', source: { kind: 'base64', mediaType: mimeType, data } };
  }
  if (isRecord(part.fileData)) {
    refusals.unknownKeys(part, new Set(['fileData']), at, 'gemini');
    const { mimeType, fileUri } = part.fileData;
    const uploaded = typeof fileUri === 'string' && fileUri.includes('generativelanguage.googleapis.com/');
    if (
      typeof fileUri !== 'string' ||
      uploaded ||
      (typeof mimeType === 'string' && !mimeType.startsWith('image/'))
    ) {
      refusals.add(join(at, 'fileData'), 'only image URLs travel (not Files API uploads)');
      return undefined;
    }
    return {
      kind: 'image',
      source: { kind: 'url', url: fileUri, ...(typeof mimeType === 'string' ? { mediaType: mimeType } : {}) },
    };
  }
  refusals.add(at, `part ${JSON.stringify(Object.keys(part))} is Gemini-only`);
  return undefined;
}

export function readFunctionCall(
  part: JsonRecord,
  at: string,
  fallbackId: string,
  refusals: Refusals,
): NeutralToolCall | undefined {
  refusals.unknownKeys(part, FUNCTION_CALL_KEYS, at, 'gemini');
  const call = part.functionCall;
  if (!isRecord(call)) return undefined;
  refusals.unknownKeys(call, new Set(['id', 'name', 'args']), join(at, 'functionCall'), 'gemini');
  const args = call.args ?? {};
  if (!isJsonObject(args)) refusals.add(join(at, 'functionCall.args'), 'expected a JSON object');
  return {
    kind: 'tool-call',
    id: typeof call.id === 'string' && call.id !== '' ? call.id : fallbackId,
    name: typeof call.name === 'string' ? call.name : '',
    arguments: isJsonObject(args) ? args : {},
  };
}

/** `{ output }` and `{ error }` are the response shapes Gemini documents; any other object travels as JSON text. */
function readFunctionResponse(
  response: JsonRecord,
  at: string,
  open: NeutralToolCall[],
  refusals: Refusals,
): NeutralToolResult | undefined {
  refusals.unknownKeys(response, new Set(['id', 'name', 'response']), join(at, 'functionResponse'), 'gemini');
  const name = typeof response.name === 'string' ? response.name : '';
  const index =
    typeof response.id === 'string' && response.id !== ''
      ? open.findIndex((c) => c.id === response.id)
      : open.findIndex((c) => c.name === name);
  const id = typeof response.id === 'string' && response.id !== '' ? response.id : open[index]?.id;
  if (id === undefined) {
    refusals.add(
      join(at, 'functionResponse'),
      `no functionCall of ${JSON.stringify(name)} before it to pair with`,
    );
    return undefined;
  }
  if (index >= 0) open.splice(index, 1);
  const body = isRecord(response.response) ? response.response : {};
  const keys = Object.keys(body);
  const only = keys.length === 1 ? keys[0] : undefined;
  const value = only === undefined ? undefined : body[only];
  if ((only === 'output' || only === 'error') && typeof value === 'string') {
    return {
      kind: 'tool-result',
      callId: id,
      content: [{ kind: 'text', text: value }],
      isError: only === 'error',
    };
  }
  return {
    kind: 'tool-result',
    callId: id,
    content: [{ kind: 'text', text: JSON.stringify(body) }],
    isError: false,
  };
}

function readTools(tool: unknown, at: string, refusals: Refusals): NeutralTool[] {
  if (!isRecord(tool)) {
    refusals.add(at, 'expected a Tool object');
    return [];
  }
  refusals.unknownKeys(tool, new Set(['functionDeclarations']), at, 'gemini');
  return readArray(tool, 'functionDeclarations', join(at, 'functionDeclarations'), refusals).flatMap(
    (decl, i) => {
      const declAt = join(join(at, 'functionDeclarations'), i);
      if (!isRecord(decl)) {
        refusals.add(declAt, 'expected a FunctionDeclaration');
        return [];
      }
      // `parameters` is Gemini's OpenAPI subset (upper-case types); only JSON Schema travels as is.
      refusals.unknownKeys(decl, new Set(['name', 'description', 'parametersJsonSchema']), declAt, 'gemini');
      const schema = decl.parametersJsonSchema ?? { type: 'object', properties: {} };
      if (!isJsonObject(schema))
        refusals.add(join(declAt, 'parametersJsonSchema'), 'expected a JSON Schema object');
      return [
        {
          name: typeof decl.name === 'string' ? decl.name : '',
          ...(typeof decl.description === 'string' ? { description: decl.description } : {}),
          parameters: isJsonObject(schema) ? schema : {},
        },
      ];
    },
  );
}

function readToolConfig(config: unknown, refusals: Refusals): NeutralToolChoice | undefined {
  if (config === undefined || config === null) return undefined;
  const calling = isRecord(config) ? config.functionCallingConfig : undefined;
  if (!isRecord(config) || !isRecord(calling)) {
    refusals.add('toolConfig', 'only functionCallingConfig travels');
    return undefined;
  }
  refusals.unknownKeys(config, new Set(['functionCallingConfig']), 'toolConfig', 'gemini');
  const at = 'toolConfig.functionCallingConfig';
  refusals.unknownKeys(calling, new Set(['mode', 'allowedFunctionNames']), at, 'gemini');
  const names = readArray(calling, 'allowedFunctionNames', join(at, 'allowedFunctionNames'), refusals);
  const [name, ...more] = names;
  if (calling.mode === 'ANY' && typeof name === 'string' && more.length === 0) return { name };
  if (names.length > 0)
    refusals.add(join(at, 'allowedFunctionNames'), 'only one allowed function with mode ANY travels');
  if (calling.mode === 'AUTO' || calling.mode === undefined) return 'auto';
  if (calling.mode === 'NONE') return 'none';
  if (calling.mode === 'ANY') return 'required';
  refusals.add(join(at, 'mode'), `mode ${JSON.stringify(calling.mode)} has no counterpart`);
  return undefined;
}

function readResponseFormat(config: JsonRecord, refusals: Refusals): NeutralResponseFormat | undefined {
  const mime = config.responseMimeType;
  const schema = config.responseJsonSchema;
  if (mime === undefined || mime === 'text/plain') {
    if (schema !== undefined)
      refusals.add('generationConfig.responseJsonSchema', 'needs responseMimeType application/json');
    return undefined;
  }
  if (mime !== 'application/json') {
    refusals.add('generationConfig.responseMimeType', `${JSON.stringify(mime)} output is Gemini-only`);
    return undefined;
  }
  if (schema === undefined) return { kind: 'json' };
  if (!isJsonObject(schema)) {
    refusals.add('generationConfig.responseJsonSchema', 'expected a JSON Schema object');
    return undefined;
  }
  return { kind: 'json-schema', schema };
}

/** Image URL extensions whose media type Gemini needs and a URL alone does not say. */
const URL_MEDIA_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

export function neutralToGeminiRequest(request: NeutralRequest): Translation<GeminiCallOut> {
  const refusals = new Refusals();
  if (request.parallelToolCalls === false) {
    refusals.add('parallelToolCalls', 'Gemini cannot be held to one tool call per turn');
  }
  const body: Body = {};
  if (request.system.length > 0) body.systemInstruction = { parts: request.system.map((text) => ({ text })) };
  const names = new Map<string, string>();
  body.contents = request.messages.map((message, m) => ({
    role: message.role === 'assistant' ? 'model' : 'user',
    parts: message.parts.map((part, p) =>
      writePart(part, join(join(join('messages', m), 'parts'), p), names, refusals),
    ),
  }));
  if (request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          parametersJsonSchema: tool.parameters,
        })),
      },
    ];
  }
  if (request.toolChoice !== undefined)
    body.toolConfig = { functionCallingConfig: writeToolChoice(request.toolChoice) };
  const config: Body = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens;
  if (request.stopSequences.length > MAX_STOP_SEQUENCES) {
    refusals.add('stopSequences', `Gemini takes at most ${MAX_STOP_SEQUENCES} stop sequences`);
  }
  if (request.stopSequences.length > 0) config.stopSequences = [...request.stopSequences];
  if (request.responseFormat) {
    config.responseMimeType = 'application/json';
    if (request.responseFormat.kind === 'json-schema')
      config.responseJsonSchema = request.responseFormat.schema;
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return refusals.result(() => ({ model: request.model, stream: request.stream, body }));
}

export function writePart(
  part: NeutralPart,
  at: string,
  names: Map<string, string>,
  refusals: Refusals,
): Body {
  switch (part.kind) {
    case 'text':
      return { text: part.text };
    case 'image':
      return writeImage(part, at, refusals);
    case 'tool-call':
      names.set(part.id, part.name);
      return { functionCall: { id: part.id, name: part.name, args: part.arguments } };
    case 'tool-result': {
      const name = names.get(part.callId);
      if (name === undefined)
        refusals.add(at, `tool result ${JSON.stringify(part.callId)} answers no earlier call`);
      if (part.content.some((c) => c.kind === 'image'))
        refusals.add(at, 'a Gemini function response holds text only');
      const text = part.content.map((c) => (c.kind === 'text' ? c.text : '')).join('');
      return {
        functionResponse: {
          id: part.callId,
          name: name ?? '',
          response: part.isError ? { error: text } : { output: text },
        },
      };
    }
  }
}

function writeImage(image: NeutralImage, at: string, refusals: Refusals): Body {
  const { source } = image;
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  const extension = /\.([a-z]+)(?:[?#].*)?$/i.exec(source.url)?.[1]?.toLowerCase();
  const mimeType = source.mediaType ?? (extension === undefined ? undefined : URL_MEDIA_TYPES[extension]);
  if (mimeType === undefined) refusals.add(at, 'Gemini needs an image URL whose media type is known');
  return { fileData: { mimeType: mimeType ?? '', fileUri: source.url } };
}

function writeToolChoice(choice: NeutralToolChoice): Body {
  if (typeof choice !== 'string') return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  return { mode: choice === 'required' ? 'ANY' : choice.toUpperCase() };
}
