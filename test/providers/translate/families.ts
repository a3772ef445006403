/**
 * The four translators behind one shape, so round-trip properties can run
 * over every ordered pair of families.
 */
import {
  anthropicRequestToNeutral,
  neutralToAnthropicRequest,
} from '../../../src/providers/translate/anthropic-messages.js';
import {
  anthropicAnswerToNeutral,
  neutralToAnthropicAnswer,
} from '../../../src/providers/translate/anthropic-messages-answer.js';
import {
  geminiRequestToNeutral,
  neutralToGeminiRequest,
} from '../../../src/providers/translate/gemini-generate.js';
import {
  geminiAnswerToNeutral,
  neutralToGeminiAnswer,
} from '../../../src/providers/translate/gemini-generate-answer.js';
import type { NeutralAnswer, NeutralRequest } from '../../../src/providers/translate/neutral.js';
import {
  neutralToOpenAIChatRequest,
  openAIChatRequestToNeutral,
} from '../../../src/providers/translate/openai-chat.js';
import {
  neutralToOpenAIChatAnswer,
  openAIChatAnswerToNeutral,
} from '../../../src/providers/translate/openai-chat-answer.js';
import {
  neutralToOpenAIResponsesRequest,
  openAIResponsesRequestToNeutral,
} from '../../../src/providers/translate/openai-responses.js';
import {
  neutralToOpenAIResponsesAnswer,
  openAIResponsesAnswerToNeutral,
} from '../../../src/providers/translate/openai-responses-answer.js';
import type { Translation } from '../../../src/providers/translate/translation.js';

/** The clock OpenAI answers are stamped with when the upstream gave no `created`. */
export const NOW_SECONDS = 1_796_000_000;

/** `openai` is Chat Completions; `responses` is OpenAI's Responses API. */
export type FamilyName = 'openai' | 'anthropic' | 'gemini' | 'responses';

export interface Family {
  readonly name: FamilyName;
  requestToNeutral(wire: unknown): Translation<NeutralRequest>;
  neutralToRequest(request: NeutralRequest): Translation<unknown>;
  answerToNeutral(wire: unknown): Translation<NeutralAnswer>;
  neutralToAnswer(answer: NeutralAnswer): Translation<unknown>;
}

export const FAMILIES: readonly Family[] = [
  {
    name: 'openai',
    requestToNeutral: openAIChatRequestToNeutral,
    neutralToRequest: neutralToOpenAIChatRequest,
    answerToNeutral: openAIChatAnswerToNeutral,
    neutralToAnswer: (answer) => neutralToOpenAIChatAnswer(answer, { nowSeconds: NOW_SECONDS }),
  },
  {
    name: 'anthropic',
    requestToNeutral: anthropicRequestToNeutral,
    neutralToRequest: (request) => neutralToAnthropicRequest(request),
    answerToNeutral: anthropicAnswerToNeutral,
    neutralToAnswer: neutralToAnthropicAnswer,
  },
  {
    name: 'gemini',
    requestToNeutral: (wire) => geminiRequestToNeutral(wire as Parameters<typeof geminiRequestToNeutral>[0]),
    neutralToRequest: neutralToGeminiRequest,
    answerToNeutral: geminiAnswerToNeutral,
    neutralToAnswer: neutralToGeminiAnswer,
  },
  {
    name: 'responses',
    requestToNeutral: openAIResponsesRequestToNeutral,
    neutralToRequest: neutralToOpenAIResponsesRequest,
    answerToNeutral: openAIResponsesAnswerToNeutral,
    neutralToAnswer: (answer) => neutralToOpenAIResponsesAnswer(answer, { nowSeconds: NOW_SECONDS }),
  },
];

/** The value of a translation that must succeed; a refusal fails the test with its parameters. */
export function translated<T>(translation: Translation<T>): T {
  if (!translation.ok) {
    throw new Error(
      `refused: ${translation.untranslatable.map((u) => `${u.parameter} (${u.reason})`).join(', ')}`,
    );
  }
  return translation.value;
}

/** The parameters a translation refused (empty when it succeeded). */
export function refusedParameters<T>(translation: Translation<T>): string[] {
  return translation.ok ? [] : translation.untranslatable.map((u) => u.parameter);
}
