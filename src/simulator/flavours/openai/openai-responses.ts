/**
 * `POST /v1/responses`, the Responses API: usage arrives in the final
 * `response.completed` event only (PROVIDERS.md §1.8, `ResponseUsage`).
 * Stream events follow the order the official SDK's accumulator expects:
 * created, in_progress, output_item.added, content_part.added, deltas,
 * output_text.done, content_part.done, output_item.done, completed. A tool
 * call is a `function_call` output item whose arguments stream as
 * `response.function_call_arguments.delta` events, then `.done`.
 */
import type { SimulatorConfig } from '../../config.js';
import type { Answer } from '../../content.js';
import type { Call, CallIds, Headers, Reply, StreamFrames, UsageReport } from '../../flavour.js';
import { NO_CACHE } from '../../flavour.js';
import { type FramedMessage, openaiChatTokens } from '../../tokens.js';
import { decideTool } from '../../tool-calls.js';
import { arr, count, isObject, type JsonObject, str, textOf } from '../json.js';
import { askedTier, openaiCallId, servedTier } from './openai-chat.js';
import { defaultMaxTokens } from './openai-models.js';
import { openaiUnknownTool, responsesToolOffer } from './openai-tools.js';
import {
  MAX_STRING_CHARS,
  openaiInvalid,
  openaiInvalidValue,
  openaiStringTooLong,
  openaiWrongType,
} from './openai-wire.js';

/** Roles of `message` input items, in the order the API's 400 lists them. */
const ITEM_ROLES: readonly string[] = Object.freeze(['user', 'assistant', 'system', 'developer']);
/** Item types are short snake_case names (`function_call_output`); anything else is refused before counting. */
const ITEM_TYPE = /^[a-z_]{1,64}$/;

/** The role an input item is framed with, or the API's 400 for a role or type no item can have. */
function itemRole(item: JsonObject, i: number, headers: Headers): string | Reply {
  if (item.role !== undefined) {
    const param = `input[${i}].role`;
    if (typeof item.role !== 'string') return openaiWrongType(param, 'a string', item.role, headers);
    return ITEM_ROLES.includes(item.role)
      ? item.role
      : openaiInvalidValue(item.role, ITEM_ROLES, param, headers);
  }
  if (typeof item.type !== 'string') return 'user';
  return ITEM_TYPE.test(item.type)
    ? item.type
    : openaiInvalidValue(item.type, [], `input[${i}].type`, headers);
}

function usageObject(usage: UsageReport) {
  return {
    input_tokens: usage.input.tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.input.tokens + usage.output,
  };
}

interface ResponseShape {
  readonly model: string;
  readonly instructions: string | null;
  readonly maxOutput: number | null;
  /** Echoed as sent, as the API echoes the request's settings. */
  readonly tools: readonly unknown[];
  readonly toolChoice: unknown;
}

function responseObject(
  shape: ResponseShape,
  ids: CallIds,
  state: {
    status: 'in_progress' | 'completed' | 'incomplete';
    output: unknown[];
    usage: UsageReport | undefined | null;
  },
) {
  return {
    id: `resp_${ids.requestId.slice(4)}`,
    object: 'response',
    created_at: ids.created,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: shape.instructions,
    max_output_tokens: shape.maxOutput,
    model: shape.model,
    output: state.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: servedTier(ids),
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: shape.toolChoice,
    tools: shape.tools,
    top_p: 1,
    truncation: 'disabled',
    // Missing-usage faults drop the field entirely; in-progress snapshots carry null.
    ...(state.usage === undefined ? {} : { usage: state.usage === null ? null : usageObject(state.usage) }),
    user: null,
    metadata: {},
  };
}

function messageItem(
  ids: CallIds,
  status: 'in_progress' | 'completed' | 'incomplete',
  text: string | undefined,
) {
  return {
    id: `msg_${ids.requestId.slice(4)}`,
    type: 'message',
    status,
    role: 'assistant',
    content: text === undefined ? [] : [{ type: 'output_text', annotations: [], logprobs: [], text }],
  };
}

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** A `function_call` output item (the SDK's `ResponseFunctionToolCall`). */
function functionCallItem(ids: CallIds, status: ItemStatus, name: string, args: string) {
  return {
    id: `fc_${ids.requestId.slice(4)}`,
    type: 'function_call',
    status,
    arguments: args,
    call_id: openaiCallId(ids),
    name,
  };
}

/** The text an input item is counted by: its content, a tool result's output, a call's name and arguments. */
function itemText(item: JsonObject): string {
  if (item.content !== undefined) return textOf(item.content);
  if (item.type === 'function_call_output')
    return typeof item.output === 'string' ? item.output : textOf(item.output);
  if (item.type === 'function_call') return `${str(item.name) ?? ''}${str(item.arguments) ?? ''}`;
  return textOf([item]);
}

export function parseResponses(body: JsonObject, config: SimulatorConfig, headers: Headers): Call | Reply {
  const model = str(body.model);
  if (!model)
    return openaiInvalid(
      'you must provide a model parameter',
      headers,
      'model',
      'missing_required_parameter',
    );
  if (body.input === undefined) {
    return openaiInvalid(
      "Missing required parameter: 'input'.",
      headers,
      'input',
      'missing_required_parameter',
    );
  }
  for (const name of ['input', 'instructions']) {
    const value = body[name];
    if (typeof value === 'string' && value.length > MAX_STRING_CHARS)
      return openaiStringTooLong(name, MAX_STRING_CHARS, value.length, headers);
  }
  const instructions = str(body.instructions) ?? null;
  const framed: FramedMessage[] = [];
  if (instructions) framed.push({ role: 'developer', text: instructions });
  let echo = '';
  if (typeof body.input === 'string') {
    framed.push({ role: 'user', text: body.input });
    echo = body.input;
  } else {
    for (const [i, item] of (arr(body.input) ?? []).entries()) {
      if (!isObject(item)) continue;
      const role = itemRole(item, i, headers);
      if (typeof role !== 'string') return role;
      const text = itemText(item);
      framed.push({ role, text });
      if (role === 'user') echo = text;
    }
  }
  const extra = body.tools !== undefined ? JSON.stringify(body.tools) : '';
  const prompt = openaiChatTokens(framed, model, extra);
  const cap = count(body.max_output_tokens);
  const tool = decideTool(responsesToolOffer(body));
  if (tool.kind === 'unknown') return openaiUnknownTool(tool.name, headers);
  const shape: ResponseShape = {
    model,
    instructions,
    maxOutput: cap ?? null,
    tools: arr(body.tools) ?? [],
    toolChoice: body.tool_choice ?? 'auto',
  };
  return {
    endpoint: 'responses',
    model,
    scopeModel: model,
    stream: body.stream === true,
    cost: {
      requests: 1,
      input: prompt,
      output: cap ?? defaultMaxTokens(model, config.openai),
      outputMode: config.openai.reconcile ? 'reconcile' : 'keep',
    },
    input: { tokens: prompt, ...NO_CACHE },
    maxOutput: cap,
    choices: 1,
    echo,
    generates: true,
    ...(tool.kind === 'call' && { tool: tool.tool }),
    serviceTier: askedTier(body),
    render: {
      body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string {
        const status = answer.finish === 'length' ? 'incomplete' : 'completed';
        const call = answer.toolCall;
        const output = [
          call
            ? functionCallItem(ids, status, call.name, call.arguments)
            : messageItem(ids, status, answer.text),
        ];
        const response = responseObject(shape, ids, { status, output, usage });
        // The SDK adds `output_text` itself; the API does not send it.
        return JSON.stringify(response);
      },
      stream: (ids: CallIds, answer: Answer) =>
        answer.toolCall ? functionCallStream(shape, ids, answer.toolCall.name) : responsesStream(shape, ids),
    },
  };
}

function responsesStream(shape: ResponseShape, ids: CallIds): StreamFrames {
  let text = '';
  const itemId = `msg_${ids.requestId.slice(4)}`;
  const event = sequencedEvents();
  const delta = (piece: string) =>
    event('response.output_text.delta', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: piece,
      logprobs: [],
    });
  return {
    contentType: 'text/event-stream; charset=utf-8',
    start() {
      const initial = responseObject(shape, ids, { status: 'in_progress', output: [], usage: null });
      return (
        event('response.created', { response: initial }) +
        event('response.in_progress', { response: initial }) +
        event('response.output_item.added', {
          output_index: 0,
          item: messageItem(ids, 'in_progress', undefined),
        }) +
        event('response.content_part.added', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
        })
      );
    },
    piece(piece) {
      text += piece;
      return delta(piece);
    },
    end(answer, usage) {
      const status = answer.finish === 'length' ? 'incomplete' : 'completed';
      const part = { type: 'output_text', annotations: [], logprobs: [], text };
      const item = messageItem(ids, status, text);
      const final = responseObject(shape, ids, { status, output: [item], usage });
      return (
        event('response.output_text.done', {
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          text,
          logprobs: [],
        }) +
        event('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }) +
        event('response.output_item.done', { output_index: 0, item }) +
        event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final })
      );
    },
    error: () => streamError(event),
    corrupt(piece) {
      text += piece;
      return halfOf(delta(piece));
    },
  };
}

/** A streamed tool call: the item opens with empty arguments, which then arrive in fragments. */
function functionCallStream(shape: ResponseShape, ids: CallIds, name: string): StreamFrames {
  let args = '';
  const itemId = `fc_${ids.requestId.slice(4)}`;
  const event = sequencedEvents();
  const delta = (piece: string) =>
    event('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta: piece });
  return {
    contentType: 'text/event-stream; charset=utf-8',
    start() {
      const initial = responseObject(shape, ids, { status: 'in_progress', output: [], usage: null });
      return (
        event('response.created', { response: initial }) +
        event('response.in_progress', { response: initial }) +
        event('response.output_item.added', {
          output_index: 0,
          item: functionCallItem(ids, 'in_progress', name, ''),
        })
      );
    },
    piece(piece) {
      args += piece;
      return delta(piece);
    },
    end(answer, usage) {
      const status = answer.finish === 'length' ? 'incomplete' : 'completed';
      const item = functionCallItem(ids, status, name, args);
      const final = responseObject(shape, ids, { status, output: [item], usage });
      return (
        event('response.function_call_arguments.done', {
          item_id: itemId,
          output_index: 0,
          arguments: args,
          name,
        }) +
        event('response.output_item.done', { output_index: 0, item }) +
        event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final })
      );
    },
    error: () => streamError(event),
    corrupt(piece) {
      args += piece;
      return halfOf(delta(piece));
    },
  };
}

type EventWriter = (type: string, fields: Record<string, unknown>) => string;

/** One stream's event writer: each event numbered in order, as Responses streams are. */
function sequencedEvents(): EventWriter {
  let sequence = 0;
  return (type, fields) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence++ })}\n\n`;
}

/** The error event OpenAI sends when a Responses stream fails mid-way. */
function streamError(event: EventWriter): string {
  return event('error', {
    code: 'server_error',
    message: 'The server had an error while processing your request. Sorry about that!',
    param: null,
  });
}

/** The first half of a frame, then the blank line: a corrupted event. */
function halfOf(frame: string): string {
  return `${frame.slice(0, Math.floor(frame.length / 2))}\n\n`;
}
