/** Google's `@google/genai` `models.generateContent` as a client of the matrix. */
import { ApiError, GoogleGenAI } from '@google/genai';
import { type Client, type Connection, IMAGE_BASE64, type Said, sdkError, WEATHER } from './client.js';

function genaiSdk(conn: Connection): GoogleGenAI {
  return new GoogleGenAI({ apiKey: conn.apiKey, httpOptions: { baseUrl: conn.baseUrl, fetch: conn.fetch } });
}

interface GenaiReply {
  readonly text?: string;
  readonly candidates?: { finishReason?: string }[];
  readonly usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
  readonly functionCalls?: { id?: string; name?: string; args?: Record<string, unknown> }[];
}

function genaiSaid(reply: GenaiReply): Said {
  return {
    text: reply.text ?? '',
    stop: reply.candidates?.[0]?.finishReason ?? '',
    usage: {
      input: reply.usageMetadata?.promptTokenCount ?? -1,
      output: reply.usageMetadata?.candidatesTokenCount ?? -1,
    },
  };
}

/** A streamed reply gathered: text joined, the last finish reason, usage and calls seen. */
async function gathered(chunks: AsyncIterable<GenaiReply>): Promise<GenaiReply> {
  let text = '';
  let last: GenaiReply = {};
  const calls: NonNullable<GenaiReply['functionCalls']> = [];
  for await (const chunk of chunks) {
    text += chunk.text ?? '';
    calls.push(...(chunk.functionCalls ?? []));
    last = {
      candidates: chunk.candidates?.[0]?.finishReason ? chunk.candidates : last.candidates,
      usageMetadata: chunk.usageMetadata ?? last.usageMetadata,
    };
  }
  return { ...last, text, functionCalls: calls };
}

export const genaiClient: Client = {
  name: 'genai',
  family: 'gemini',
  stops: { end: 'STOP', maxTokens: 'MAX_TOKENS', toolCalls: 'STOP' },
  async ask(conn, q) {
    const params = {
      model: q.group,
      contents: [
        {
          role: 'user',
          parts: [
            { text: q.text },
            ...(q.image ? [{ inlineData: { mimeType: 'image/png', data: IMAGE_BASE64 } }] : []),
          ],
        },
      ],
      config: { maxOutputTokens: q.maxTokens ?? 50, ...(q.system && { systemInstruction: q.system }) },
    };
    const models = genaiSdk(conn).models;
    return genaiSaid(
      q.stream
        ? await gathered(await models.generateContentStream(params))
        : await models.generateContent(params),
    );
  },
  async toolRound(conn, group, stream) {
    const models = genaiSdk(conn).models;
    const config = {
      maxOutputTokens: 100,
      tools: [
        {
          functionDeclarations: [
            { name: WEATHER.name, description: WEATHER.description, parametersJsonSchema: WEATHER.schema },
          ],
        },
      ],
    };
    type Content = { role: string; parts: Record<string, unknown>[] };
    const ask = async (contents: Content[]): Promise<GenaiReply> =>
      stream
        ? gathered(await models.generateContentStream({ model: group, contents, config }))
        : models.generateContent({ model: group, contents, config });
    const contents: Content[] = [{ role: 'user', parts: [{ text: WEATHER.question }] }];
    const first = await ask(contents);
    const call = first.functionCalls?.[0];
    if (!call?.name) throw new Error(`no functionCall: ${JSON.stringify(first)}`);
    contents.push(
      { role: 'model', parts: [{ functionCall: call }] },
      {
        role: 'user',
        parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: WEATHER.result } } }],
      },
    );
    const second = await ask(contents);
    return {
      call: { id: call.id ?? '', name: call.name, args: call.args },
      callStop: first.candidates?.[0]?.finishReason ?? '',
      final: genaiSaid(second),
    };
  },
  untravelable: 'safetySettings',
  askUntravelable: (conn, group) =>
    genaiSdk(conn).models.generateContent({
      model: group,
      contents: 'Anything at all',
      config: {
        safetySettings: [
          {
            category: 'HARM_CATEGORY_HARASSMENT' as never,
            threshold: 'BLOCK_ONLY_HIGH' as never,
          },
        ],
      },
    }),
  raised: (error) => sdkError(error, error instanceof ApiError ? error.status : undefined),
  errorClass: () => 'ApiError',
  streamErrorClass: 'ApiError',
};
