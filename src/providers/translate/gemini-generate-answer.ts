/**
 * Gemini generateContent answers (`GenerateContentResponse`, non-streamed) ⇄ the neutral answer.
 * The stop-reason and usage tables are in TABLE.md; answer metadata the
 * caller did not ask for is listed below and not carried.
 */

import { readFunctionCall, readMediaPart, writePart } from './gemini-generate.js';
import { isRecord, type JsonRecord, readArray, readNumber } from './json-read.js';
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

/** finishReason → neutral; STOP with function calls is a tool-calls stop. Others are refused. */
export const GEMINI_FINISH_TO_NEUTRAL: Readonly<Record<string, NeutralStopReason>> = {
  STOP: 'end',
  MAX_TOKENS: 'max-tokens',
  SAFETY: 'refusal',
  RECITATION: 'refusal',
  BLOCKLIST: 'refusal',
  PROHIBITED_CONTENT: 'refusal',
  SPII: 'refusal',
  IMAGE_SAFETY: 'refusal',
  IMAGE_PROHIBITED_CONTENT: 'refusal',
};
export const NEUTRAL_TO_GEMINI_FINISH: Readonly<Record<NeutralStopReason, string>> = {
  end: 'STOP',
  'stop-sequence': 'STOP',
  'tool-calls': 'STOP',
  'max-tokens': 'MAX_TOKENS',
  'context-window': 'MAX_TOKENS',
  refusal: 'SAFETY',
};

const ANSWER_KEYS = new Set(['candidates', 'usageMetadata', 'modelVersion', 'responseId', 'createTime']);
/** Candidate metadata the neutral answer does not carry. */
const CANDIDATE_KEYS = new Set([
  'content',
  'finishReason',
  'index',
  'safetyRatings',
  'finishMessage',
  'avgLogprobs',
  'tokenCount',
]);

export function geminiAnswerToNeutral(body: unknown): Translation<NeutralAnswer> {
  const refusals = new Refusals();
  if (!isRecord(body)) {
    refusals.add('', 'the body is not a JSON object');
    return refusals.refused();
  }
  refusals.unknownKeys(body, ANSWER_KEYS, '', 'gemini');
  const candidates = readArray(body, 'candidates', 'candidates', refusals);
  if (candidates.length !== 1) refusals.add('candidates', 'exactly one candidate travels');
  const candidate: JsonRecord = isRecord(candidates[0]) ? candidates[0] : {};
  refusals.unknownKeys(candidate, CANDIDATE_KEYS, 'candidates[0]', 'gemini');
  const responseId = typeof body.responseId === 'string' ? body.responseId : '';
  const content: (NeutralText | NeutralToolCall)[] = [];
  const parts = isRecord(candidate.content)
    ? readArray(candidate.content, 'parts', 'candidates[0].content.parts', refusals)
    : [];
  parts.forEach((part, p) => {
    const at = join('candidates[0].content.parts', p);
    // A thought summary was never asked for by a translated call (the stream reader skips it too).
    if (isRecord(part) && part.thought === true) return;
    if (isRecord(part) && isRecord(part.functionCall)) {
      const call = readFunctionCall(part, at, `gemini-call-${responseId}-${p}`, refusals);
      if (call) content.push(call);
      return;
    }
    const media = readMediaPart(part, at, refusals);
    if (media?.kind === 'text') content.push(media);
    else if (media) refusals.add(at, 'an answer travels as text and tool calls only');
  });
  const finish = typeof candidate.finishReason === 'string' ? candidate.finishReason : '';
  let stopReason = GEMINI_FINISH_TO_NEUTRAL[finish];
  if (!stopReason)
    refusals.add('candidates[0].finishReason', `finishReason ${JSON.stringify(finish)} has no counterpart`);
  if (stopReason === 'end' && content.some((c) => c.kind === 'tool-call')) stopReason = 'tool-calls';
  const usage = readGeminiUsage(body.usageMetadata, refusals);
  return refusals.result(() => ({
    id: responseId,
    model: typeof body.modelVersion === 'string' ? body.modelVersion : '',
    content,
    stopReason: stopReason ?? 'end',
    usage,
  }));
}

/** Gemini counts thoughts apart from candidates; the neutral output count includes them. */
export function readGeminiUsage(usage: unknown, refusals: Refusals): NeutralUsage {
  if (!isRecord(usage)) {
    refusals.add('usageMetadata', 'the answer reports no usage');
    return { inputTokens: 0, outputTokens: 0 };
  }
  const count = (key: string): number | undefined =>
    readNumber(usage, key, join('usageMetadata', key), refusals);
  const thoughts = count('thoughtsTokenCount');
  const cached = count('cachedContentTokenCount');
  return {
    inputTokens: (count('promptTokenCount') ?? 0) + (count('toolUsePromptTokenCount') ?? 0),
    outputTokens: (count('candidatesTokenCount') ?? 0) + (thoughts ?? 0),
    ...(cached !== undefined ? { cachedInputTokens: cached } : {}),
    ...(thoughts !== undefined ? { reasoningTokens: thoughts } : {}),
  };
}

/** Cache writes have no Gemini field; they stay counted in `promptTokenCount`. */
export function neutralToGeminiAnswer(answer: NeutralAnswer): Translation<Body> {
  const refusals = new Refusals();
  const parts = answer.content.map((part, i) => writePart(part, join('content', i), new Map(), refusals));
  const body: Body = {
    candidates: [
      {
        content: { role: 'model', parts },
        finishReason: NEUTRAL_TO_GEMINI_FINISH[answer.stopReason],
        index: 0,
      },
    ],
    usageMetadata: writeGeminiUsage(answer.usage),
    modelVersion: answer.model,
    responseId: answer.id,
  };
  return refusals.result(() => body);
}

/** Neutral usage as `usageMetadata`; cache writes stay counted in `promptTokenCount`. */
export function writeGeminiUsage(usage: NeutralUsage): Body {
  const body: Body = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: usage.outputTokens - (usage.reasoningTokens ?? 0),
    totalTokenCount: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens !== undefined) body.cachedContentTokenCount = usage.cachedInputTokens;
  if (usage.reasoningTokens !== undefined) body.thoughtsTokenCount = usage.reasoningTokens;
  return body;
}
