/**
 * `POST /v1/chat/completions` and the legacy `POST /v1/completions`
 * (PROVIDERS.md §1.5 admission estimate, §1.8 streaming usage, §8.1, §8.7).
 */
import type { SimulatorConfig } from '../../config.js';
import type { Answer } from '../../content.js';
import type { Call, CallIds, Headers, InputUsage, Reply, StreamFrames, UsageReport } from '../../flavour.js';
import { NO_CACHE } from '../../flavour.js';
import { type FramedMessage, openaiChatTokens, openaiTokens } from '../../tokens.js';
import { decideTool } from '../../tool-calls.js';
import { arr, count, isObject, type JsonObject, str, textOf } from '../json.js';
import { defaultMaxTokens } from './openai-models.js';
import { chatToolOffer, openaiUnknownTool } from './openai-tools.js';
import {
  MAX_STRING_CHARS,
  openaiBadCount,
  openaiInvalid,
  openaiInvalidValue,
  openaiStringTooLong,
  openaiWrongType,
} from './openai-wire.js';

const FINGERPRINT = 'fp_simulated';
/** OpenAI's upper bound for `n`. */
const MAX_CHOICES = 128;
/** The roles Chat Completions accepts, in the order its 400 lists them. */
const CHAT_ROLES: readonly string[] = Object.freeze([
  'system',
  'assistant',
  'user',
  'function',
  'tool',
  'developer',
]);

/**
 * What the API checks in a message before anything is counted: a known
 * `role`, and a `content` string within bounds (a 200,000-character role
 * would otherwise be tokenized, and answered as if it were a role).
 */
function invalidMessage(m: JsonObject, i: number, headers: Headers): Reply | undefined {
  const param = `messages[${i}].role`;
  if (m.role === undefined)
    return openaiInvalid(
      `Missing required parameter: '${param}'.`,
      headers,
      param,
      'missing_required_parameter',
    );
  if (typeof m.role !== 'string') return openaiWrongType(param, 'a string', m.role, headers);
  if (!CHAT_ROLES.includes(m.role)) return openaiInvalidValue(m.role, CHAT_ROLES, param, headers);
  if (typeof m.content === 'string' && m.content.length > MAX_STRING_CHARS)
    return openaiStringTooLong(`messages[${i}].content`, MAX_STRING_CHARS, m.content.length, headers);
  return undefined;
}

function tooManyChoices(n: number, headers: Headers): Reply {
  return openaiInvalid(
    `Invalid 'n': integer above maximum value. Expected a value <= ${MAX_CHOICES}, but got ${n} instead.`,
    headers,
    'n',
    'integer_above_max_value',
  );
}

/**
 * The tier a Chat Completions or Responses request asks for: `auto` or none
 * is the project's default, served and reported as `default` (PROVIDERS.md
 * "2026 changes"); any other value is echoed as sent.
 */
export function askedTier(body: JsonObject): string {
  const tier = str(body.service_tier);
  return tier === undefined || tier === 'auto' ? 'default' : tier;
}

/** The tier an OpenAI answer reports: the one that served it. */
export function servedTier(ids: CallIds): string {
  return ids.serviceTier ?? 'default';
}

export function usageJson(usage: UsageReport): string {
  const input = usage.input.tokens;
  return `{"prompt_tokens":${input},"completion_tokens":${usage.output},"total_tokens":${input + usage.output},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`;
}

function input(tokens: number): InputUsage {
  return { tokens, ...NO_CACHE };
}

function outputMode(config: SimulatorConfig) {
  return config.openai.reconcile ? ('reconcile' as const) : ('keep' as const);
}

export function parseChat(body: JsonObject, config: SimulatorConfig, headers: Headers): Call | Reply {
  const model = str(body.model);
  if (!model) return openaiInvalid('you must provide a model parameter', headers);
  const messages = arr(body.messages);
  if (!messages)
    return openaiInvalid(
      "Missing required parameter: 'messages'.",
      headers,
      'messages',
      'missing_required_parameter',
    );
  if (messages.length === 0) {
    return openaiInvalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      headers,
      'messages',
      'empty_array',
    );
  }
  for (const name of ['max_tokens', 'max_completion_tokens', 'n']) {
    const bad = openaiBadCount(body, name, headers);
    if (bad) return bad;
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return openaiInvalid(
      `Invalid type for 'stream': expected a boolean, but got a ${typeof body.stream} instead.`,
      headers,
      'stream',
      'invalid_type',
    );
  }
  const framed: FramedMessage[] = [];
  let echo = '';
  for (const [i, m] of messages.entries()) {
    if (!isObject(m)) {
      const got = m === null ? 'null' : Array.isArray(m) ? 'an array' : `a ${typeof m}`;
      return openaiInvalid(
        `Invalid type for 'messages[${i}]': expected an object, but got ${got} instead.`,
        headers,
        `messages[${i}]`,
        'invalid_type',
      );
    }
    const invalid = invalidMessage(m, i, headers);
    if (invalid) return invalid;
    const role = m.role as string;
    let text = textOf(m.content);
    if (Array.isArray(m.tool_calls)) text += JSON.stringify(m.tool_calls);
    framed.push({ role, text, name: str(m.name) });
    if (role === 'user') echo = text;
  }
  // Tool and schema definitions cost tokens too; their exact framing is not public, so count their JSON.
  const extra = body.tools !== undefined ? JSON.stringify(body.tools) : '';
  const prompt = openaiChatTokens(framed, model, extra);
  const choices = count(body.n) || 1;
  if (choices > MAX_CHOICES) return tooManyChoices(choices, headers);
  const cap = count(body.max_completion_tokens) ?? count(body.max_tokens);
  const stream = body.stream === true;
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  const tool = decideTool(chatToolOffer(body, messages));
  if (tool.kind === 'unknown') return openaiUnknownTool(tool.name, headers);
  return {
    endpoint: 'chat',
    model,
    scopeModel: model,
    stream,
    cost: {
      requests: 1,
      input: prompt,
      output: choices * (cap ?? defaultMaxTokens(model, config.openai)),
      outputMode: outputMode(config),
    },
    input: input(prompt),
    maxOutput: cap,
    choices,
    echo,
    generates: true,
    ...(tool.kind === 'call' && { tool: tool.tool }),
    serviceTier: askedTier(body),
    render: chatRenderer(model, choices, includeUsage),
  };
}

/** Chat's `finish_reason` for each way an answer ends. */
const CHAT_FINISH = { stop: 'stop', length: 'length', tool_call: 'tool_calls' } as const;

/** A tool call's id: `call_` and 24 characters, derived from the request id. */
export function openaiCallId(ids: CallIds): string {
  return `call_${ids.requestId.slice(4, 28)}`;
}

function chatRenderer(model: string, choices: number, includeUsage: boolean) {
  return {
    body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string {
      const call = answer.toolCall;
      // A tool call leaves `content` null and carries the call (the SDK's `ChatCompletionMessageFunctionToolCall`).
      const message = call
        ? `{"role":"assistant","content":null,"tool_calls":[{"id":"${openaiCallId(ids)}","type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":${JSON.stringify(call.arguments)}}}],"refusal":null,"annotations":[]}`
        : `{"role":"assistant","content":${JSON.stringify(answer.text)},"refusal":null,"annotations":[]}`;
      const list: string[] = [];
      for (let i = 0; i < choices; i++) {
        list.push(
          `{"index":${i},"message":${message},"logprobs":null,"finish_reason":"${CHAT_FINISH[answer.finish]}"}`,
        );
      }
      const usageField = usage ? `,"usage":${usageJson(usage)}` : '';
      return `{"id":"chatcmpl-${ids.requestId.slice(4)}","object":"chat.completion","created":${ids.created},"model":${JSON.stringify(model)},"choices":[${list.join(',')}]${usageField},"service_tier":${JSON.stringify(servedTier(ids))},"system_fingerprint":"${FINGERPRINT}"}`;
    },
    stream(ids: CallIds, answer: Answer): StreamFrames {
      const head = `{"id":"chatcmpl-${ids.requestId.slice(4)}","object":"chat.completion.chunk","created":${ids.created},"model":${JSON.stringify(model)},"service_tier":${JSON.stringify(servedTier(ids))},"system_fingerprint":"${FINGERPRINT}","choices":[`;
      // With include_usage every chunk carries `"usage":null` and a last one the totals (§1.8).
      const tail = includeUsage ? '],"usage":null}' : ']}';
      const chunk = (choice: string) => `data: ${head}${choice}${tail}\n\n`;
      const call = answer.toolCall;
      // A tool call opens with its id, type and name and empty arguments; later deltas carry only argument fragments.
      const opening = call
        ? `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"${openaiCallId(ids)}","type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}],"refusal":null}`
        : '{"role":"assistant","content":"","refusal":null}';
      const delta = (text: string) =>
        call
          ? `{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(text)}}}]}`
          : `{"content":${JSON.stringify(text)}}`;
      const pieceChunk = (text: string, choice: number) =>
        chunk(`{"index":${choice},"delta":${delta(text)},"logprobs":null,"finish_reason":null}`);
      return {
        contentType: 'text/event-stream; charset=utf-8',
        start() {
          let out = '';
          for (let i = 0; i < choices; i++) {
            out += chunk(`{"index":${i},"delta":${opening},"logprobs":null,"finish_reason":null}`);
          }
          return out;
        },
        piece: pieceChunk,
        end(answer, usage) {
          let out = '';
          for (let i = 0; i < choices; i++) {
            out += chunk(
              `{"index":${i},"delta":{},"logprobs":null,"finish_reason":"${CHAT_FINISH[answer.finish]}"}`,
            );
          }
          if (includeUsage && usage) out += `data: ${head}],"usage":${usageJson(usage)}}\n\n`;
          return `${out}data: [DONE]\n\n`;
        },
        error() {
          return 'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';
        },
        corrupt(text, choice) {
          const whole = pieceChunk(text, choice);
          return `${whole.slice(0, Math.floor(whole.length / 2))}\n\n`;
        },
      };
    },
  };
}

/** Prompt tokens of a legacy completions `prompt`: a string, strings, or token arrays. */
function promptTokens(prompt: unknown, model: string): { tokens: number; prompts: number; echo: string } {
  if (typeof prompt === 'string') return { tokens: openaiTokens(prompt, model), prompts: 1, echo: prompt };
  const list = arr(prompt) ?? [];
  if (list.every((x) => typeof x === 'number')) return { tokens: list.length, prompts: 1, echo: '' };
  let tokens = 0;
  let echo = '';
  for (const p of list) {
    if (typeof p === 'string') {
      tokens += openaiTokens(p, model);
      echo = p;
    } else if (Array.isArray(p)) tokens += p.length;
  }
  return { tokens, prompts: Math.max(1, list.length), echo };
}

export function parseCompletions(body: JsonObject, config: SimulatorConfig, headers: Headers): Call | Reply {
  const model = str(body.model);
  if (!model) return openaiInvalid('you must provide a model parameter', headers);
  if (body.prompt === undefined) {
    return openaiInvalid(
      "Missing required parameter: 'prompt'.",
      headers,
      'prompt',
      'missing_required_parameter',
    );
  }
  const { tokens, prompts, echo } = promptTokens(body.prompt, model);
  const choices = prompts * (count(body.n) || 1);
  if (choices > MAX_CHOICES) return tooManyChoices(choices, headers);
  // The completions API defaults max_tokens to 16 (the cookbook's 15 plus the API's own default).
  const cap = count(body.max_tokens) ?? 16;
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  return {
    endpoint: 'completions',
    model,
    scopeModel: model,
    stream: body.stream === true,
    cost: { requests: 1, input: tokens, output: choices * cap, outputMode: outputMode(config) },
    input: input(tokens),
    maxOutput: cap,
    choices,
    echo,
    generates: true,
    render: completionsRenderer(model, choices, includeUsage),
  };
}

function completionsRenderer(model: string, choices: number, includeUsage: boolean) {
  const plainUsage = (u: UsageReport) =>
    `{"prompt_tokens":${u.input.tokens},"completion_tokens":${u.output},"total_tokens":${u.input.tokens + u.output}}`;
  return {
    body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string {
      const text = JSON.stringify(answer.text);
      const list: string[] = [];
      for (let i = 0; i < choices; i++) {
        list.push(`{"text":${text},"index":${i},"logprobs":null,"finish_reason":"${answer.finish}"}`);
      }
      const usageField = usage ? `,"usage":${plainUsage(usage)}` : '';
      return `{"id":"cmpl-${ids.requestId.slice(4)}","object":"text_completion","created":${ids.created},"model":${JSON.stringify(model)},"choices":[${list.join(',')}]${usageField},"system_fingerprint":"${FINGERPRINT}"}`;
    },
    stream(ids: CallIds): StreamFrames {
      const head = `{"id":"cmpl-${ids.requestId.slice(4)}","object":"text_completion","created":${ids.created},"model":${JSON.stringify(model)},"system_fingerprint":"${FINGERPRINT}","choices":[`;
      const tail = includeUsage ? '],"usage":null}' : ']}';
      const chunk = (choice: string) => `data: ${head}${choice}${tail}\n\n`;
      return {
        contentType: 'text/event-stream; charset=utf-8',
        start: () => '',
        piece: (text, choice) =>
          chunk(`{"text":${JSON.stringify(text)},"index":${choice},"logprobs":null,"finish_reason":null}`),
        end(answer, usage) {
          let out = '';
          for (let i = 0; i < choices; i++) {
            out += chunk(`{"text":"","index":${i},"logprobs":null,"finish_reason":"${answer.finish}"}`);
          }
          if (includeUsage && usage) out += `data: ${head}],"usage":${plainUsage(usage)}}\n\n`;
          return `${out}data: [DONE]\n\n`;
        },
        error: () =>
          'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n',
        corrupt(text, choice) {
          const whole = chunk(
            `{"text":${JSON.stringify(text)},"index":${choice},"logprobs":null,"finish_reason":null}`,
          );
          return `${whole.slice(0, Math.floor(whole.length / 2))}\n\n`;
        },
      };
    },
  };
}
