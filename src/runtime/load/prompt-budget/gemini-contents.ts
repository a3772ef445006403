/**
 * Prompt budgeting for Gemini (`contents`). `systemInstruction` is the
 * system prompt and always stays. A model turn's `functionCall` parts are
 * answered by the `functionResponse` parts of the user turn right after it
 * (by position; ids are optional), so a user turn holding responses
 * continues a turn rather than opening one, and the kept conversation
 * begins with a user turn, as the API requires. A content without a role is
 * the user's. Tokens are the estimator's (`providers/gemini/estimate.ts`).
 */
import { PromptTally } from '../../../providers/estimate/prompt-tally.js';
import { charCounter } from '../../../providers/estimate/text-counter.js';
import { tallyContent, tallyGeminiPrompt } from '../../../providers/gemini/estimate.js';
import { arrayField, field, stringField } from '../../../providers/parse/json-shape.js';
import { type PromptTrim, trimField } from './conversation.js';

export function trimGeminiContents(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const tally = new PromptTally(charCounter);
  return trimField(body, budget, {
    field: 'contents',
    tally,
    countRequest: (request) => tallyGeminiPrompt(request, tally),
    countItem: (content) => tallyContent(content, tally),
    describe: (content, i) => {
      const parts = arrayField(content, 'parts') ?? [];
      const has = (key: string): boolean => parts.some((part) => field(part, key) !== undefined);
      // Pairs are by position: a response answers the turn before it.
      const calls = has('functionCall') ? [`turn:${i}`] : [];
      if ((stringField(content, 'role') ?? 'user') !== 'user') return { calls };
      const answers = has('functionResponse');
      return { calls, results: answers ? [`turn:${i - 1}`] : [], opensTurn: !answers };
    },
  });
}
