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
import { type Entry, type PromptTrim, tokensOf, trimConversation, untrimmed } from './conversation.js';

export function trimGeminiContents(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const tally = new PromptTally(charCounter);
  const contents = arrayField(body, 'contents');
  if (!contents)
    return untrimmed(
      body,
      tokensOf(tally, () => tallyGeminiPrompt(body, tally)),
    );
  const fixedTokens = tokensOf(tally, () => tallyGeminiPrompt({ ...body, contents: [] }, tally));
  const entries = contents.map((content, i): Entry => {
    const tokens = tokensOf(tally, () => tallyContent(content, tally));
    const parts = arrayField(content, 'parts') ?? [];
    const has = (key: string): boolean => parts.some((part) => field(part, key) !== undefined);
    // Pairs are by position: a response answers the turn before it.
    const calls = has('functionCall') ? [`turn:${i}`] : [];
    if ((stringField(content, 'role') ?? 'user') !== 'user') return { tokens, calls };
    const answers = has('functionResponse');
    return { tokens, calls, results: answers ? [`turn:${i - 1}`] : [], opensTurn: !answers };
  });
  return trimConversation(body, { field: 'contents', items: contents, entries, fixedTokens }, budget);
}
