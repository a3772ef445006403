/**
 * `POST /v1/messages` and `POST /v1/messages/count_tokens`
 * (PROVIDERS.md §3.2 ITPM/OTPM, §3.5 streaming usage, §3.6, §8.9, §8.13).
 *
 * Admission charges ITPM with `input_tokens + cache_creation_input_tokens`
 * (cache reads are free). OTPM is counted as tokens are produced by default,
 * or reserved from `max_tokens` at the start and corrected at the end with
 * `anthropic.otpm: max_tokens` (the older documented rule).
 */
import type { SimulatorConfig } from '../../config.js';
import type { Answer } from '../../content.js';
import type { Call, CallIds, Headers, Reply, StreamFrames, UsageReport } from '../../flavour.js';
import { jsonReply } from '../../flavour.js';
import { charTokens } from '../../tokens.js';
import { decideTool } from '../../tool-calls.js';
import { arr, count, isObject, type JsonObject, str, textOf } from '../json.js';
import { type PromptCache, promptBlocks } from './anthropic-cache.js';
import { anthropicUnknownTool, messagesToolOffer } from './anthropic-tools.js';
import { ANTHROPIC_STREAM_ERROR, anthropicError } from './anthropic-wire.js';

/** `serviceTier`: what served the call (`batch` for Message Batches results, PROVIDERS.md §3.5). */
function usageObject(usage: UsageReport, serviceTier = 'standard') {
  return {
    input_tokens: usage.input.tokens,
    cache_creation_input_tokens: usage.input.cacheCreation,
    cache_read_input_tokens: usage.input.cacheRead,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.input.cacheCreation - usage.input.cacheCreation1h,
      ephemeral_1h_input_tokens: usage.input.cacheCreation1h,
    },
    output_tokens: usage.output,
    service_tier: serviceTier,
  };
}

const STOP_REASON = { stop: 'end_turn', length: 'max_tokens', tool_call: 'tool_use' } as const;

interface MessagesContext {
  readonly config: SimulatorConfig;
  readonly cache: PromptCache;
  readonly key: string;
  readonly now: number;
  readonly headers: Headers;
}

function invalid(message: string, headers: Headers): Reply {
  return anthropicError(400, 'invalid_request_error', message, headers);
}

export function parseMessages(body: JsonObject, countOnly: boolean, ctx: MessagesContext): Call | Reply {
  const model = str(body.model);
  if (!model) return invalid('model: Field required', ctx.headers);
  const messages = arr(body.messages);
  if (!messages) return invalid('messages: Field required', ctx.headers);
  const maxTokens = count(body.max_tokens);
  if (!countOnly && maxTokens === undefined) return invalid('max_tokens: Field required', ctx.headers);
  const blocks = promptBlocks(body);
  const total = charTokens(blocks.reduce((sum, b) => sum + b.chars, 0));
  let echo = '';
  for (const m of messages) if (isObject(m) && m.role === 'user') echo = textOf(m.content);
  if (countOnly) {
    return {
      endpoint: 'count_tokens',
      model,
      // "Token counting and message creation have separate and independent rate limits" (§3.6).
      scopeModel: 'count_tokens',
      stream: false,
      cost: { requests: 1, input: 0, output: 0, outputMode: 'keep' },
      input: { tokens: total, cacheCreation: 0, cacheRead: 0, cacheCreation1h: 0 },
      maxOutput: 0,
      choices: 1,
      echo: '',
      generates: false,
      render: { body: () => JSON.stringify({ input_tokens: total }) },
    };
  }
  const tool = decideTool(messagesToolOffer(body, messages));
  if (tool.kind === 'unknown') return anthropicUnknownTool(tool.name, ctx.headers);
  const cache = ctx.cache.split(`${ctx.key}\u0000${model}`, blocks, ctx.now);
  const uncached = total - cache.read - cache.written;
  const otpmAtStart = ctx.config.anthropic.otpm === 'max_tokens';
  return {
    endpoint: 'messages',
    model,
    scopeModel: model,
    stream: body.stream === true,
    cost: {
      requests: 1,
      input: uncached + cache.written,
      output: otpmAtStart ? (maxTokens ?? 0) : 0,
      outputMode: otpmAtStart ? 'reconcile' : 'produced',
    },
    input: {
      tokens: uncached,
      cacheCreation: cache.written,
      cacheRead: cache.read,
      cacheCreation1h: cache.written1h,
    },
    maxOutput: maxTokens,
    choices: 1,
    echo,
    generates: true,
    ...(tool.kind === 'call' && { tool: tool.tool }),
    render: messagesRenderer(model),
    admitted: cache.commit,
  };
}

/** A `tool_use` block's id: `toolu_` and 24 characters, derived from the request id. */
function toolUseId(ids: CallIds): string {
  return `toolu_${ids.requestId.slice(4, 28)}`;
}

/**
 * The answer's one content block, whole (`input` of a call cut by
 * `max_tokens` is `{}`: its JSON never closed) or as streamed first
 * (`input: {}`, filled by `input_json_delta` events).
 */
function contentBlock(answer: Answer, ids: CallIds, streamed: boolean) {
  const call = answer.toolCall;
  if (!call) return { type: 'text', text: streamed ? '' : answer.text };
  return { type: 'tool_use', id: toolUseId(ids), name: call.name, input: streamed ? {} : (call.input ?? {}) };
}

function messagesRenderer(model: string) {
  const messageId = (ids: CallIds) => `msg_${ids.requestId.slice(4)}`;
  return {
    body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string {
      return JSON.stringify({
        id: messageId(ids),
        type: 'message',
        role: 'assistant',
        model,
        content: [contentBlock(answer, ids, false)],
        stop_reason: STOP_REASON[answer.finish],
        stop_sequence: null,
        ...(usage ? { usage: usageObject(usage, ids.serviceTier) } : {}),
      });
    },
    stream(ids: CallIds, answer: Answer): StreamFrames {
      const event = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;
      // A tool call's arguments stream as `input_json_delta` fragments of its JSON (the SDK's `InputJSONDelta`).
      const deltaOf = answer.toolCall
        ? (text: string) => `{"type":"input_json_delta","partial_json":${JSON.stringify(text)}}`
        : (text: string) => `{"type":"text_delta","text":${JSON.stringify(text)}}`;
      const delta = (text: string) =>
        event('content_block_delta', `{"type":"content_block_delta","index":0,"delta":${deltaOf(text)}}`);
      return {
        contentType: 'text/event-stream; charset=utf-8',
        start(startUsage) {
          // The doc's example carries a placeholder of 1 output token here (§3.5).
          const usage = startUsage ? { ...usageObject(startUsage), output_tokens: 1 } : undefined;
          const message = {
            id: messageId(ids),
            type: 'message',
            role: 'assistant',
            content: [],
            model,
            stop_reason: null,
            stop_sequence: null,
            ...(usage ? { usage } : {}),
          };
          return (
            event('message_start', JSON.stringify({ type: 'message_start', message })) +
            event(
              'content_block_start',
              JSON.stringify({
                type: 'content_block_start',
                index: 0,
                content_block: contentBlock(answer, ids, true),
              }),
            ) +
            event('ping', '{"type": "ping"}')
          );
        },
        piece: (text) => delta(text),
        end(answer, usage) {
          // message_delta usage is cumulative (§3.5): the whole output so far.
          const usageField = usage ? `,"usage":{"output_tokens":${usage.output}}` : '';
          return (
            event('content_block_stop', '{"type":"content_block_stop","index":0}') +
            event(
              'message_delta',
              `{"type":"message_delta","delta":{"stop_reason":"${STOP_REASON[answer.finish]}","stop_sequence":null}${usageField}}`,
            ) +
            event('message_stop', '{"type":"message_stop"}')
          );
        },
        error: () => ANTHROPIC_STREAM_ERROR,
        corrupt(text) {
          const whole = delta(text);
          return `${whole.slice(0, Math.floor(whole.length / 2))}\n\n`;
        },
      };
    },
  };
}

const MODELS = [
  ['claude-opus-5-5', 'Claude Opus 5.5'],
  ['claude-sonnet-5-5', 'Claude Sonnet 5.5'],
  ['claude-haiku-4-5', 'Claude Haiku 4.5'],
] as const;

/** `GET /v1/models` when asked with Anthropic headers. */
export function anthropicModels(headers: Headers): Reply {
  const data = MODELS.map(([id, display_name]) => ({
    type: 'model',
    id,
    display_name,
    created_at: '2025-10-01T00:00:00Z',
  }));
  return jsonReply(200, { data, has_more: false, first_id: data[0]?.id, last_id: data.at(-1)?.id }, headers);
}
