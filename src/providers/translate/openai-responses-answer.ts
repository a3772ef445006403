/**
 * OpenAI Responses answers (`Response`, non-streamed) ⇄ the neutral answer.
 * The stop-reason and usage tables are in TABLE.md. A `Response` repeats
 * the request's settings (`instructions`, `tools`, `temperature`, …); those
 * echoes are not carried, and the written answer has none (it answers a
 * caller whose request was in another family's terms).
 *
 * `output_text` is not written: it is a getter the `openai` SDK adds from
 * the `output_text` parts of `message` items (`addOutputText` in its
 * `ResponsesParser`), which this body has.
 */
import { isRecord, type JsonRecord, readArray, readNumber } from './json-read.js';
import type {
  JsonValue,
  NeutralAnswer,
  NeutralStopReason,
  NeutralText,
  NeutralToolCall,
  NeutralUsage,
} from './neutral.js';
import {
  ECHOED_MESSAGE_KEYS,
  readFunctionCall,
  readOutputText,
  writeFunctionCall,
} from './openai-responses-items.js';
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

/** What the answer says, and the request settings it repeats (not carried). */
const ANSWER_KEYS = new Set([
  'id',
  'object',
  'created_at',
  'completed_at',
  'status',
  'error',
  'incomplete_details',
  'model',
  'output',
  'usage',
  'output_text',
  'instructions',
  'metadata',
  'parallel_tool_calls',
  'temperature',
  'tool_choice',
  'tools',
  'top_p',
  'top_logprobs',
  'background',
  'conversation',
  'max_output_tokens',
  'max_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'text',
  'truncation',
  'user',
  'billing',
  'moderation',
]);

/** `incomplete_details.reason` ⇄ neutral. */
const INCOMPLETE_TO_NEUTRAL: Readonly<Record<string, NeutralStopReason>> = {
  max_output_tokens: 'max-tokens',
  content_filter: 'refusal',
};

export function openAIResponsesAnswerToNeutral(body: unknown): Translation<NeutralAnswer> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, ANSWER_KEYS, '', 'openai');
  if (body.moderation !== undefined && body.moderation !== null)
    refusals.add('moderation', 'only OpenAI reports moderation results');
  const content: (NeutralText | NeutralToolCall)[] = [];
  readArray(body, 'output', 'output', refusals).forEach((item, i) => {
    content.push(...readOutputItem(item, join('output', i), refusals));
  });
  const stopReason = readResponsesStopReason(
    body,
    content.some((p) => p.kind === 'tool-call'),
    refusals,
  );
  const usage = readResponsesUsage(body.usage, refusals);
  const created = body.created_at;
  return refusals.result(() => ({
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: stopReason ?? 'end',
    usage,
    ...(typeof created === 'number' ? { createdSeconds: created } : {}),
  }));
}

function readOutputItem(item: unknown, at: string, refusals: Refusals): (NeutralText | NeutralToolCall)[] {
  if (!isRecord(item)) {
    refusals.add(at, 'expected an output item object');
    return [];
  }
  if (item.type === 'message') {
    refusals.unknownKeys(item, new Set(['type', 'role', 'content', ...ECHOED_MESSAGE_KEYS]), at, 'openai');
    return readArray(item, 'content', join(at, 'content'), refusals).flatMap((part, j): NeutralText[] => {
      const text = readOutputText(part, join(join(at, 'content'), j), refusals);
      // An empty part says nothing (and a stream shows none: `stream/openai-responses-reader.ts`).
      return text === undefined || text === '' ? [] : [{ kind: 'text', text }];
    });
  }
  if (item.type === 'function_call') return [readFunctionCall(item, at, refusals)];
  if (item.type === 'reasoning') {
    readReasoning(item, at, refusals);
    return [];
  }
  refusals.add(at, `output item ${JSON.stringify(item.type)} has no counterpart in other API families`);
  return [];
}

/**
 * A reasoning model always returns a `reasoning` item; without a summary
 * (none was asked for: `reasoning` is refused in a translated request) and
 * without encrypted content it shows the caller nothing, and its tokens stay
 * counted in `reasoningTokens`. One with text to show is refused.
 */
function readReasoning(item: JsonRecord, at: string, refusals: Refusals): void {
  refusals.unknownKeys(
    item,
    new Set(['type', 'id', 'status', 'summary', 'content', 'encrypted_content']),
    at,
    'openai',
  );
  for (const key of ['summary', 'content']) {
    const value = item[key];
    if (Array.isArray(value) && value.length > 0)
      refusals.add(join(at, key), 'reasoning text has no counterpart in the neutral answer');
  }
  if (item.encrypted_content !== undefined && item.encrypted_content !== null)
    refusals.add(join(at, 'encrypted_content'), 'only OpenAI can read encrypted reasoning back');
}

/** A finished response's stop reason, from `status` and `incomplete_details` (also a stream's terminal event). */
export function readResponsesStopReason(
  body: JsonRecord,
  hasToolCalls: boolean,
  refusals: Refusals,
): NeutralStopReason | undefined {
  if (body.status === 'completed') return hasToolCalls ? 'tool-calls' : 'end';
  if (body.status === 'incomplete') {
    const details = isRecord(body.incomplete_details) ? body.incomplete_details : {};
    const reason = typeof details.reason === 'string' ? details.reason : '';
    const stop = INCOMPLETE_TO_NEUTRAL[reason];
    if (!stop)
      refusals.add(
        'incomplete_details.reason',
        `incomplete reason ${JSON.stringify(reason)} has no counterpart`,
      );
    return stop;
  }
  refusals.add('status', `a ${JSON.stringify(body.status)} response is not a finished answer`);
  return undefined;
}

export function readResponsesUsage(usage: unknown, refusals: Refusals): NeutralUsage {
  if (!isRecord(usage)) {
    refusals.add('usage', 'the answer reports no usage');
    return { inputTokens: 0, outputTokens: 0 };
  }
  const input = isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const cached = readNumber(input, 'cached_tokens', 'usage.input_tokens_details.cached_tokens', refusals);
  const written = readNumber(
    input,
    'cache_write_tokens',
    'usage.input_tokens_details.cache_write_tokens',
    refusals,
  );
  const reasoning = readNumber(
    output,
    'reasoning_tokens',
    'usage.output_tokens_details.reasoning_tokens',
    refusals,
  );
  return {
    inputTokens: readNumber(usage, 'input_tokens', 'usage.input_tokens', refusals) ?? 0,
    outputTokens: readNumber(usage, 'output_tokens', 'usage.output_tokens', refusals) ?? 0,
    ...(cached !== undefined ? { cachedInputTokens: cached } : {}),
    ...(written !== undefined ? { cacheWriteTokens: written } : {}),
    ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
  };
}

export interface OpenAIResponsesAnswerOptions {
  /** `created_at` when the upstream gave none (Anthropic, Gemini): the caller's clock, in Unix seconds. */
  readonly nowSeconds: number;
}

/** How a neutral stop reads as `status` and `incomplete_details`. */
export function responsesStatus(reason: NeutralStopReason): {
  status: 'completed' | 'incomplete';
  incompleteDetails: Body | null;
} {
  if (reason === 'max-tokens' || reason === 'context-window')
    return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (reason === 'refusal') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  return { status: 'completed', incompleteDetails: null };
}

/**
 * `usage` as Responses spells it. Clients read the detail objects without
 * checking, so unreported cache reads and reasoning are written as 0.
 */
export function writeResponsesUsage(usage: NeutralUsage): Body {
  const inputDetails: Body = { cached_tokens: usage.cachedInputTokens ?? 0 };
  if (usage.cacheWriteTokens !== undefined) inputDetails.cache_write_tokens = usage.cacheWriteTokens;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: inputDetails,
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** An output message item's id: the answer's id and the item's place in `output`. */
export function messageItemId(answerId: string, outputIndex: number): string {
  return `msg_${answerId}_${outputIndex}`;
}

/** A function call item's id (`call_id` is the neutral one; the item id only names the item). */
export function functionCallItemId(callId: string): string {
  return `fc_${callId}`;
}

export function neutralToOpenAIResponsesAnswer(
  answer: NeutralAnswer,
  options: OpenAIResponsesAnswerOptions,
): Translation<Body> {
  const output: Body[] = [];
  let texts: Body[] = [];
  const flushTexts = (): void => {
    if (texts.length === 0) return;
    output.push({
      id: messageItemId(answer.id, output.length),
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: texts,
    });
    texts = [];
  };
  for (const part of answer.content) {
    if (part.kind === 'text') {
      texts.push({ type: 'output_text', text: part.text, annotations: [], logprobs: [] });
      continue;
    }
    flushTexts();
    output.push({ id: functionCallItemId(part.id), ...writeFunctionCall(part), status: 'completed' });
  }
  flushTexts();
  const { status, incompleteDetails } = responsesStatus(answer.stopReason);
  const body: Body = {
    id: answer.id,
    object: 'response',
    created_at: answer.createdSeconds ?? options.nowSeconds,
    status,
    error: null,
    incomplete_details: incompleteDetails,
    model: answer.model,
    output,
    usage: writeResponsesUsage(answer.usage),
  };
  return { ok: true, value: body };
}
