/** The Vercel AI SDK (`generateText`, `streamText`) over its OpenAI chat and Anthropic providers as clients of the matrix. */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, jsonSchema, type ModelMessage, streamText, tool } from 'ai';
import type { Family } from '../rig.js';
import { type Client, type Connection, IMAGE_BASE64, type Said, sdkError, WEATHER } from './client.js';

type VercelModel = Parameters<typeof generateText>[0]['model'];

function vercelClient(
  name: string,
  family: Family,
  model: (conn: Connection, group: string) => VercelModel,
  untravelable: { parameter: string; options: Record<string, unknown> },
): Client {
  const weather = tool({ description: WEATHER.description, inputSchema: jsonSchema(WEATHER.schema) });
  const run = async (
    conn: Connection,
    group: string,
    stream: boolean,
    settings: { system?: string; messages: ModelMessage[]; maxOutputTokens: number; withTools?: boolean },
  ) => {
    const call = {
      model: model(conn, group),
      maxRetries: 0,
      ...(settings.system && { system: settings.system }),
      messages: settings.messages,
      maxOutputTokens: settings.maxOutputTokens,
      ...(settings.withTools && { tools: { [WEATHER.name]: weather } }),
    };
    if (!stream) return generateText(call);
    let failure: unknown;
    const result = streamText({
      ...call,
      onError: ({ error }) => {
        failure = error;
      },
    });
    const [text, finishReason, usage, toolCalls, response] = await Promise.all([
      result.text,
      result.finishReason,
      result.usage,
      result.toolCalls,
      result.response,
    ]).catch((error: unknown) => {
      throw failure ?? error;
    });
    if (failure) throw failure;
    return { text, finishReason, usage, toolCalls, response };
  };
  const said = (r: Awaited<ReturnType<typeof run>>): Said => ({
    text: r.text,
    stop: r.finishReason,
    usage: { input: r.usage.inputTokens ?? -1, output: r.usage.outputTokens ?? -1 },
  });
  return {
    name,
    family,
    stops: { end: 'stop', maxTokens: 'length', toolCalls: 'tool-calls' },
    async ask(conn, q) {
      const content = q.image
        ? [
            { type: 'text' as const, text: q.text },
            { type: 'image' as const, image: Buffer.from(IMAGE_BASE64, 'base64'), mediaType: 'image/png' },
          ]
        : q.text;
      return said(
        await run(conn, q.group, q.stream, {
          ...(q.system && { system: q.system }),
          messages: [{ role: 'user', content }],
          maxOutputTokens: q.maxTokens ?? 50,
        }),
      );
    },
    async toolRound(conn, group, stream) {
      const messages: ModelMessage[] = [{ role: 'user', content: WEATHER.question }];
      const first = await run(conn, group, stream, { messages, maxOutputTokens: 100, withTools: true });
      const call = first.toolCalls[0];
      if (!call) throw new Error(`no tool call: ${first.finishReason}`);
      messages.push(...first.response.messages, {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output: { type: 'text', value: WEATHER.result },
          },
        ],
      });
      const second = await run(conn, group, stream, { messages, maxOutputTokens: 100, withTools: true });
      return {
        call: { id: call.toolCallId, name: call.toolName, args: call.input },
        callStop: first.finishReason,
        final: said(second),
      };
    },
    untravelable: untravelable.parameter,
    askUntravelable: (conn, group) =>
      generateText({
        model: model(conn, group),
        maxRetries: 0,
        prompt: 'Anything at all',
        maxOutputTokens: 2_048,
        ...untravelable.options,
      }),
    raised: (error) => sdkError(error, APICallError.isInstance(error) ? error.statusCode : undefined),
    errorClass: () => 'APICallError',
    streamErrorClass: 'Object',
  };
}

export const vercelOpenai = vercelClient(
  'ai-sdk openai',
  'openai',
  (conn, group) =>
    createOpenAI({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch }).chat(group),
  { parameter: 'seed', options: { seed: 7 } },
);

export const vercelAnthropic = vercelClient(
  'ai-sdk anthropic',
  'anthropic',
  (conn, group) =>
    createAnthropic({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch })(group),
  {
    parameter: 'thinking',
    options: { providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 1_024 } } } },
  },
);
