/**
 * Anthropic Messages answers (`Message`, non-streamed) ⇄ the neutral answer.
 * The stop-reason and usage tables are in TABLE.md; answer metadata the
 * caller did not ask for is listed below and not carried.
 */

import { readBlock, writePart } from './anthropic-messages.js';
import { isRecord, readArray, readNumber } from './json-read.js';
import type {
  JsonValue,
  NeutralAnswer,
  NeutralStopReason,
  NeutralText,
  NeutralToolCall,
  NeutralUsage,
} from './neutral.js';
import { join, Refusals, type Translation } from './translation.js';

type Body = { [key: string]: JsonValue };

/** stop_reason ⇄ neutral; `pause_turn` only follows server tools, which never travel. */
export const ANTHROPIC_STOP_TO_NEUTRAL: Readonly<Record<string, NeutralStopReason>> = {
  end_turn: 'end',
  stop_sequence: 'stop-sequence',
  max_tokens: 'max-tokens',
  model_context_window_exceeded: 'context-window',
  tool_use: 'tool-calls',
  refusal: 'refusal',
};
export const NEUTRAL_TO_ANTHROPIC_STOP: Readonly<Record<NeutralStopReason, string>> = {
  end: 'end_turn',
  'stop-sequence': 'stop_sequence',
  'max-tokens': 'max_tokens',
  'context-window': 'model_context_window_exceeded',
  'tool-calls': 'tool_use',
  refusal: 'refusal',
};

/** Answer metadata the neutral answer does not carry (diagnostics, refusal category). */
const ANSWER_KEYS = new Set([
  'id',
  'type',
  'role',
  'model',
  'content',
  'stop_reason',
  'stop_sequence',
  'usage',
  'container',
  'diagnostics',
  'stop_details',
]);

export function anthropicAnswerToNeutral(body: unknown): Translation<NeutralAnswer> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, ANSWER_KEYS, '', 'anthropic');
  if (body.container !== undefined && body.container !== null)
    refusals.add('container', 'code execution is Anthropic-only');
  const content = readArray(body, 'content', 'content', refusals).flatMap(
    (block, i): (NeutralText | NeutralToolCall)[] => {
      const at = join('content', i);
      if (isRecord(block) && (block.type === 'text' || block.type === 'tool_use')) {
        return readBlock(block, at, refusals).filter(
          (p): p is NeutralText | NeutralToolCall => p.kind !== 'image',
        );
      }
      refusals.add(
        at,
        `block type ${JSON.stringify(isRecord(block) ? block.type : block)} is Anthropic-only`,
      );
      return [];
    },
  );
  const reason = typeof body.stop_reason === 'string' ? body.stop_reason : '';
  const stopReason = ANTHROPIC_STOP_TO_NEUTRAL[reason];
  if (!stopReason)
    refusals.add('stop_reason', `stop_reason ${JSON.stringify(body.stop_reason)} has no counterpart`);
  const usage = readAnthropicUsage(body.usage, refusals);
  return refusals.result(() => ({
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: stopReason ?? 'end',
    ...(typeof body.stop_sequence === 'string' ? { stopSequence: body.stop_sequence } : {}),
    usage,
  }));
}

/** Anthropic's `input_tokens` excludes cache reads and writes; the neutral count includes them. */
export function readAnthropicUsage(usage: unknown, refusals: Refusals): NeutralUsage {
  if (!isRecord(usage)) {
    refusals.add('usage', 'the answer reports no usage');
    return { inputTokens: 0, outputTokens: 0 };
  }
  const read = readNumber(usage, 'cache_read_input_tokens', 'usage.cache_read_input_tokens', refusals);
  const written = readNumber(
    usage,
    'cache_creation_input_tokens',
    'usage.cache_creation_input_tokens',
    refusals,
  );
  const details = isRecord(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const thinking = readNumber(
    details,
    'thinking_tokens',
    'usage.output_tokens_details.thinking_tokens',
    refusals,
  );
  const input = readNumber(usage, 'input_tokens', 'usage.input_tokens', refusals) ?? 0;
  return {
    inputTokens: input + (read ?? 0) + (written ?? 0),
    outputTokens: readNumber(usage, 'output_tokens', 'usage.output_tokens', refusals) ?? 0,
    ...(read !== undefined ? { cachedInputTokens: read } : {}),
    ...(written !== undefined ? { cacheWriteTokens: written } : {}),
    ...(thinking !== undefined ? { reasoningTokens: thinking } : {}),
  };
}

export function neutralToAnthropicAnswer(answer: NeutralAnswer): Translation<Body> {
  const refusals = new Refusals();
  const body: Body = {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: answer.content.map((part, i) => writePart(part, join('content', i), refusals)),
    stop_reason: NEUTRAL_TO_ANTHROPIC_STOP[answer.stopReason],
    stop_sequence: answer.stopReason === 'stop-sequence' ? (answer.stopSequence ?? null) : null,
    usage: writeAnthropicUsage(answer.usage),
  };
  return refusals.result(() => body);
}

/** Neutral usage in Anthropic's sense: `input_tokens` without the cache reads and writes. */
export function writeAnthropicUsage(usage: NeutralUsage): Body {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const body: Body = {
    input_tokens: usage.inputTokens - cached - written,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens ?? null,
    cache_read_input_tokens: usage.cachedInputTokens ?? null,
  };
  if (usage.reasoningTokens !== undefined)
    body.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  return body;
}
