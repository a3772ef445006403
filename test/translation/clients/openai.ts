/** The official `openai` SDK's chat completions as a client of the matrix. */
import OpenAI from 'openai';
import {
  type Client,
  type Connection,
  IMAGE_URL,
  sdkError,
  statusClass,
  type Usage,
  WEATHER,
} from './client.js';

function openaiSdk(conn: Connection): OpenAI {
  return new OpenAI({ baseURL: `${conn.baseUrl}/v1`, apiKey: conn.apiKey, fetch: conn.fetch, maxRetries: 0 });
}

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

export const openaiClient: Client = {
  name: 'openai',
  family: 'openai',
  stops: { end: 'stop', maxTokens: 'length', toolCalls: 'tool_calls' },
  async ask(conn, q) {
    const messages: ChatMessage[] = [
      ...(q.system ? [{ role: 'system' as const, content: q.system }] : []),
      {
        role: 'user',
        content: q.image
          ? [
              { type: 'text', text: q.text },
              { type: 'image_url', image_url: { url: IMAGE_URL } },
            ]
          : q.text,
      },
    ];
    const body = { model: q.group, messages, max_completion_tokens: q.maxTokens ?? 50 };
    const sdk = openaiSdk(conn);
    if (!q.stream) {
      const c = await sdk.chat.completions.create(body);
      return {
        text: c.choices[0]?.message.content ?? '',
        stop: c.choices[0]?.finish_reason ?? '',
        usage: { input: c.usage?.prompt_tokens ?? -1, output: c.usage?.completion_tokens ?? -1 },
      };
    }
    const stream = await sdk.chat.completions.create({
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let stop = '';
    let usage: Usage = { input: -1, output: -1 };
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      stop = chunk.choices[0]?.finish_reason ?? stop;
      if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
    }
    return { text, stop, usage };
  },
  async toolRound(conn, group, stream) {
    const sdk = openaiSdk(conn);
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: WEATHER.name, description: WEATHER.description, parameters: WEATHER.schema },
      },
    ];
    const ask = async (messages: ChatMessage[]) => {
      const body = { model: group, messages, tools, max_completion_tokens: 100 };
      return stream
        ? sdk.chat.completions
            .stream({ ...body, stream_options: { include_usage: true } })
            .finalChatCompletion()
        : sdk.chat.completions.create(body);
    };
    const messages: ChatMessage[] = [{ role: 'user', content: WEATHER.question }];
    const first = await ask(messages);
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error(`no function call: ${JSON.stringify(first)}`);
    messages.push(
      { role: 'assistant', content: message?.content ?? null, tool_calls: [call] },
      { role: 'tool', tool_call_id: call.id, content: WEATHER.result },
    );
    const second = await ask(messages);
    return {
      call: { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) },
      callStop: first.choices[0]?.finish_reason ?? '',
      final: {
        text: second.choices[0]?.message.content ?? '',
        stop: second.choices[0]?.finish_reason ?? '',
        usage: { input: second.usage?.prompt_tokens ?? -1, output: second.usage?.completion_tokens ?? -1 },
      },
    };
  },
  untravelable: 'n',
  askUntravelable: (conn, group) =>
    openaiSdk(conn).chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'Two answers, please' }],
      n: 2,
    }),
  raised: (error) => sdkError(error, error instanceof OpenAI.APIError ? error.status : undefined),
  errorClass: statusClass,
  streamErrorClass: 'APIError',
};
