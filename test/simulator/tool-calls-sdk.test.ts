/**
 * Tool calls with the official SDKs as clients: in each flavour a request
 * offering tools is answered with a call, the call's result is answered
 * with text, and the SDK's stream helpers assemble the same call from the
 * streamed fragments, with usage counting the arguments' tokens.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI, Type } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { jsonPieces } from '../../src/simulator/tool-calls.js';
import { simulatorsClosedAfterEach } from './started.js';

const started = simulatorsClosedAfterEach();

async function start(): Promise<Simulator> {
  return (await started()).sim;
}

const question = 'What is the weather in Paris for the next 3 days?';
const schema = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'The city' },
    days: { type: 'integer', minimum: 1, maximum: 7 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'days'],
};
const expected = { city: question, days: 3 };
/** Output tokens of a call with these arguments: one per streamed fragment. */
const argumentTokens = jsonPieces(JSON.stringify(expected)).length;
const searchSchema = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('OpenAI Chat Completions', () => {
  const tools = [
    { type: 'function' as const, function: { name: 'get_weather', parameters: schema } },
    { type: 'function' as const, function: { name: 'search', parameters: searchSchema } },
  ];
  const ask = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user' as const, content: question }],
    tools,
  };
  const client = (s: Simulator) => new OpenAI({ apiKey: 'sk-test', baseURL: `${s.url}/v1`, maxRetries: 0 });

  it('calls the first tool, then answers its result with text', async () => {
    const openai = client(await start());
    const first = await openai.chat.completions.create(ask);
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.id).toMatch(/^call_\w{20,}$/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual(expected);
    expect(first.usage?.completion_tokens).toBe(argumentTokens);

    const second = await openai.chat.completions.create({
      ...ask,
      messages: [
        ...ask.messages,
        choice?.message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: '{"forecast":"sunny"}' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.tool_calls).toBeUndefined();
    expect(second.choices[0]?.message.content).toMatch(/\w/);
    expect(second.usage?.prompt_tokens).toBeGreaterThan(first.usage?.prompt_tokens ?? 0);
  });

  it('streams the arguments in fragments; finalChatCompletion assembles the same call', async () => {
    const openai = client(await start());
    const stream = openai.chat.completions.stream({ ...ask, stream_options: { include_usage: true } });
    let fragments = 0;
    stream.on('chunk', (chunk) => {
      if (chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments) fragments++;
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.function.name).toBe('get_weather');
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual(expected);
    expect(fragments).toBe(argumentTokens);
    expect(final.usage?.completion_tokens).toBe(argumentTokens);

    const after = openai.chat.completions.stream({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', tool_calls: final.choices[0]?.message.tool_calls ?? [] },
        { role: 'tool', tool_call_id: call?.id ?? '', content: 'sunny' },
      ],
    });
    const text = await after.finalChatCompletion();
    expect(text.choices[0]?.finish_reason).toBe('stop');
    expect(text.choices[0]?.message.content).toMatch(/\w/);
  });

  it('follows tool_choice: none answers text, a named tool is called, an unknown one is a 400', async () => {
    const openai = client(await start());
    const none = await openai.chat.completions.create({ ...ask, tool_choice: 'none' });
    expect(none.choices[0]?.finish_reason).toBe('stop');
    const named = await openai.chat.completions.create({
      ...ask,
      tool_choice: { type: 'function', function: { name: 'search' } },
    });
    const call = named.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('search');
    expect(JSON.parse(call?.type === 'function' ? call.function.arguments : '')).toEqual({ q: question });
    const required = await openai.chat.completions.create({ ...ask, tool_choice: 'required' });
    expect(required.choices[0]?.finish_reason).toBe('tool_calls');
    const error = await rejection(
      openai.chat.completions.create({
        ...ask,
        tool_choice: { type: 'function', function: { name: 'nope' } },
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tool_choice');
  });

  it('cuts the arguments at max_completion_tokens and ends for length', async () => {
    const openai = client(await start());
    const cut = await openai.chat.completions.create({ ...ask, max_completion_tokens: 4 });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    const call = cut.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.arguments).toBe('{"city":"What');
    expect(cut.usage?.completion_tokens).toBe(4);
  });
});

describe('OpenAI Responses', () => {
  const tools = [{ type: 'function' as const, name: 'get_weather', parameters: schema, strict: false }];
  const ask = { model: 'gpt-4o-mini', input: question, tools };
  const client = (s: Simulator) => new OpenAI({ apiKey: 'sk-test', baseURL: `${s.url}/v1`, maxRetries: 0 });

  it('answers with a function_call item, then its output with a message', async () => {
    const openai = client(await start());
    const first = await openai.responses.create(ask);
    expect(first.status).toBe('completed');
    const item = first.output[0];
    if (item?.type !== 'function_call') throw new Error('expected a function_call item');
    expect(item).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(item.call_id).toMatch(/^call_/);
    expect(JSON.parse(item.arguments)).toEqual(expected);
    expect(first.usage?.output_tokens).toBe(argumentTokens);
    expect(first.tools).toEqual(tools);

    const second = await openai.responses.create({
      ...ask,
      input: [
        { role: 'user', content: question },
        item,
        { type: 'function_call_output', call_id: item.call_id, output: '{"forecast":"sunny"}' },
      ],
    });
    expect(second.output[0]?.type).toBe('message');
    expect(second.output_text).toMatch(/\w/);
  });

  it('streams function_call_arguments deltas; finalResponse assembles the same item', async () => {
    const openai = client(await start());
    const stream = openai.responses.stream(ask);
    const types: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    const final = await stream.finalResponse();
    const item = final.output[0];
    if (item?.type !== 'function_call') throw new Error('expected a function_call item');
    expect(JSON.parse(item.arguments)).toEqual(expected);
    expect(final.usage?.output_tokens).toBe(argumentTokens);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...Array(argumentTokens).fill('response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const none = await openai.responses.create({ ...ask, tool_choice: 'none' });
    expect(none.output[0]?.type).toBe('message');
  });
});

describe('Anthropic Messages', () => {
  const tools = [
    {
      name: 'get_weather',
      description: 'Weather forecast',
      input_schema: schema as Anthropic.Tool.InputSchema,
    },
    { name: 'search', input_schema: searchSchema as Anthropic.Tool.InputSchema },
  ];
  const ask = {
    model: 'claude-sonnet-5-5',
    max_tokens: 200,
    messages: [{ role: 'user' as const, content: question }],
    tools,
  };
  const client = (s: Simulator) => new Anthropic({ apiKey: 'sk-ant-test', baseURL: s.url, maxRetries: 0 });

  it('answers with a tool_use block, then the tool_result with text', async () => {
    const anthropic = client(await start());
    const first = await anthropic.messages.create(ask);
    expect(first.stop_reason).toBe('tool_use');
    const block = first.content[0];
    if (block?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(block.id).toMatch(/^toolu_\w{20,}$/);
    expect(block.name).toBe('get_weather');
    expect(block.input).toEqual(expected);
    expect(first.usage.output_tokens).toBe(argumentTokens);

    const second = await anthropic.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: block.id, content: 'sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]?.type).toBe('text');
  });

  it('streams input_json_delta fragments; finalMessage assembles the same input', async () => {
    const anthropic = client(await start());
    const stream = anthropic.messages.stream(ask);
    const deltas: string[] = [];
    stream.on('streamEvent', (event) => {
      if (event.type === 'content_block_delta') deltas.push(event.delta.type);
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const block = final.content[0];
    expect(block?.type === 'tool_use' && block.input).toEqual(expected);
    expect(deltas).toEqual(Array(argumentTokens).fill('input_json_delta'));
    expect(final.usage.output_tokens).toBe(argumentTokens);
  });

  it('follows tool_choice none, any and tool', async () => {
    const anthropic = client(await start());
    const none = await anthropic.messages.create({ ...ask, tool_choice: { type: 'none' } });
    expect(none.stop_reason).toBe('end_turn');
    const any = await anthropic.messages.create({ ...ask, tool_choice: { type: 'any' } });
    expect(any.content[0]?.type === 'tool_use' && any.content[0].name).toBe('get_weather');
    const named = await anthropic.messages.create({ ...ask, tool_choice: { type: 'tool', name: 'search' } });
    expect(named.content[0]?.type === 'tool_use' && named.content[0].input).toEqual({ q: question });
    const error = await rejection(
      anthropic.messages.create({ ...ask, tool_choice: { type: 'tool', name: 'nope' } }),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe('Gemini generateContent', () => {
  const declarations = [
    { name: 'get_weather', description: 'Weather forecast', parametersJsonSchema: schema },
    {
      name: 'search',
      parameters: { type: Type.OBJECT, properties: { q: { type: Type.STRING } }, required: ['q'] },
    },
  ];
  const model = 'gemini-2.5-flash';
  const config = { tools: [{ functionDeclarations: declarations }] };
  const client = (s: Simulator) => new GoogleGenAI({ apiKey: 'AIza-test', httpOptions: { baseUrl: s.url } });

  it('answers with a functionCall part, then the functionResponse with text', async () => {
    const gemini = client(await start());
    const first = await gemini.models.generateContent({ model, contents: question, config });
    expect(first.candidates?.[0]?.finishReason).toBe('STOP');
    expect(first.functionCalls).toEqual([{ name: 'get_weather', args: expected }]);
    expect(first.usageMetadata?.candidatesTokenCount).toBe(argumentTokens);

    const second = await gemini.models.generateContent({
      model,
      config,
      contents: [
        { role: 'user', parts: [{ text: question }] },
        first.candidates?.[0]?.content ?? {},
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { forecast: 'sunny' } } }],
        },
      ],
    });
    expect(second.functionCalls).toBeUndefined();
    expect(second.text).toMatch(/\w/);
    expect(second.usageMetadata?.promptTokenCount).toBeGreaterThan(
      first.usageMetadata?.promptTokenCount ?? 0,
    );
  });

  it('streams the call whole in the closing chunk, with finishReason STOP and usage', async () => {
    const gemini = client(await start());
    const calls: unknown[] = [];
    let last: { finishReason?: string; output?: number } = {};
    for await (const chunk of await gemini.models.generateContentStream({
      model,
      contents: question,
      config,
    })) {
      calls.push(...(chunk.functionCalls ?? []));
      last = {
        finishReason: chunk.candidates?.[0]?.finishReason,
        output: chunk.usageMetadata?.candidatesTokenCount,
      };
    }
    expect(calls).toEqual([{ name: 'get_weather', args: expected }]);
    expect(last).toEqual({ finishReason: 'STOP', output: argumentTokens });
  });

  it('follows functionCallingConfig: NONE answers text, ANY with allowed names calls that one', async () => {
    const gemini = client(await start());
    const none = await gemini.models.generateContent({
      model,
      contents: question,
      config: { ...config, toolConfig: { functionCallingConfig: { mode: 'NONE' as never } } },
    });
    expect(none.functionCalls).toBeUndefined();
    const any = await gemini.models.generateContent({
      model,
      contents: question,
      config: {
        ...config,
        toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['search'] } },
      },
    });
    expect(any.functionCalls).toEqual([{ name: 'search', args: { q: question } }]);
    const error = await rejection(
      gemini.models.generateContent({
        model,
        contents: question,
        config: {
          ...config,
          toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['nope'] } },
        },
      }),
    );
    expect(error).toBeInstanceOf(ApiError);
  });
});

describe('faults on a streamed tool call', () => {
  it('end the stream as they end a text answer, in each SDK', async () => {
    const s = await start();
    const fault = (kind: string) => ({ headers: { 'x-sim-fault': kind } });
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${s.url}/v1`, maxRetries: 0 });
    const chat = openai.chat.completions.stream(
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: question }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: schema } }],
      },
      fault('reset_mid_stream'),
    );
    expect(await rejection(chat.finalChatCompletion())).toBeInstanceOf(Error);

    const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: s.url, maxRetries: 0 });
    const message = anthropic.messages.stream(
      {
        model: 'claude-sonnet-5-5',
        max_tokens: 200,
        messages: [{ role: 'user', content: question }],
        tools: [{ name: 'get_weather', input_schema: schema as Anthropic.Tool.InputSchema }],
      },
      fault('error_mid_stream'),
    );
    expect(await rejection(message.finalMessage())).toBeInstanceOf(Anthropic.APIError);

    const gemini = new GoogleGenAI({
      apiKey: 'AIza-test',
      httpOptions: { baseUrl: s.url, headers: { 'x-sim-fault': 'error_mid_stream' } },
    });
    const streamed = gemini.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: question,
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: schema }] }] },
    });
    const drained = streamed.then(async (chunks) => {
      for await (const chunk of chunks) expect(chunk.functionCalls).toBeUndefined();
    });
    expect(await rejection(drained)).toBeInstanceOf(Error);
    // Each call produced the fragments before the cut (half of them), and none holds a slot.
    await expect.poll(() => s.stats().concurrency.current).toBe(0);
    expect(s.stats().faults).toEqual({ reset_mid_stream: 1, error_mid_stream: 2 });
    expect(s.stats().tokens.output).toBe(3 * Math.floor(argumentTokens / 2));
  });
});
