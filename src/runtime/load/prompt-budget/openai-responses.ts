/**
 * Prompt budgeting for the OpenAI Responses API (`input`). `instructions`
 * is the system prompt and always stays, as do system and developer
 * messages among the items. A call item (`function_call`,
 * `custom_tool_call`, `computer_call`, `local_shell_call`…) is answered by
 * the `…_output` item with the same `call_id`; an `mcp_approval_request` by
 * the `mcp_approval_response` naming its id. A string `input` is one user
 * turn: nothing to drop. Tokens are the estimator's
 * (`providers/openai/responses-input.ts`).
 */
import { tallyItem, tallyResponsesRequest } from '../../../providers/openai/responses-input.js';
import { stringField } from '../../../providers/parse/json-shape.js';
import { type PromptTrim, trimField } from './conversation.js';
import { openAICounting } from './openai-chat.js';

export function trimResponsesInput(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const { framing, tally } = openAICounting(body);
  return trimField(body, budget, {
    field: 'input',
    tally,
    countRequest: (request) => tallyResponsesRequest(request, tally, framing),
    countItem: (item) => tallyItem(item, tally, framing),
    describe: (item) => {
      const type = stringField(item, 'type');
      const role = stringField(item, 'role');
      if (type === undefined || type === 'message') {
        if (role === 'system' || role === 'developer') return { pinned: true };
        return role === 'user' ? { opensTurn: true } : {};
      }
      if (type === 'mcp_approval_request') return { calls: idOf(item, 'id') };
      if (type === 'mcp_approval_response') return { results: idOf(item, 'approval_request_id') };
      const callId = idOf(item, 'call_id');
      return type.endsWith('_output') ? { results: callId } : { calls: callId };
    },
  });
}

function idOf(item: unknown, key: string): string[] {
  const id = stringField(item, key);
  return id === undefined ? [] : [id];
}
