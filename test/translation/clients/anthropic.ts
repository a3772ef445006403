/** The official `@anthropic-ai/sdk` messages as a client of the matrix. */
import Anthropic from '@anthropic-ai/sdk';
import {
  type Client,
  type Connection,
  IMAGE_BASE64,
  type Said,
  sdkError,
  statusClass,
  WEATHER,
} from './client.js';

function anthropicSdk(conn: Connection): Anthropic {
  return new Anthropic({ baseURL: conn.baseUrl, apiKey: conn.apiKey, fetch: conn.fetch, maxRetries: 0 });
}

function anthropicSaid(m: Anthropic.Message): Said {
  return {
    text: m.content.map((b) => (b.type === 'text' ? b.text : '')).join(''),
    stop: m.stop_reason ?? '',
    usage: {
      input:
        m.usage.input_tokens +
        (m.usage.cache_read_input_tokens ?? 0) +
        (m.usage.cache_creation_input_tokens ?? 0),
      output: m.usage.output_tokens,
    },
  };
}

export const anthropicClient: Client = {
  name: 'anthropic',
  family: 'anthropic',
  stops: { end: 'end_turn', maxTokens: 'max_tokens', toolCalls: 'tool_use' },
  async ask(conn, q) {
    const body: Anthropic.MessageCreateParamsNonStreaming = {
      model: q.group,
      max_tokens: q.maxTokens ?? 50,
      ...(q.system && { system: q.system }),
      messages: [
        {
          role: 'user',
          content: q.image
            ? [
                { type: 'text', text: q.text },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE_BASE64 } },
              ]
            : q.text,
        },
      ],
    };
    const sdk = anthropicSdk(conn);
    return anthropicSaid(
      q.stream ? await sdk.messages.stream(body).finalMessage() : await sdk.messages.create(body),
    );
  },
  async toolRound(conn, group, stream) {
    const sdk = anthropicSdk(conn);
    const tools: Anthropic.Tool[] = [
      { name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.schema },
    ];
    const ask = (messages: Anthropic.MessageParam[]) => {
      const body = { model: group, max_tokens: 100, tools, messages };
      return stream ? sdk.messages.stream(body).finalMessage() : sdk.messages.create(body);
    };
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: WEATHER.question }];
    const first = await ask(messages);
    const call = first.content.find((b) => b.type === 'tool_use');
    if (!call) throw new Error(`no tool_use: ${JSON.stringify(first)}`);
    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: WEATHER.result }] },
    );
    const second = await ask(messages);
    return {
      call: { id: call.id, name: call.name, args: call.input },
      callStop: first.stop_reason ?? '',
      final: anthropicSaid(second),
    };
  },
  untravelable: 'thinking',
  askUntravelable: (conn, group) =>
    anthropicSdk(conn).messages.create({
      model: group,
      max_tokens: 2_048,
      thinking: { type: 'enabled', budget_tokens: 1_024 },
      messages: [{ role: 'user', content: 'Think first' }],
    }),
  raised: (error) => sdkError(error, error instanceof Anthropic.APIError ? error.status : undefined),
  streamErrorClass: 'APIError',
  errorClass: (status) =>
    status === 503 ? 'ServiceUnavailableError' : status === 529 ? 'OverloadedError' : statusClass(status),
};
