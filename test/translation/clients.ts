/**
 * The clients of the matrix, each the real SDK of its family making the
 * same few calls in its own terms: a question (with a system prompt, an
 * image, an output cap; streamed or not), a two-round tool loop that sends
 * the result back in its own format, and a call carrying a parameter no
 * other family takes. Each reads back what its SDK gives in the SDK's own
 * words (stop reason, usage fields), so a test compares them with what the
 * upstream reported.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { APICallError, generateText, jsonSchema, type ModelMessage, streamText, tool } from 'ai';
import OpenAI from 'openai';
import type { Family } from './rig.js';

/** How a client reaches the face: the SDK's base URL, key and `fetch`. */
export interface Connection {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly fetch: typeof fetch;
}

export interface Question {
  readonly group: string;
  readonly text: string;
  readonly system?: string;
  /** Adds `IMAGE` as a base64 part. */
  readonly image?: boolean;
  readonly maxTokens?: number;
  readonly stream: boolean;
}

export interface Usage {
  readonly input: number;
  readonly output: number;
}

export interface Said {
  readonly text: string;
  /** The stop reason in the SDK's own words. */
  readonly stop: string;
  readonly usage: Usage;
}

export interface ToolRound {
  readonly call: { readonly id: string; readonly name: string; readonly args: unknown };
  readonly callStop: string;
  readonly final: Said;
}

/** An SDK error as the caller reads it. */
export interface Raised {
  /** The SDK's error class, e.g. `RateLimitError`, `ApiError`, `APICallError`. */
  readonly kind: string;
  readonly status: number | undefined;
  readonly message: string;
}

export interface Client {
  readonly name: string;
  readonly family: Family;
  /** The SDK's words for: the answer ended, the output cap cut it, it called a tool. */
  readonly stops: { readonly end: string; readonly maxTokens: string; readonly toolCalls: string };
  ask(conn: Connection, question: Question): Promise<Said>;
  toolRound(conn: Connection, group: string, stream: boolean): Promise<ToolRound>;
  /** A parameter of this API that no other family takes, as the refusal names it. */
  readonly untravelable: string;
  askUntravelable(conn: Connection, group: string): Promise<unknown>;
  raised(error: unknown): Raised;
  /** The SDK's error class for an answer of `status`. */
  errorClass(status: number): string;
}

/** A 1×1 PNG. */
export const IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const IMAGE_URL = `data:image/png;base64,${IMAGE_BASE64}`;

export const WEATHER = {
  name: 'get_weather',
  description: 'The weather forecast for a city',
  schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' }, days: { type: 'integer' } },
    required: ['city', 'days'],
  },
  question: 'Weather in Paris for 3 days?',
  /** What the simulator calls it with (README "Tool calls"). */
  args: { city: 'Weather in Paris for 3 days?', days: 3 },
  result: 'Sunny, 24 degrees',
};

/** The error classes of the official `openai` and `@anthropic-ai/sdk` clients, by status. */
function statusClass(status: number): string {
  if (status === 400) return 'BadRequestError';
  if (status === 429) return 'RateLimitError';
  return status >= 500 ? 'InternalServerError' : 'APIError';
}

function sdkError(error: unknown, status: number | undefined): Raised {
  const e = error as Error;
  return { kind: e.constructor.name, status, message: e.message };
}

// --- openai: chat.completions ---

function openaiSdk(conn: Connection): OpenAI {
  return new OpenAI({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch, maxRetries: 0 });
}

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

const openaiClient: Client = {
  name: 'openai',
  family: 'openai',
  stops: { end: 'stop', maxTokens: 'length', toolCalls: 'tool_calls' },
  async ask(conn, q) {
    const messages: ChatMessage[] = [
      ...(q.system ? [{ role: 'system' as const, content: q.system }] : []),
      {
        role: 'user',
        content: q.image
          ? [
              { type: 'text', text: q.text },
              { type: 'image_url', image_url: { url: IMAGE_URL } },
            ]
          : q.text,
      },
    ];
    const body = { model: q.group, messages, max_completion_tokens: q.maxTokens ?? 50 };
    const sdk = openaiSdk(conn);
    if (!q.stream) {
      const c = await sdk.chat.completions.create(body);
      return {
        text: c.choices[0]?.message.content ?? '',
        stop: c.choices[0]?.finish_reason ?? '',
        usage: { input: c.usage?.prompt_tokens ?? -1, output: c.usage?.completion_tokens ?? -1 },
      };
    }
    const stream = await sdk.chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let stop = '';
    let usage: Usage = { input: -1, output: -1 };
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      stop = chunk.choices[0]?.finish_reason ?? stop;
      if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
    }
    return { text, stop, usage };
  },
  async toolRound(conn, group, stream) {
    const sdk = openaiSdk(conn);
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: WEATHER.name, description: WEATHER.description, parameters: WEATHER.schema },
      },
    ];
    const ask = async (messages: ChatMessage[]) => {
      const body = { model: group, messages, tools, max_completion_tokens: 100 };
      return stream
        ? sdk.chat.completions
            .stream({ ...body, stream_options: { include_usage: true } })
            .finalChatCompletion()
        : sdk.chat.completions.create(body);
    };
    const messages: ChatMessage[] = [{ role: 'user', content: WEATHER.question }];
    const first = await ask(messages);
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error(`no function call: ${JSON.stringify(first)}`);
    messages.push(
      { role: 'assistant', content: message?.content ?? null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: WEATHER.result },
    );
    const second = await ask(messages);
    return {
      call: { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) },
      callStop: first.choices[0]?.finish_reason ?? '',
      final: {
        text: second.choices[0]?.message.content ?? '',
        stop: second.choices[0]?.finish_reason ?? '',
        usage: { input: second.usage?.prompt_tokens ?? -1, output: second.usage?.completion_tokens ?? -1 },
      },
    };
  },
  untravelable: 'n',
  askUntravelable: (conn, group) =>
    openaiSdk(conn).chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'Two answers, please' }],
      n: 2,
    }),
  raised: (error) => sdkError(error, error instanceof OpenAI.APIError ? error.status : undefined),
  errorClass: statusClass,
};

// --- @anthropic-ai/sdk: messages ---

function anthropicSdk(conn: Connection): Anthropic {
  return new Anthropic({ baseURL: conn.baseUrl, apiKey: conn.apiKey, fetch: conn.fetch, maxRetries: 0 });
}

function anthropicSaid(m: Anthropic.Message): Said {
  return {
    text: m.content.map((b) => (b.type === 'text' ? b.text : '')).join(''),
    stop: m.stop_reason ?? '',
    usage: {
      input:
        m.usage.input_tokens +
        (m.usage.cache_read_input_tokens ?? 0) +
        (m.usage.cache_creation_input_tokens ?? 0),
      output: m.usage.output_tokens,
    },
  };
}

const anthropicClient: Client = {
  name: 'anthropic',
  family: 'anthropic',
  stops: { end: 'end_turn', maxTokens: 'max_tokens', toolCalls: 'tool_use' },
  async ask(conn, q) {
    const body: Anthropic.MessageCreateParamsNonStreaming = {
      model: q.group,
      max_tokens: q.maxTokens ?? 50,
      ...(q.system && { system: q.system }),
      messages: [
        {
          role: 'user',
          content: q.image
            ? [
                { type: 'text', text: q.text },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE_BASE64 } },
              ]
            : q.text,
        },
      ],
    };
    const sdk = anthropicSdk(conn);
    return anthropicSaid(
      q.stream ? await sdk.messages.stream(body).finalMessage() : await sdk.messages.create(body),
    );
  },
  async toolRound(conn, group, stream) {
    const sdk = anthropicSdk(conn);
    const tools: Anthropic.Tool[] = [
      { name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.schema },
    ];
    const ask = (messages: Anthropic.MessageParam[]) => {
      const body = { model: group, max_tokens: 100, tools, messages };
      return stream ? sdk.messages.stream(body).finalMessage() : sdk.messages.create(body);
    };
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: WEATHER.question }];
    const first = await ask(messages);
    const call = first.content.find((b) => b.type === 'tool_use');
    if (!call) throw new Error(`no tool_use: ${JSON.stringify(first)}`);
    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: WEATHER.result }] },
    );
    const second = await ask(messages);
    return {
      call: { id: call.id, name: call.name, args: call.input },
      callStop: first.stop_reason ?? '',
      final: anthropicSaid(second),
    };
  },
  untravelable: 'thinking',
  askUntravelable: (conn, group) =>
    anthropicSdk(conn).messages.create({
      model: group,
      max_tokens: 2_048,
      thinking: { type: 'enabled', budget_tokens: 1_024 },
      messages: [{ role: 'user', content: 'Think first' }],
    }),
  raised: (error) => sdkError(error, error instanceof Anthropic.APIError ? error.status : undefined),
  errorClass: (status) =>
    status === 503 ? 'ServiceUnavailableError' : status === 529 ? 'OverloadedError' : statusClass(status),
};

// --- @google/genai: models.generateContent ---

function genaiSdk(conn: Connection): GoogleGenAI {
  return new GoogleGenAI({ apiKey: conn.apiKey, httpOptions: { baseUrl: conn.baseUrl, fetch: conn.fetch } });
}

interface GenaiReply {
  readonly text?: string;
  readonly candidates?: { finishReason?: string }[];
  readonly usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
  readonly functionCalls?: { id?: string; name?: string; args?: Record<string, unknown> }[];
}

function genaiSaid(reply: GenaiReply): Said {
  return {
    text: reply.text ?? '',
    stop: reply.candidates?.[0]?.finishReason ?? '',
    usage: {
      input: reply.usageMetadata?.promptTokenCount ?? -1,
      output: reply.usageMetadata?.candidatesTokenCount ?? -1,
    },
  };
}

/** A streamed reply gathered: text joined, the last finish reason, usage and calls seen. */
async function gathered(chunks: AsyncIterable<GenaiReply>): Promise<GenaiReply> {
  let text = '';
  let last: GenaiReply = {};
  const calls: NonNullable<GenaiReply['functionCalls']> = [];
  for await (const chunk of chunks) {
    text += chunk.text ?? '';
    calls.push(...(chunk.functionCalls ?? []));
    last = {
      candidates: chunk.candidates?.[0]?.finishReason ? chunk.candidates : last.candidates,
      usageMetadata: chunk.usageMetadata ?? last.usageMetadata,
    };
  }
  return { ...last, text, functionCalls: calls };
}

const genaiClient: Client = {
  name: 'genai',
  family: 'gemini',
  stops: { end: 'STOP', maxTokens: 'MAX_TOKENS', toolCalls: 'STOP' },
  async ask(conn, q) {
    const params = {
      model: q.group,
      contents: [
        {
          role: 'user',
          parts: [
            { text: q.text },
            ...(q.image ? [{ inlineData: { mimeType: 'image/png', data: IMAGE_BASE64 } }] : []),
          ],
        },
      ],
      config: { maxOutputTokens: q.maxTokens ?? 50, ...(q.system && { systemInstruction: q.system }) },
    };
    const models = genaiSdk(conn).models;
    return genaiSaid(
      q.stream
        ? await gathered(await models.generateContentStream(params))
        : await models.generateContent(params),
    );
  },
  async toolRound(conn, group, stream) {
    const models = genaiSdk(conn).models;
    const config = {
      maxOutputTokens: 100,
      tools: [
        {
          functionDeclarations: [
            { name: WEATHER.name, description: WEATHER.description, parametersJsonSchema: WEATHER.schema },
          ],
        },
      ],
    };
    type Content = { role: string; parts: Record<string, unknown>[] };
    const ask = async (contents: Content[]): Promise<GenaiReply> =>
      stream
        ? gathered(await models.generateContentStream({ model: group, contents, config }))
        : models.generateContent({ model: group, contents, config });
    const contents: Content[] = [{ role: 'user', parts: [{ text: WEATHER.question }] }];
    const first = await ask(contents);
    const call = first.functionCalls?.[0];
    if (!call?.name) throw new Error(`no functionCall: ${JSON.stringify(first)}`);
    contents.push(
      { role: 'model', parts: [{ functionCall: call }] },
      {
        role: 'user',
        parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: WEATHER.result } } }],
      },
    );
    const second = await ask(contents);
    return {
      call: { id: call.id ?? '', name: call.name, args: call.args },
      callStop: first.candidates?.[0]?.finishReason ?? '',
      final: genaiSaid(second),
    };
  },
  untravelable: 'safetySettings',
  askUntravelable: (conn, group) =>
    genaiSdk(conn).models.generateContent({
      model: group,
      contents: 'Anything at all',
      config: {
        safetySettings: [
          {
            category: 'HARM_CATEGORY_HARASSMENT' as never,
            threshold: 'BLOCK_ONLY_HIGH' as never,
          },
        ],
      },
    }),
  raised: (error) => sdkError(error, error instanceof ApiError ? error.status : undefined),
  errorClass: () => 'ApiError',
};

// --- the Vercel AI SDK over its OpenAI (chat) and Anthropic providers ---

type VercelModel = Parameters<typeof generateText>[0]['model'];

function vercelClient(
  name: string,
  family: Family,
  model: (conn: Connection, group: string) => VercelModel,
  untravelable: { parameter: string; options: Record<string, unknown> },
): Client {
  const weather = tool({ description: WEATHER.description, inputSchema: jsonSchema(WEATHER.schema) });
  const run = async (
    conn: Connection,
    group: string,
    stream: boolean,
    settings: { system?: string; messages: ModelMessage[]; maxOutputTokens: number; withTools?: boolean },
  ) => {
    const call = {
      model: model(conn, group),
      maxRetries: 0,
      ...(settings.system && { system: settings.system }),
      messages: settings.messages,
      maxOutputTokens: settings.maxOutputTokens,
      ...(settings.withTools && { tools: { [WEATHER.name]: weather } }),
    };
    if (!stream) return generateText(call);
    let failure: unknown;
    const result = streamText({
      ...call,
      onError: ({ error }) => {
        failure = error;
      },
    });
    const [text, finishReason, usage, toolCalls, response] = await Promise.all([
      result.text,
      result.finishReason,
      result.usage,
      result.toolCalls,
      result.response,
    ]).catch((error: unknown) => {
      throw failure ?? error;
    });
    if (failure) throw failure;
    return { text, finishReason, usage, toolCalls, response };
  };
  const said = (r: Awaited<ReturnType<typeof run>>): Said => ({
    text: r.text,
    stop: r.finishReason,
    usage: { input: r.usage.inputTokens ?? -1, output: r.usage.outputTokens ?? -1 },
  });
  return {
    name,
    family,
    stops: { end: 'stop', maxTokens: 'length', toolCalls: 'tool-calls' },
    async ask(conn, q) {
      const content = q.image
        ? [
            { type: 'text' as const, text: q.text },
            { type: 'image' as const, image: Buffer.from(IMAGE_BASE64, 'base64'), mediaType: 'image/png' },
          ]
        : q.text;
      return said(
        await run(conn, q.group, q.stream, {
          ...(q.system && { system: q.system }),
          messages: [{ role: 'user', content }],
          maxOutputTokens: q.maxTokens ?? 50,
        }),
      );
    },
    async toolRound(conn, group, stream) {
      const messages: ModelMessage[] = [{ role: 'user', content: WEATHER.question }];
      const first = await run(conn, group, stream, { messages, maxOutputTokens: 100, withTools: true });
      const call = first.toolCalls[0];
      if (!call) throw new Error(`no tool call: ${first.finishReason}`);
      messages.push(...first.response.messages, {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output: { type: 'text', value: WEATHER.result },
          },
        ],
      });
      const second = await run(conn, group, stream, { messages, maxOutputTokens: 100, withTools: true });
      return {
        call: { id: call.toolCallId, name: call.toolName, args: call.input },
        callStop: first.finishReason,
        final: said(second),
      };
    },
    untravelable: untravelable.parameter,
    askUntravelable: (conn, group) =>
      generateText({
        model: model(conn, group),
        maxRetries: 0,
        prompt: 'Anything at all',
        maxOutputTokens: 2_048,
        ...untravelable.options,
      }),
    raised: (error) => sdkError(error, APICallError.isInstance(error) ? error.statusCode : undefined),
    errorClass: () => 'APICallError',
  };
}

const vercelOpenai = vercelClient(
  'ai-sdk openai',
  'openai',
  (conn, group) =>
    createOpenAI({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch }).chat(group),
  { parameter: 'seed', options: { seed: 7 } },
);

const vercelAnthropic = vercelClient(
  'ai-sdk anthropic',
  'anthropic',
  (conn, group) =>
    createAnthropic({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch })(group),
  {
    parameter: 'thinking',
    options: { providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1_024 } } } },
  },
);

export const CLIENTS: readonly Client[] = [
  openaiClient,
  anthropicClient,
  genaiClient,
  vercelOpenai,
  vercelAnthropic,
];
