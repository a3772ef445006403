/**
 * The official SDKs' stream parsers accept what each writer writes: the
 * translated stream is served from a real socket on 127.0.0.1, the SDK
 * streams it as it would from the provider, and what it assembles matches
 * what the test-side assembler (checked against the non-streamed
 * translators by the property test) assembles. An in-stream error raises the
 * SDK's error.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamFormat } from '../../../../src/providers/translate/stream/stream-translation.js';
import {
  ANTHROPIC_OVERLOAD_STREAM,
  ANTHROPIC_TOOL_STREAM,
  GEMINI_SSE_STREAM,
  OPENAI_TOOL_STREAM,
} from './fixtures.js';
import { assemble, byteChunks, streamMessages, translate } from './stream-kit.js';

type Json = Record<string, unknown>;

let server: Server;
let baseUrl = '';
/** What the next request is answered with, in the pieces it is written in. */
let served: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of served) res.write(piece);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const upstreams: { from: StreamFormat; text: string; says: string; args: Json }[] = [
  {
    from: 'openai-chat',
    text: OPENAI_TOOL_STREAM,
    says: 'Grüße 👋, checking both.',
    args: { city: 'Paris' },
  },
  {
    from: 'anthropic-messages',
    text: ANTHROPIC_TOOL_STREAM,
    says: 'Grüße 👋, let me check.',
    args: { city: 'San Francisco' },
  },
  { from: 'gemini-sse', text: GEMINI_SSE_STREAM, says: 'Grüße 👋, checking.', args: { city: 'Paris' } },
];

/** The caller's stream for `text`, served in pieces cut inside events, and what the assembler makes of it. */
function serve(from: StreamFormat, to: StreamFormat, text: string): Json {
  const stream = translate(from, to, byteChunks(text, [5, 333, 900]));
  const decoder = new TextDecoder();
  served = byteChunks(stream, [17, 250, 251]).map((chunk) => decoder.decode(chunk, { stream: true }));
  const assembled = assemble(to, stream);
  return 'body' in assembled ? assembled.body : assembled.error;
}

const options = { apiKey: 'test-key', maxRetries: 0 };

describe.each(upstreams)('from a $from upstream', ({ from, text, says, args }) => {
  it('the openai SDK streams the OpenAI Chat writer’s chunks', async () => {
    const body = serve(from, 'openai-chat', text);
    const client = new OpenAI({ ...options, baseURL: baseUrl });
    const completion = await client.chat.completions
      .stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'weather?' }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();
    const expected = (body.choices as Json[])[0] as Json;
    const message = completion.choices[0]?.message;
    expect(message?.content).toBe(says);
    expect(message?.content).toBe((expected.message as Json).content);
    const calls = (message?.tool_calls ?? []).map((c) => (c.type === 'function' ? c : undefined));
    expect(calls.map((c) => [c?.id, c?.function.name, JSON.parse(c?.function.arguments ?? '')])).toEqual(
      ((expected.message as Json).tool_calls as Json[]).map((c) => [
        c.id,
        (c.function as Json).name,
        JSON.parse((c.function as Json).arguments as string),
      ]),
    );
    expect(JSON.parse(calls[0]?.function.arguments ?? '')).toEqual(args);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toEqual(body.usage);
  });

  it('the @anthropic-ai/sdk MessageStream takes the Anthropic writer’s events', async () => {
    const body = serve(from, 'anthropic-messages', text);
    const client = new Anthropic({ ...options, baseURL: baseUrl });
    const message = await client.messages
      .stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'weather?' }],
      })
      .finalMessage();
    expect(message).toMatchObject({
      id: body.id,
      model: body.model,
      content: body.content as Json[],
      stop_reason: 'tool_use',
      usage: body.usage as Json,
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: says });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', input: args });
  });

  it('@google/genai generateContentStream reads the Gemini SSE writer’s chunks', async () => {
    const body = serve(from, 'gemini-sse', text);
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl } });
    let said = '';
    const calls: Json[] = [];
    let finishReason: unknown;
    let usage: unknown;
    let responseId: unknown;
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'weather?',
    })) {
      said += chunk.text ?? '';
      for (const call of chunk.functionCalls ?? []) calls.push({ ...call });
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
      usage = chunk.usageMetadata ?? usage;
      responseId = chunk.responseId;
    }
    const candidate = (body.candidates as Json[])[0] as Json;
    const parts = (candidate.content as Json).parts as Json[];
    expect(said).toBe(says);
    expect(calls).toEqual(parts.filter((p) => p.functionCall).map((p) => p.functionCall));
    expect(calls[0]?.args).toEqual(args);
    expect(finishReason).toBe('STOP');
    expect(usage).toEqual(body.usageMetadata);
    expect(responseId).toBe(body.responseId);
  });

  it('the Gemini JSON-array writer writes one JSON array of the same chunks', () => {
    const sse = translate(from, 'gemini-sse', byteChunks(text, [5, 333]));
    const array: unknown = JSON.parse(translate(from, 'gemini-json', byteChunks(text, [5, 333])));
    expect(array).toEqual(streamMessages(sse).map((m) => m.data));
  });
});

describe('an in-stream error reaches each SDK as its error', () => {
  it('openai raises an APIError', async () => {
    serve('anthropic-messages', 'openai-chat', ANTHROPIC_OVERLOAD_STREAM);
    const client = new OpenAI({ ...options, baseURL: baseUrl });
    const stream = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(stream.finalChatCompletion()).rejects.toThrow(/Overloaded/);
  });

  it('@anthropic-ai/sdk raises the overloaded_error', async () => {
    serve('anthropic-messages', 'anthropic-messages', ANTHROPIC_OVERLOAD_STREAM);
    const client = new Anthropic({ ...options, baseURL: baseUrl });
    const stream = client.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/overloaded_error/);
  });

  it('@google/genai raises an ApiError', async () => {
    serve('anthropic-messages', 'gemini-sse', ANTHROPIC_OVERLOAD_STREAM);
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl } });
    const read = async () => {
      for await (const _ of await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'hi',
      })) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow(/Overloaded/);
  });
});
