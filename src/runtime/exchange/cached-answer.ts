/**
 * An answer from the response cache, written in the caller's API and
 * framing whatever API and framing it was kept from: whole as JSON, or
 * replayed as the caller's stream (`answer-events.ts`). A hit or a stale
 * answer touches no bucket: it carries no budget headers, and says what it
 * is in `x-sluice-cache`.
 */
import { API_FAMILIES } from '../../providers/api-family.js';
import { chatApiOfEndpoint } from '../../providers/translate/chat-apis.js';
import type { NeutralAnswer } from '../../providers/translate/neutral.js';
import { answerEvents } from '../../providers/translate/stream/answer-events.js';
import { STREAM_FORMATS } from '../../providers/translate/stream/stream-translation.js';
import type { Answer, AnswerOptions } from './answer.js';
import type { Call } from './call.js';

export interface CachedAnswerOptions {
  /** `hit`: fresh; `stale`: served because no deployment could serve the call. */
  readonly how: 'hit' | 'stale';
  /** The caller asked for usage in its stream (OpenAI `include_usage`). */
  readonly streamUsage: boolean;
  readonly nowSeconds: number;
  readonly priority: string | undefined;
}

/** The answer, or undefined when the caller's API cannot hold it (then the call goes upstream). */
export function cachedAnswer(
  answer: NeutralAnswer,
  call: Call,
  options: AnswerOptions,
  cached: CachedAnswerOptions,
): Answer | undefined {
  const api = chatApiOfEndpoint(call.endpoint);
  if (!api) return undefined;
  let body: string;
  let contentType: string;
  if (call.stream) {
    const q = call.path.indexOf('?');
    const format = api.streamFormat(q < 0 ? '' : call.path.slice(q));
    const writer = STREAM_FORMATS[format].writer({
      streamUsage: cached.streamUsage,
      createdSeconds: cached.nowSeconds,
    });
    body = '';
    for (const event of answerEvents(answer)) body += writer.write(event);
    body += writer.finish();
    contentType = format === 'gemini-json' ? 'application/json' : 'text/event-stream; charset=utf-8';
  } else {
    const written = api.writeAnswer(answer, { nowSeconds: cached.nowSeconds });
    if (!written.ok) return undefined;
    body = JSON.stringify(written.value);
    contentType = 'application/json';
  }
  return {
    status: 200,
    headers: [
      'x-sluice-request-id',
      options.requestId,
      API_FAMILIES[options.family].requestIdHeader,
      options.requestId,
      'content-type',
      contentType,
      'x-sluice-cache',
      cached.how,
    ],
    body,
    relay: undefined,
    contentLength: undefined,
    report: {
      refusal: undefined,
      upstreamError: undefined,
      detail: undefined,
      deployment: undefined,
      priority: cached.priority,
      waitedMs: 0,
      attempts: 0,
    },
  };
}
