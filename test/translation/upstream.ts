/**
 * Reading a recorded exchange in the upstream's own terms: the usage it
 * reported (in one sense, TABLE.md's: input includes cache reads and
 * writes), the system prompt and image it was sent, and the tool call ids
 * of a conversation, so a test can hold the caller's view against it.
 */
import type { Usage } from './clients/index.js';
import type { Exchange } from './recorder.js';
import type { Family } from './rig.js';

type Json = Record<string, unknown>;

/** The answer's JSON objects: the body, or each SSE `data:` line of a stream (a JSON array's elements). */
export function answerObjects(exchange: Exchange): Json[] {
  const text = exchange.answer.trim();
  if (text.startsWith('{')) return [JSON.parse(text) as Json];
  if (text.startsWith('[')) return JSON.parse(text) as Json[];
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim())
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Json);
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** The usage the upstream reported, whole answer or stream. */
export function upstreamUsage(family: Family, exchange: Exchange): Usage {
  let input = -1;
  let output = -1;
  for (const o of answerObjects(exchange)) {
    if (family === 'openai' && o.usage) {
      const u = o.usage as Json;
      input = num(u.prompt_tokens);
      output = num(u.completion_tokens);
    }
    if (family === 'anthropic') {
      const u = (o.type === 'message_start' ? (o.message as Json).usage : o.usage) as Json | undefined;
      if (u && 'input_tokens' in u)
        input = num(u.input_tokens) + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens);
      if (u && 'output_tokens' in u) output = num(u.output_tokens);
    }
    if (family === 'gemini' && o.usageMetadata) {
      const u = o.usageMetadata as Json;
      input = num(u.promptTokenCount) + num(u.toolUsePromptTokenCount);
      output = num(u.candidatesTokenCount) + num(u.thoughtsTokenCount);
    }
  }
  return { input, output };
}

/** The system prompt the upstream was sent, in its API's place for it. */
export function upstreamSystem(family: Family, body: Json): string | undefined {
  switch (family) {
    case 'openai': {
      const first = (body.messages as Json[])[0];
      return first?.role === 'system' ? (first.content as string) : undefined;
    }
    case 'anthropic':
      return typeof body.system === 'string'
        ? body.system
        : (body.system as Json[] | undefined)?.map((b) => b.text).join('');
    case 'gemini':
      return (body.systemInstruction as { parts: Json[] } | undefined)?.parts.map((p) => p.text).join('');
  }
}

/** The base64 images of the last user turn, as `mediaType;data`, written the upstream's way. */
export function upstreamImages(family: Family, body: Json): string[] {
  const turns = (family === 'gemini' ? body.contents : body.messages) as Json[];
  const last = turns.at(-1) as Json;
  const parts = (family === 'gemini' ? last.parts : last.content) as Json[] | string;
  if (typeof parts === 'string') return [];
  return parts.flatMap((part) => {
    if (family === 'openai' && part.type === 'image_url') {
      const url = (part.image_url as Json).url as string;
      const [, mediaType, data] = /^data:([^;]+);base64,(.*)$/.exec(url) ?? [];
      return mediaType ? [`${mediaType};${data}`] : [];
    }
    if (family === 'anthropic' && part.type === 'image') {
      const source = part.source as Json;
      return source.type === 'base64' ? [`${source.media_type};${source.data}`] : [];
    }
    if (family === 'gemini' && part.inlineData) {
      const inline = part.inlineData as Json;
      return [`${inline.mimeType};${inline.data}`];
    }
    return [];
  });
}

/** The ids of the tool calls the upstream answered with (whole or streamed); Gemini's may be absent. */
export function upstreamCallIds(family: Family, exchange: Exchange): (string | undefined)[] {
  const ids: (string | undefined)[] = [];
  for (const o of answerObjects(exchange)) {
    if (family === 'openai') {
      for (const choice of (o.choices ?? []) as Json[]) {
        const calls = ((choice.message ?? choice.delta) as Json | undefined)?.tool_calls as
          | Json[]
          | undefined;
        for (const call of calls ?? []) if (call.id) ids.push(call.id as string);
      }
    }
    if (family === 'anthropic') {
      const blocks =
        o.type === 'content_block_start' ? [o.content_block as Json] : ((o.content ?? []) as Json[]);
      for (const block of blocks) if (block.type === 'tool_use') ids.push(block.id as string);
    }
    if (family === 'gemini') {
      for (const candidate of (o.candidates ?? []) as Json[]) {
        for (const part of ((candidate.content as Json | undefined)?.parts ?? []) as Json[])
          if (part.functionCall) ids.push((part.functionCall as Json).id as string | undefined);
      }
    }
  }
  return ids;
}

/** In a request carrying a conversation: the ids of the tool calls it repeats and of the results it sends. */
export function conversationIds(family: Family, body: Json): { calls: string[]; results: string[] } {
  const calls: string[] = [];
  const results: string[] = [];
  if (family === 'openai') {
    for (const m of body.messages as Json[]) {
      for (const call of (m.tool_calls ?? []) as Json[]) calls.push(call.id as string);
      if (m.role === 'tool') results.push(m.tool_call_id as string);
    }
  }
  if (family === 'anthropic') {
    for (const m of body.messages as Json[]) {
      if (typeof m.content === 'string') continue;
      for (const block of m.content as Json[]) {
        if (block.type === 'tool_use') calls.push(block.id as string);
        if (block.type === 'tool_result') results.push(block.tool_use_id as string);
      }
    }
  }
  if (family === 'gemini') {
    for (const c of body.contents as Json[]) {
      for (const part of c.parts as Json[]) {
        if (part.functionCall) calls.push((part.functionCall as Json).id as string);
        if (part.functionResponse) results.push((part.functionResponse as Json).id as string);
      }
    }
  }
  return { calls, results };
}

/** The message of the error event a stream ended with. */
export function upstreamStreamError(exchange: Exchange): string | undefined {
  const event = answerObjects(exchange).find(
    (o) => typeof (o.error as Json | undefined)?.message === 'string',
  );
  return (event?.error as Json | undefined)?.message as string | undefined;
}

/**
 * The wait the upstream asked for, in seconds: its `retry-after` header, or
 * Gemini's `RetryInfo.retryDelay` (whole seconds, PROVIDERS.md §4.2).
 */
export function upstreamRetryHint(exchange: Exchange): number | undefined {
  const header = exchange.headers['retry-after'];
  if (typeof header === 'string') return Number(header);
  const details = ((answerObjects(exchange)[0]?.error as Json | undefined)?.details ?? []) as Json[];
  const info = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
  return typeof info?.retryDelay === 'string' ? Number.parseFloat(info.retryDelay) : undefined;
}
