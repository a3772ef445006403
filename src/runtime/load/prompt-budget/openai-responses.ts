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
import { arrayField, stringField } from '../../../providers/parse/json-shape.js';
import { type Entry, type PromptTrim, tokensOf, trimConversation, untrimmed } from './conversation.js';
import { openAICounting } from './openai-chat.js';

export function trimResponsesInput(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const { framing, tally } = openAICounting(body);
  const items = arrayField(body, 'input');
  if (!items)
    return untrimmed(
      body,
      tokensOf(tally, () => tallyResponsesRequest(body, tally, framing)),
    );
  const fixedTokens = tokensOf(tally, () => tallyResponsesRequest({ ...body, input: [] }, tally, framing));
  const entries = items.map((item): Entry => {
    const tokens = tokensOf(tally, () => tallyItem(item, tally, framing));
    const type = stringField(item, 'type');
    const role = stringField(item, 'role');
    if (type === undefined || type === 'message') {
      if (role === 'system' || role === 'developer') return { tokens, pinned: true };
      return role === 'user' ? { tokens, opensTurn: true } : { tokens };
    }
    if (type === 'mcp_approval_request') return { tokens, calls: idOf(item, 'id') };
    if (type === 'mcp_approval_response') return { tokens, results: idOf(item, 'approval_request_id') };
    const callId = idOf(item, 'call_id');
    return type.endsWith('_output') ? { tokens, results: callId } : { tokens, calls: callId };
  });
  return trimConversation(body, { field: 'input', items, entries, fixedTokens }, budget);
}

function idOf(item: unknown, key: string): string[] {
  const id = stringField(item, key);
  return id === undefined ? [] : [id];
}
