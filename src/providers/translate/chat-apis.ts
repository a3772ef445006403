/**
 * The chat APIs a call can cross between, one table each: which endpoint and
 * upstream path a translated call takes, how its request and answer are read
 * into the neutral chat call and written back out, and which stream format
 * its streamed answer has. The runtime picks a table by the caller's
 * endpoint (reading) and by the deployment's family (writing); nothing else
 * switches on "which chat API".
 */
import type { Endpoint } from '../adapter.js';
import type { ApiFamily } from '../api-family.js';
import { anthropicRequestToNeutral, neutralToAnthropicRequest } from './anthropic-messages.js';
import { anthropicAnswerToNeutral, neutralToAnthropicAnswer } from './anthropic-messages-answer.js';
import { geminiRequestToNeutral, neutralToGeminiRequest } from './gemini-generate.js';
import { geminiAnswerToNeutral, neutralToGeminiAnswer } from './gemini-generate-answer.js';
import type { JsonValue, NeutralAnswer, NeutralRequest } from './neutral.js';
import { neutralToOpenAIChatRequest, openAIChatRequestToNeutral } from './openai-chat.js';
import { neutralToOpenAIChatAnswer, openAIChatAnswerToNeutral } from './openai-chat-answer.js';
import { neutralToOpenAIResponsesRequest, openAIResponsesRequestToNeutral } from './openai-responses.js';
import { neutralToOpenAIResponsesAnswer, openAIResponsesAnswerToNeutral } from './openai-responses-answer.js';
import type { StreamFormat } from './stream/stream-translation.js';
import type { Translation } from './translation.js';

export type ChatApi = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'gemini-generate';

export type JsonBody = { [key: string]: JsonValue };

/** What a caller's request says beside its body. */
export interface ChatRequestInput {
  readonly body: unknown;
  /** The model the path names (Gemini); the body names it elsewhere. */
  readonly model: string | undefined;
  /** The call streams (Gemini says so by its endpoint). */
  readonly stream: boolean;
}

/** A request written for an upstream: endpoint, path (under the API root), query and body. */
export interface ChatRequestOutput {
  readonly endpoint: Endpoint;
  readonly pathname: string;
  readonly query: string;
  readonly body: JsonBody;
}

export interface WriteRequestOptions {
  /** The model the upstream is asked for (the deployment's `model`). */
  readonly model: string;
  /** Anthropic `max_tokens` when the caller set no cap. */
  readonly maxTokensWhenUnset?: number | undefined;
}

export interface WriteAnswerOptions {
  /** Unix seconds, for families whose answer carries a creation time the upstream did not give. */
  readonly nowSeconds: number;
}

export interface ChatApiTable {
  readonly api: ChatApi;
  readonly family: ApiFamily;
  readRequest(input: ChatRequestInput): Translation<NeutralRequest>;
  writeRequest(request: NeutralRequest, options: WriteRequestOptions): Translation<ChatRequestOutput>;
  readAnswer(body: unknown): Translation<NeutralAnswer>;
  writeAnswer(answer: NeutralAnswer, options: WriteAnswerOptions): Translation<JsonBody>;
  /** The stream format of this API's streamed answers (`query`: the caller's query string, for Gemini's `alt`). */
  streamFormat(query: string): StreamFormat;
  /**
   * What this API calls a neutral request field, so a parameter another
   * API refuses is named in the caller's own words (`topP` → `top_p`).
   */
  readonly parameters: Readonly<Partial<Record<keyof NeutralRequest, string>>>;
}

/** A refusal's parameter in the caller's words: its leading neutral field renamed by `api`. */
export function callerParameter(api: ChatApiTable, parameter: string): string {
  const end = parameter.search(/[.[]/);
  const head = (end < 0 ? parameter : parameter.slice(0, end)) as keyof NeutralRequest;
  const named = api.parameters[head];
  return named === undefined ? parameter : named + (end < 0 ? '' : parameter.slice(end));
}

const OPENAI_CHAT: ChatApiTable = Object.freeze({
  api: 'openai-chat',
  family: 'openai',
  readRequest: (input: ChatRequestInput) => openAIChatRequestToNeutral(input.body),
  writeRequest: (request: NeutralRequest, options: WriteRequestOptions) =>
    mapped(neutralToOpenAIChatRequest({ ...request, model: options.model }), (body) => ({
      endpoint: 'chat_completions' as const,
      pathname: '/v1/chat/completions',
      query: '',
      body,
    })),
  readAnswer: openAIChatAnswerToNeutral,
  writeAnswer: (answer: NeutralAnswer, options: WriteAnswerOptions) =>
    neutralToOpenAIChatAnswer(answer, { nowSeconds: options.nowSeconds }),
  streamFormat: () => 'openai-chat' as const,
  parameters: {
    system: 'messages',
    topP: 'top_p',
    stopSequences: 'stop',
    maxOutputTokens: 'max_completion_tokens',
    responseFormat: 'response_format',
    parallelToolCalls: 'parallel_tool_calls',
    toolChoice: 'tool_choice',
  },
});

/** A caller's API only: a call crossing to an OpenAI-family deployment is written as Chat Completions, which every OpenAI-style provider serves. */
const OPENAI_RESPONSES: ChatApiTable = Object.freeze({
  api: 'openai-responses',
  family: 'openai',
  readRequest: (input: ChatRequestInput) => openAIResponsesRequestToNeutral(input.body),
  writeRequest: (request: NeutralRequest, options: WriteRequestOptions) =>
    mapped(neutralToOpenAIResponsesRequest({ ...request, model: options.model }), (body) => ({
      endpoint: 'responses' as const,
      pathname: '/v1/responses',
      query: '',
      body,
    })),
  readAnswer: openAIResponsesAnswerToNeutral,
  writeAnswer: (answer: NeutralAnswer, options: WriteAnswerOptions) =>
    neutralToOpenAIResponsesAnswer(answer, { nowSeconds: options.nowSeconds }),
  streamFormat: () => 'openai-responses' as const,
  parameters: {
    system: 'instructions',
    messages: 'input',
    topP: 'top_p',
    maxOutputTokens: 'max_output_tokens',
    responseFormat: 'text.format',
    parallelToolCalls: 'parallel_tool_calls',
    toolChoice: 'tool_choice',
  },
});

const ANTHROPIC_MESSAGES: ChatApiTable = Object.freeze({
  api: 'anthropic-messages',
  family: 'anthropic',
  readRequest: (input: ChatRequestInput) => anthropicRequestToNeutral(input.body),
  writeRequest: (request: NeutralRequest, options: WriteRequestOptions) =>
    mapped(
      neutralToAnthropicRequest(
        { ...request, model: options.model },
        { maxTokensWhenUnset: options.maxTokensWhenUnset },
      ),
      (body) => ({ endpoint: 'messages' as const, pathname: '/v1/messages', query: '', body }),
    ),
  readAnswer: anthropicAnswerToNeutral,
  writeAnswer: (answer: NeutralAnswer) => neutralToAnthropicAnswer(answer),
  streamFormat: () => 'anthropic-messages' as const,
  parameters: {
    topP: 'top_p',
    stopSequences: 'stop_sequences',
    maxOutputTokens: 'max_tokens',
    responseFormat: 'output_config.format',
    parallelToolCalls: 'tool_choice.disable_parallel_tool_use',
    toolChoice: 'tool_choice',
  },
});

const GEMINI_GENERATE: ChatApiTable = Object.freeze({
  api: 'gemini-generate',
  family: 'gemini',
  readRequest: (input: ChatRequestInput) =>
    geminiRequestToNeutral({ model: input.model ?? '', stream: input.stream, body: input.body }),
  writeRequest: (request: NeutralRequest, options: WriteRequestOptions) =>
    mapped(neutralToGeminiRequest({ ...request, model: options.model }), (out) => ({
      endpoint: out.stream ? ('stream_generate_content' as const) : ('generate_content' as const),
      pathname: `/v1beta/models/${options.model}:${out.stream ? 'streamGenerateContent' : 'generateContent'}`,
      // Always SSE upstream: one framing to read, whatever the caller asked for.
      query: out.stream ? '?alt=sse' : '',
      body: out.body,
    })),
  readAnswer: geminiAnswerToNeutral,
  writeAnswer: (answer: NeutralAnswer) => neutralToGeminiAnswer(answer),
  streamFormat: (query: string) => (/(?:^|[?&])alt=sse(?:&|$)/.test(query) ? 'gemini-sse' : 'gemini-json'),
  parameters: {
    system: 'systemInstruction',
    messages: 'contents',
    temperature: 'generationConfig.temperature',
    topP: 'generationConfig.topP',
    stopSequences: 'generationConfig.stopSequences',
    maxOutputTokens: 'generationConfig.maxOutputTokens',
    responseFormat: 'generationConfig.responseMimeType',
    toolChoice: 'toolConfig',
  },
});

const BY_ENDPOINT: Partial<Record<Endpoint, ChatApiTable>> = {
  chat_completions: OPENAI_CHAT,
  responses: OPENAI_RESPONSES,
  messages: ANTHROPIC_MESSAGES,
  generate_content: GEMINI_GENERATE,
  stream_generate_content: GEMINI_GENERATE,
};

const BY_FAMILY: Readonly<Record<ApiFamily, ChatApiTable>> = Object.freeze({
  openai: OPENAI_CHAT,
  anthropic: ANTHROPIC_MESSAGES,
  gemini: GEMINI_GENERATE,
});

/** The chat API a caller's endpoint is, or undefined when the endpoint is not a chat call that can cross families. */
export function chatApiOfEndpoint(endpoint: Endpoint): ChatApiTable | undefined {
  return BY_ENDPOINT[endpoint];
}

/** The chat API a call to a deployment of `family` is written in. */
export function chatApiOfFamily(family: ApiFamily): ChatApiTable {
  return BY_FAMILY[family];
}

function mapped<A, B>(translation: Translation<A>, map: (value: A) => B): Translation<B> {
  return translation.ok ? { ok: true, value: map(translation.value) } : translation;
}
