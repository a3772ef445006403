/**
 * Prompt budgeting for Anthropic Messages (`messages`). The system prompt is
 * the top-level `system` and always stays. An assistant message's
 * `tool_use` blocks are answered by `tool_result` blocks (by `tool_use_id`)
 * in the next user message, so a user message holding results continues a
 * turn rather than opening one; the kept conversation then begins with a
 * user message and still alternates, as the API requires. Tokens are the
 * estimator's (`providers/anthropic/estimate.ts`): the character estimate.
 */
import { tallyAnthropicMessage, tallyAnthropicPrompt } from '../../../providers/anthropic/estimate.js';
import { PromptTally } from '../../../providers/estimate/prompt-tally.js';
import { charCounter } from '../../../providers/estimate/text-counter.js';
import { arrayField, stringField } from '../../../providers/parse/json-shape.js';
import { type PromptTrim, trimField } from './conversation.js';

export function trimAnthropicMessages(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const tally = new PromptTally(charCounter);
  return trimField(body, budget, {
    field: 'messages',
    tally,
    countRequest: (request) => tallyAnthropicPrompt(request, tally),
    countItem: (message) => tallyAnthropicMessage(message, tally),
    describe: (message) => {
      const blocks = arrayField(message, 'content') ?? [];
      const idsOf = (type: string, key: string): string[] =>
        blocks.flatMap((block) =>
          stringField(block, 'type') === type ? (stringField(block, key) ?? []) : [],
        );
      if (stringField(message, 'role') === 'user') {
        const results = idsOf('tool_result', 'tool_use_id');
        return { results, opensTurn: results.length === 0 };
      }
      return { calls: idsOf('tool_use', 'id') };
    },
  });
}
