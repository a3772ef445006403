/**
 * Prompt budgeting for OpenAI Chat Completions (`messages`). System and
 * developer messages are the system prompt: pinned wherever they stand. An
 * assistant message's `tool_calls` are answered by `tool` messages naming
 * their `tool_call_id`; the legacy `function_call` by the `function`
 * message that follows it (it names no id, so it pairs with the latest
 * call before it). Tokens are the estimator's (`providers/openai/chat-prompt.ts`):
 * the model's tokenizer and the cookbook's framing.
 */
import { encodingForModel } from '../../../providers/estimate/encodings.js';
import { PromptTally } from '../../../providers/estimate/prompt-tally.js';
import { tokenizerCounter } from '../../../providers/estimate/text-counter.js';
import {
  type ChatFraming,
  framingFor,
  tallyChatRequest,
  tallyMessage,
} from '../../../providers/openai/chat-prompt.js';
import { arrayField, field, stringField } from '../../../providers/parse/json-shape.js';
import { type PromptTrim, trimField } from './conversation.js';

/** How an OpenAI request's prompt is counted: the model's framing and tokenizer, as admission counts it. */
export function openAICounting(body: Record<string, unknown>): { framing: ChatFraming; tally: PromptTally } {
  const model = stringField(body, 'model');
  return { framing: framingFor(model), tally: new PromptTally(tokenizerCounter(encodingForModel(model))) };
}

export function trimChatMessages(
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const { framing, tally } = openAICounting(body);
  // A legacy `function` message answers the latest assistant `function_call`.
  let functionCall: string | undefined;
  return trimField(body, budget, {
    field: 'messages',
    tally,
    countRequest: (request) => tallyChatRequest(request, tally, framing),
    countItem: (message) => tallyMessage(message, tally, framing),
    describe: (message, i) => {
      switch (stringField(message, 'role')) {
        case 'system':
        case 'developer':
          return { pinned: true };
        case 'user':
          return { opensTurn: true };
        case 'assistant': {
          const calls = (arrayField(message, 'tool_calls') ?? []).flatMap(
            (call) => stringField(call, 'id') ?? [],
          );
          if (field(message, 'function_call') != null) {
            functionCall = `function_call:${i}`;
            calls.push(functionCall);
          }
          return { calls };
        }
        case 'tool':
          return { results: [stringField(message, 'tool_call_id')].filter((id) => id !== undefined) };
        case 'function':
          return { results: functionCall === undefined ? [] : [functionCall] };
        default:
          return {};
      }
    },
  });
}
