/**
 * Usage from OpenAI-style streams.
 *
 * - Chat Completions / Completions: one chunk before `data: [DONE]` carries
 *   `usage` when `stream_options.include_usage` is set; the others carry
 *   `"usage":null` (PROVIDERS.md §1.8, §8.7). Groq nests it as `x_groq.usage`.
 * - Responses: usage arrives only in the terminal event
 *   (`response.completed`, also `response.incomplete` / `response.failed`)
 *   as `response.usage`.
 * - Errors after the 200: `{"error":{…}}` data (chat), `event: error` or
 *   `response.failed` (Responses).
 *
 * Only chunks that contain a `usage` or `error` object are parsed, and then
 * only that object; generated text is only measured (`GeneratedText`). The
 * tier that served the call (`service_tier`, on every chat chunk, on the
 * terminal Responses event's `response`) is read beside the usage.
 */
import type { Endpoint, ProviderError, ProviderUsage, UsageTap } from '../adapter.js';
import { lastObjectMember, lastWordMember } from '../parse/json-member.js';
import { isRecord, recordField } from '../parse/json-shape.js';
import { GeneratedText, textMembers } from '../stream/generated-text.js';
import { classifyInStream, type ErrorClassifier, leadingType } from '../stream/in-stream-error.js';
import { createStreamFrame } from '../stream/stream-frame.js';
import { openAIUsage, withServedTier } from './usage.js';

const TERMINAL_RESPONSE_EVENTS: ReadonlySet<string> = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
]);

/** Where a chat or completion chunk carries generated text: message text, reasoning, refusals, tool arguments, legacy completions. */
const CHUNK_TEXT = textMembers('content', 'reasoning_content', 'refusal', 'arguments', 'text');
/** Responses `*.delta` events carry their piece of text (or tool arguments) as `delta`. */
const RESPONSE_DELTA = textMembers('delta');
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

export function createOpenAIUsageTap(endpoint: Endpoint, classify: ErrorClassifier): UsageTap {
  let usage: ProviderUsage | undefined;
  let complete = false;
  let error: ProviderError | undefined;
  const generated = new GeneratedText();

  const onChunk = (data: string): void => {
    generated.add(data, CHUNK_TEXT);
    // Every chunk of a stream asked for usage carries `"usage":null`: only an object is worth reading.
    if (USAGE_OBJECT.test(data)) {
      const found = openAIUsage(lastObjectMember(data, 'usage'));
      if (found) {
        usage = withServedTier(found, lastWordMember(data, 'service_tier'));
        complete = true;
      }
    }
    if (data.includes('"error"')) {
      const err = lastObjectMember(data, 'error');
      if (err) error = classifyInStream(classify, { error: err }, err);
    }
  };

  const onResponseEvent = (event: string | undefined, data: string): void => {
    const type = event ?? leadingType(data);
    if (type === 'error') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        parsed = undefined;
      }
      const err = recordField(parsed, 'error') ?? (isRecord(parsed) ? parsed : {});
      error = classifyInStream(classify, { error: err }, err);
      return;
    }
    if (type?.endsWith('.delta')) {
      generated.add(data, RESPONSE_DELTA);
      return;
    }
    if (type === undefined || !TERMINAL_RESPONSE_EVENTS.has(type)) return;
    const found = openAIUsage(lastObjectMember(data, 'usage'));
    if (found) usage = withServedTier(found, lastWordMember(data, 'service_tier'));
    complete = true;
    if (type === 'response.failed') {
      const err = lastObjectMember(data, 'error') ?? {};
      error = classifyInStream(classify, { error: err }, err);
    }
  };

  const frame = createStreamFrame((event, data) => {
    if (data === '[DONE]') return;
    if (endpoint === 'responses') onResponseEvent(event, data);
    else onChunk(data);
  });

  return {
    push: (chunk) => frame.push(chunk),
    usage: () => usage,
    complete: () => complete,
    generatedTokens: () => generated.tokens(),
    error: () => error,
  };
}
