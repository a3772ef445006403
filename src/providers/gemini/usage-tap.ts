/**
 * Usage from a native Gemini stream, SSE (`alt=sse`) or a JSON array
 * streamed element by element (the frame handles both). Chunks repeat
 * `usageMetadata`; the last one wins. The final chunk is the one with a
 * `finishReason`. An element `{"error":{…}}` is an in-stream error (§4.2).
 */
import type { ProviderError, ProviderUsage, UsageTap } from '../adapter.js';
import { lastObjectMember } from '../parse/json-member.js';
import { GeneratedText, textMembers } from '../stream/generated-text.js';
import { classifyInStream, type ErrorClassifier } from '../stream/in-stream-error.js';
import { createStreamFrame } from '../stream/stream-frame.js';
import { geminiUsage } from './usage.js';

/** Generated text in a candidate's parts (`thought` parts carry theirs as `text` too). */
const PART_TEXT = textMembers('text');
const LEADING_ERROR = /^\s*\{\s*"error"\s*:/;

export function createGeminiUsageTap(classify: ErrorClassifier): UsageTap {
  let usage: ProviderUsage | undefined;
  let finished = false;
  let error: ProviderError | undefined;
  const generated = new GeneratedText();

  const frame = createStreamFrame((_event, data) => {
    generated.add(data, PART_TEXT);
    if (data.includes('"usageMetadata"')) {
      const found = geminiUsage(lastObjectMember(data, 'usageMetadata'));
      if (found) usage = found;
    }
    if (data.includes('"finishReason"')) finished = true;
    if (LEADING_ERROR.test(data)) {
      const err = lastObjectMember(data, 'error');
      if (err) error = classifyInStream(classify, { error: err }, err);
    }
  });

  return {
    push: (chunk) => frame.push(chunk),
    usage: () => usage,
    complete: () => finished && usage !== undefined,
    generatedTokens: () => generated.tokens(),
    error: () => error,
  };
}
