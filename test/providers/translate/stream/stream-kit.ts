/**
 * Test-side helpers for stream translation: a neutral answer as the events
 * a reader would say, a format's whole stream written from events, bytes cut
 * anywhere, a translation run over those pieces, and one assembler per
 * family that turns a caller's stream back into that family's non-streamed
 * body (so the answer translators can read it and compare).
 */

import { createStreamFrame } from '../../../../src/providers/stream/stream-frame.js';
import type { NeutralAnswer } from '../../../../src/providers/translate/neutral.js';
import { answerEvents as wholeAnswerEvents } from '../../../../src/providers/translate/stream/answer-events.js';
import type { NeutralStreamEvent } from '../../../../src/providers/translate/stream/events.js';
import {
  createStreamTranslation,
  STREAM_FORMATS,
  type StreamFormat,
  type StreamTranslationOptions,
} from '../../../../src/providers/translate/stream/stream-translation.js';
import type { FamilyName } from '../families.js';
import { NOW_SECONDS } from '../families.js';

export const FORMATS: readonly StreamFormat[] = [
  'openai-chat',
  'openai-responses',
  'anthropic-messages',
  'gemini-sse',
  'gemini-json',
];

export const FAMILY_OF: Readonly<Record<StreamFormat, FamilyName>> = {
  'openai-chat': 'openai',
  'openai-responses': 'responses',
  'anthropic-messages': 'anthropic',
  'gemini-sse': 'gemini',
  'gemini-json': 'gemini',
};

export const OPTIONS: StreamTranslationOptions = { streamUsage: true, createdSeconds: NOW_SECONDS };

/** `text` cut at `cuts` (positions taken modulo its length), never into empty pieces. */
export function pieces(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((c) => (text.length === 0 ? 0 : c % text.length)))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const c of at) {
    out.push(text.slice(from, c));
    from = c;
  }
  out.push(text.slice(from));
  return out;
}

/** The events a reader says for `answer` (`answer-events.ts`), text and arguments cut in pieces at `cuts`. */
export function answerEvents(answer: NeutralAnswer, cuts: readonly number[] = []): NeutralStreamEvent[] {
  return wholeAnswerEvents(answer).flatMap((event): NeutralStreamEvent[] => {
    if (event.kind === 'text') return pieces(event.text, cuts).map((text) => ({ ...event, text }));
    if (event.kind === 'tool-arguments') return pieces(event.json, cuts).map((json) => ({ ...event, json }));
    return [event];
  });
}

/** A whole stream of `format` written from `events`. */
export function writeStream(
  format: StreamFormat,
  events: readonly NeutralStreamEvent[],
  options: StreamTranslationOptions = OPTIONS,
): string {
  const writer = STREAM_FORMATS[format].writer(options);
  let out = '';
  for (const event of events) out += writer.write(event);
  return out + writer.finish();
}

/** Bytes of `text` cut at `cuts` (positions modulo the byte length). */
export function byteChunks(text: string, cuts: readonly number[]): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const at = [...new Set(cuts.map((c) => c % Math.max(1, bytes.length)))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** The caller's whole stream for upstream `chunks`. */
export function translate(
  from: StreamFormat,
  to: StreamFormat,
  chunks: readonly Uint8Array[],
  options: StreamTranslationOptions = OPTIONS,
): string {
  const translation = createStreamTranslation(from, to, options);
  const decoder = new TextDecoder();
  let out = '';
  for (const chunk of chunks) out += decoder.decode(translation.push(chunk), { stream: true });
  return out + decoder.decode(translation.end());
}

/** The stream's events as `[event name, parsed data]` ('[DONE]' kept as a string). */
export function streamMessages(text: string): { event: string | undefined; data: unknown }[] {
  const messages: { event: string | undefined; data: unknown }[] = [];
  const frame = createStreamFrame((event, data) => {
    messages.push({ event, data: data === '[DONE]' ? data : JSON.parse(data) });
  });
  frame.push(new TextEncoder().encode(text));
  return messages;
}

type Json = Record<string, unknown>;

/** A caller's stream in its family's non-streamed shape, or the error it ended with. */
export type Assembled = { readonly body: Json } | { readonly error: Json };

export function assemble(format: StreamFormat, text: string): Assembled {
  const messages = streamMessages(text);
  switch (FAMILY_OF[format]) {
    case 'openai':
      return assembleOpenAI(messages);
    case 'anthropic':
      return assembleAnthropic(messages);
    case 'gemini':
      return assembleGemini(messages);
    case 'responses':
      return assembleResponses(messages);
  }
}

/** `response.completed` / `.incomplete` repeat the whole response; `response.failed` and `error` end it. */
function assembleResponses(messages: { event: string | undefined; data: unknown }[]): Assembled {
  const last = messages[messages.length - 1];
  const data = (last?.data ?? {}) as Json;
  if (last?.event !== data.type) throw new Error(`event ${last?.event} carries ${String(data.type)}`);
  if (data.type === 'error') return { error: data };
  const response = data.response as Json;
  if (data.type === 'response.failed') return { error: response.error as Json };
  if (data.type !== 'response.completed' && data.type !== 'response.incomplete')
    throw new Error('no terminal event');
  return { body: response };
}

function assembleOpenAI(messages: { data: unknown }[]): Assembled {
  let head: Json = {};
  let content: string | null = null;
  const calls: { id: string; type: string; function: { name: string; arguments: string } }[] = [];
  let finish: unknown = null;
  let usage: unknown;
  let done = false;
  for (const { data } of messages) {
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = data as Json;
    if (chunk.error) return { error: chunk.error as Json };
    if (done) throw new Error('a chunk after [DONE]');
    head = chunk;
    for (const choice of chunk.choices as Json[]) {
      const delta = choice.delta as Json;
      if (typeof delta.content === 'string') content = (content ?? '') + delta.content;
      for (const call of (delta.tool_calls as Json[] | undefined) ?? []) {
        const fn = call.function as Json;
        const index = call.index as number;
        if (call.id !== undefined) {
          if (index !== calls.length) throw new Error('tool call indexes are not in order');
          calls.push({
            id: call.id as string,
            type: 'function',
            function: { name: fn.name as string, arguments: '' },
          });
        }
        const target = calls[index];
        if (!target) throw new Error('arguments before their call');
        target.function.arguments += (fn.arguments as string | undefined) ?? '';
      }
      if (choice.finish_reason !== null) finish = choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  if (!done) throw new Error('no [DONE]');
  const message: Json = { role: 'assistant', content: content === '' ? null : content, refusal: null };
  if (calls.length > 0) message.tool_calls = calls;
  message.annotations = [];
  return {
    body: {
      id: head.id,
      object: 'chat.completion',
      created: head.created,
      model: head.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      ...(usage !== undefined ? { usage } : {}),
    },
  };
}

function assembleAnthropic(messages: { event: string | undefined; data: unknown }[]): Assembled {
  let message: Json | undefined;
  const blocks: Json[] = [];
  const inputs: string[] = [];
  let stopped = false;
  for (const { event, data } of messages) {
    const body = data as Json;
    if (event !== body.type) throw new Error(`event ${event} carries ${String(body.type)}`);
    if (body.type === 'error') return { error: body };
    if (body.type === 'message_start')
      message = { ...(body.message as Json), usage: { ...((body.message as Json).usage as Json) } };
    if (!message) throw new Error(`${String(body.type)} before message_start`);
    if (stopped) throw new Error('an event after message_stop');
    switch (body.type) {
      case 'content_block_start':
        if (body.index !== blocks.length) throw new Error('blocks are not in order');
        blocks.push({ ...(body.content_block as Json) });
        inputs.push('');
        break;
      case 'content_block_delta': {
        const delta = body.delta as Json;
        const block = blocks[body.index as number] as Json;
        if (delta.type === 'text_delta') block.text = `${block.text as string}${delta.text as string}`;
        else inputs[body.index as number] += delta.partial_json as string;
        break;
      }
      case 'message_delta': {
        const delta = body.delta as Json;
        message.stop_reason = delta.stop_reason;
        message.stop_sequence = delta.stop_sequence;
        const usage = message.usage as Json;
        for (const [key, value] of Object.entries(body.usage as Json)) if (value !== null) usage[key] = value;
        break;
      }
      case 'message_stop':
        stopped = true;
        break;
    }
  }
  if (!message || !stopped) throw new Error('no message_stop');
  const content = blocks.map((block, i) =>
    block.type === 'tool_use'
      ? { ...block, input: inputs[i] === '' ? {} : JSON.parse(inputs[i] as string) }
      : block,
  );
  return { body: { ...message, content } };
}

function assembleGemini(messages: { data: unknown }[]): Assembled {
  const parts: Json[] = [];
  let last: Json = {};
  let finishReason: unknown;
  let usage: unknown;
  for (const { data } of messages) {
    const chunk = data as Json;
    if (chunk.error) return { error: chunk.error as Json };
    last = chunk;
    const candidate = (chunk.candidates as Json[])[0] as Json;
    for (const part of ((candidate.content as Json | undefined)?.parts as Json[] | undefined) ?? []) {
      const previous = parts[parts.length - 1];
      if (typeof part.text === 'string' && typeof previous?.text === 'string') previous.text += part.text;
      else parts.push({ ...part });
    }
    if (candidate.finishReason !== undefined) finishReason = candidate.finishReason;
    if (chunk.usageMetadata !== undefined) usage = chunk.usageMetadata;
  }
  return {
    body: {
      candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
      usageMetadata: usage,
      modelVersion: last.modelVersion,
      responseId: last.responseId,
    },
  };
}
