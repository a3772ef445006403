/**
 * OpenAI Chat Completions answers (`ChatCompletion`, non-streamed) ⇄ the neutral answer.
 * The stop-reason and usage tables are in TABLE.md; answer metadata the
 * caller did not ask for is listed below and not carried.
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
import { readToolCall, writeToolCall } from './openai-chat.js';
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

/** finish_reason ⇄ neutral; `stop` cannot say whether a stop sequence matched. */
export const OPENAI_FINISH_TO_NEUTRAL: Readonly<Record<string, NeutralStopReason>> = {
  stop: 'end',
  length: 'max-tokens',
  tool_calls: 'tool-calls',
  content_filter: 'refusal',
};
export const NEUTRAL_TO_OPENAI_FINISH: Readonly<Record<NeutralStopReason, string>> = {
  end: 'stop',
  'stop-sequence': 'stop',
  'max-tokens': 'length',
  'context-window': 'length',
  'tool-calls': 'tool_calls',
  refusal: 'content_filter',
};

/** Answer metadata the caller did not ask for and the neutral answer does not carry. */
const ANSWER_KEYS = new Set([
  'id',
  'object',
  'created',
  'model',
  'choices',
  'usage',
  'system_fingerprint',
  'service_tier',
]);

export function openAIChatAnswerToNeutral(body: unknown): Translation<NeutralAnswer> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, ANSWER_KEYS, '', 'openai');
  const choices = readArray(body, 'choices', 'choices', refusals);
  if (choices.length !== 1) refusals.add('choices', 'exactly one choice travels');
  const choice: JsonRecord = isRecord(choices[0]) ? choices[0] : {};
  refusals.unknownKeys(
    choice,
    new Set(['index', 'message', 'finish_reason', 'logprobs']),
    'choices[0]',
    'openai',
  );
  if (choice.logprobs !== null && choice.logprobs !== undefined) {
    refusals.add('choices[0].logprobs', 'only OpenAI returns log probabilities');
  }
  const message: JsonRecord = isRecord(choice.message) ? choice.message : {};
  const at = 'choices[0].message';
  refusals.unknownKeys(
    message,
    new Set(['role', 'content', 'refusal', 'tool_calls', 'annotations']),
    at,
    'openai',
  );
  if (typeof message.refusal === 'string') refusals.add(join(at, 'refusal'), 'only OpenAI marks a refusal');
  if (Array.isArray(message.annotations) && message.annotations.length > 0) {
    refusals.add(join(at, 'annotations'), 'URL citations are not shared');
  }
  const content: (NeutralText | NeutralToolCall)[] = [];
  if (typeof message.content === 'string' && message.content !== '')
    content.push({ kind: 'text', text: message.content });
  readArray(message, 'tool_calls', join(at, 'tool_calls'), refusals).forEach((call, i) => {
    const parsed = readToolCall(call, join(join(at, 'tool_calls'), i), refusals);
    if (parsed) content.push(parsed);
  });
  const finish = typeof choice.finish_reason === 'string' ? choice.finish_reason : '';
  const stopReason = OPENAI_FINISH_TO_NEUTRAL[finish];
  if (!stopReason)
    refusals.add('choices[0].finish_reason', `finish_reason ${JSON.stringify(finish)} has no counterpart`);
  const usage = readOpenAIUsage(body.usage, refusals);
  const created = body.created;
  return refusals.result(() => ({
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: stopReason ?? 'end',
    usage,
    ...(typeof created === 'number' ? { createdSeconds: created } : {}),
  }));
}

/** `usage` (a `CompletionUsage`, also a stream's usage chunk) → neutral. */
export function readOpenAIUsage(usage: unknown, refusals: Refusals): NeutralUsage {
  if (!isRecord(usage)) {
    refusals.add('usage', 'the answer reports no usage');
    return { inputTokens: 0, outputTokens: 0 };
  }
  const prompt = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const cached = readNumber(prompt, 'cached_tokens', 'usage.prompt_tokens_details.cached_tokens', refusals);
  const reasoning = readNumber(
    completion,
    'reasoning_tokens',
    'usage.completion_tokens_details.reasoning_tokens',
    refusals,
  );
  return {
    inputTokens: readNumber(usage, 'prompt_tokens', 'usage.prompt_tokens', refusals) ?? 0,
    outputTokens: readNumber(usage, 'completion_tokens', 'usage.completion_tokens', refusals) ?? 0,
    ...(cached !== undefined ? { cachedInputTokens: cached } : {}),
    ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
  };
}

export interface OpenAIAnswerOptions {
  /** `created` when the upstream gave none (Anthropic, Gemini): the caller's clock, in Unix seconds. */
  readonly nowSeconds: number;
}

/** Cache writes have no OpenAI field; they stay counted in `prompt_tokens`. */
export function neutralToOpenAIChatAnswer(
  answer: NeutralAnswer,
  options: OpenAIAnswerOptions,
): Translation<Body> {
  const text = answer.content.filter((p): p is NeutralText => p.kind === 'text').map((p) => p.text);
  const calls = answer.content.filter((p): p is NeutralToolCall => p.kind === 'tool-call');
  const message: Body = { role: 'assistant', content: text.length > 0 ? text.join('') : null, refusal: null };
  if (calls.length > 0) message.tool_calls = calls.map(writeToolCall);
  message.annotations = [];
  const body: Body = {
    id: answer.id,
    object: 'chat.completion',
    created: answer.createdSeconds ?? options.nowSeconds,
    model: answer.model,
    choices: [
      { index: 0, message, finish_reason: NEUTRAL_TO_OPENAI_FINISH[answer.stopReason], logprobs: null },
    ],
    usage: writeOpenAIUsage(answer.usage),
  };
  return { ok: true, value: body };
}

/** Neutral usage as a `CompletionUsage` (the answer's, or a stream's usage chunk). */
export function writeOpenAIUsage(usage: NeutralUsage): Body {
  const body: Body = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens !== undefined)
    body.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens !== undefined) {
    body.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  }
  return body;
}
