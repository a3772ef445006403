/**
 * The prompt of a request of any family, trimmed to a token budget: each
 * conversational endpoint to its family's rules; any other request (a
 * completion, an embedding, a token count) is sent as it is.
 */
import type { Endpoint } from '../../../providers/adapter.js';
import type { ApiFamily } from '../../../providers/api-family.js';
import { trimAnthropicMessages } from './anthropic-messages.js';
import type { PromptTrim } from './conversation.js';
import { trimGeminiContents } from './gemini-contents.js';
import { trimChatMessages } from './openai-chat.js';
import { trimResponsesInput } from './openai-responses.js';

type Trimmer = (body: Record<string, unknown>, budget: number) => PromptTrim<Record<string, unknown>>;

/** The trimmer of each family's conversational endpoints. */
const TRIMMERS: Readonly<Record<ApiFamily, Partial<Record<Endpoint, Trimmer>>>> = Object.freeze({
  openai: Object.freeze({ chat_completions: trimChatMessages, responses: trimResponsesInput }),
  anthropic: Object.freeze({ messages: trimAnthropicMessages }),
  gemini: Object.freeze({
    generate_content: trimGeminiContents,
    stream_generate_content: trimGeminiContents,
  }),
});

/** Undefined when the endpoint carries no conversation to trim. */
export function trimmerFor(family: ApiFamily, endpoint: Endpoint): Trimmer | undefined {
  return TRIMMERS[family][endpoint];
}

/**
 * Drops the oldest turns of `body` until its estimated prompt fits `budget`
 * tokens (see `conversation.ts` for what always stays); the body as it is,
 * with `trimmedTokens` 0, when it fits, when nothing can go, or when the
 * endpoint has no conversation (`keptTokens` is then 0 too: not counted).
 */
export function trimPrompt(
  request: { readonly family: ApiFamily; readonly endpoint: Endpoint },
  body: Record<string, unknown>,
  budget: number,
): PromptTrim<Record<string, unknown>> {
  const trimmer = trimmerFor(request.family, request.endpoint);
  return trimmer ? trimmer(body, budget) : { body, trimmedTokens: 0, keptTokens: 0 };
}
