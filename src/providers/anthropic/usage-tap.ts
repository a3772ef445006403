/**
 * Usage from an Anthropic Messages stream (PROVIDERS.md §3.5): the input side
 * arrives in `message_start` (with a placeholder `output_tokens`), and every
 * `message_delta` carries cumulative counts, so each field keeps its last
 * value and nothing is summed. `event: error` after the 200 is an in-stream
 * error (§3.3, e.g. `overloaded_error`). Content deltas are scanned for the
 * length of their text only (what a cut stream delivered); other events
 * (pings, and unknown future types, which the versioning policy says to
 * skip) are never parsed.
 */
import type { ProviderError, UsageTap } from '../adapter.js';
import { field, recordField, stringField } from '../parse/json-shape.js';
import { GeneratedText, textMembers } from '../stream/generated-text.js';
import { classifyInStream, type ErrorClassifier, leadingType } from '../stream/in-stream-error.js';
import { createStreamFrame } from '../stream/stream-frame.js';
import { type AnthropicCounts, anthropicUsage, mergeAnthropicUsage } from './usage.js';

/** Where `content_block_delta` carries generated text (text, tool input, thinking; §3.5). */
const DELTA_TEXT = textMembers('text', 'partial_json', 'thinking');

export function createAnthropicUsageTap(
  classify: ErrorClassifier,
  cacheReadsCountFor: readonly string[],
): UsageTap {
  const counts: AnthropicCounts = {};
  let seen = false;
  let model: string | undefined;
  let complete = false;
  let error: ProviderError | undefined;
  const generated = new GeneratedText();

  const frame = createStreamFrame((event, data) => {
    const type = event ?? leadingType(data);
    if (type === 'content_block_delta') {
      generated.add(data, DELTA_TEXT);
      return;
    }
    if (type !== 'message_start' && type !== 'message_delta' && type !== 'error') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (type === 'message_start') {
      const message = recordField(parsed, 'message');
      model = stringField(message, 'model') ?? model;
      seen = mergeAnthropicUsage(counts, field(message, 'usage')) || seen;
    } else if (type === 'message_delta') {
      if (mergeAnthropicUsage(counts, field(parsed, 'usage'))) {
        seen = true;
        complete = true;
      }
    } else {
      error = classifyInStream(classify, parsed, recordField(parsed, 'error'));
    }
  });

  return {
    push: (chunk) => frame.push(chunk),
    usage: () => (seen ? anthropicUsage(counts, model, cacheReadsCountFor) : undefined),
    complete: () => complete,
    generatedTokens: () => generated.tokens(),
    error: () => error,
  };
}
