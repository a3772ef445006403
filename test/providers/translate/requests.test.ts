/**
 * Realistic request bodies across families: a tool call answered by its
 * result, an image, a system prompt, JSON output, stop sequences.
 */
import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_MAX_TOKENS_WHEN_UNSET,
  anthropicRequestToNeutral,
  neutralToAnthropicRequest,
} from '../../../src/providers/translate/anthropic-messages.js';
import {
  geminiRequestToNeutral,
  neutralToGeminiRequest,
} from '../../../src/providers/translate/gemini-generate.js';
import {
  neutralToOpenAIChatRequest,
  openAIChatRequestToNeutral,
} from '../../../src/providers/translate/openai-chat.js';
import { refusedParameters, translated } from './families.js';

const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
  required: ['city'],
};

/** An agent's second call: the model asked for a tool, the tool answered. */
const openAIAgentTurn = {
  model: 'gpt-4.1-mini',
  messages: [
    { role: 'system', content: 'You are a terse weather bot.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather where this photo was taken?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_abc123',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_abc123', content: '{"temp":-3}' },
  ],
  tools: [
    {
      type: 'function',
      function: { name: 'get_weather', description: 'Current weather', parameters: weatherSchema },
    },
  ],
  tool_choice: 'auto',
  stop: ['\n\n'],
  max_completion_tokens: 300,
  stream: true,
  stream_options: { include_usage: true },
};

describe('OpenAI Chat → Anthropic Messages', () => {
  it('carries the system prompt, image, tool round and caps with ids kept', () => {
    const anthropic = translated(
      neutralToAnthropicRequest(translated(openAIChatRequestToNeutral(openAIAgentTurn))),
    );
    expect(anthropic).toEqual({
      model: 'gpt-4.1-mini',
      max_tokens: 300,
      system: 'You are a terse weather bot.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather where this photo was taken?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { city: 'Oslo' } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_abc123', content: '{"temp":-3}' }],
        },
      ],
      tools: [{ name: 'get_weather', description: 'Current weather', input_schema: weatherSchema }],
      tool_choice: { type: 'auto' },
      stop_sequences: ['\n\n'],
      stream: true,
    });
  });

  it('sets max_tokens when the caller set no cap, and takes the deployment maximum when given', () => {
    const { max_completion_tokens: _, ...uncapped } = openAIAgentTurn;
    const neutral = translated(openAIChatRequestToNeutral(uncapped));
    expect(translated(neutralToAnthropicRequest(neutral)).max_tokens).toBe(ANTHROPIC_MAX_TOKENS_WHEN_UNSET);
    expect(translated(neutralToAnthropicRequest(neutral, { maxTokensWhenUnset: 64_000 })).max_tokens).toBe(
      64_000,
    );
  });

  it('refuses n, logprobs and logit_bias by name, with a bare JSON mode towards Anthropic', () => {
    expect(
      refusedParameters(
        openAIChatRequestToNeutral({ ...openAIAgentTurn, n: 3, logprobs: true, logit_bias: { 1: 2 } }),
      ),
    ).toEqual(['logit_bias', 'n', 'logprobs']);
    const json = translated(
      openAIChatRequestToNeutral({ ...openAIAgentTurn, response_format: { type: 'json_object' } }),
    );
    expect(refusedParameters(neutralToAnthropicRequest(json))).toEqual(['responseFormat']);
  });

  it('refuses a system message in the middle and a message name', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'hi', name: 'ann' },
        { role: 'system', content: 'late rule' },
      ],
    };
    expect(refusedParameters(openAIChatRequestToNeutral(body))).toEqual(['messages[0].name', 'messages[1]']);
  });
});

/** The same turn as an Anthropic caller sends it, with a failed tool. */
const anthropicAgentTurn = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  system: [
    { type: 'text', text: 'You are a terse weather bot.' },
    { type: 'text', text: 'Answer in Celsius.' },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image', source: { type: 'url', url: 'https://example.com/oslo.jpg' } },
        { type: 'text', text: 'Weather here?' },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'station offline', is_error: true },
      ],
    },
  ],
  tools: [{ name: 'get_weather', input_schema: weatherSchema }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  output_config: { format: { type: 'json_schema', schema: weatherSchema } },
  stop_sequences: ['END'],
};

describe('Anthropic Messages → OpenAI Chat and Gemini', () => {
  it('OpenAI: system messages, tool message with the error in its text, strict JSON schema', () => {
    const openai = translated(
      neutralToOpenAIChatRequest(translated(anthropicRequestToNeutral(anthropicAgentTurn))),
    );
    expect(openai).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'You are a terse weather bot.' },
        { role: 'system', content: 'Answer in Celsius.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/oslo.jpg' } },
            { type: 'text', text: 'Weather here?' },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_01A',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A', content: 'Error: station offline' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherSchema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'response', schema: weatherSchema, strict: true },
      },
      stop: ['END'],
      max_completion_tokens: 1024,
    });
  });

  it('Gemini: refuses the one-call-per-turn switch; without it, names each response after its call', () => {
    const neutral = translated(anthropicRequestToNeutral(anthropicAgentTurn));
    expect(refusedParameters(neutralToGeminiRequest(neutral))).toEqual(['parallelToolCalls']);
    const gemini = translated(neutralToGeminiRequest({ ...neutral, parallelToolCalls: undefined }));
    expect(gemini.stream).toBe(false);
    expect(gemini.body).toEqual({
      systemInstruction: {
        parts: [{ text: 'You are a terse weather bot.' }, { text: 'Answer in Celsius.' }],
      },
      contents: [
        {
          role: 'user',
          parts: [
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/oslo.jpg' } },
            { text: 'Weather here?' },
          ],
        },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            { functionCall: { id: 'toolu_01A', name: 'get_weather', args: { city: 'Oslo' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                id: 'toolu_01A',
                name: 'get_weather',
                response: { error: 'station offline' },
              },
            },
          ],
        },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: weatherSchema }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      generationConfig: {
        maxOutputTokens: 1024,
        stopSequences: ['END'],
        responseMimeType: 'application/json',
        responseJsonSchema: weatherSchema,
      },
    });
  });

  it('refuses thinking and a document block by name, and reads cache_control as advisory', () => {
    const body = {
      ...anthropicAgentTurn,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Summarise', cache_control: { type: 'ephemeral' } },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          ],
        },
      ],
    };
    expect(refusedParameters(anthropicRequestToNeutral(body))).toEqual([
      'thinking',
      'messages[0].content[1]',
    ]);
  });
});

describe('Gemini generateContent → OpenAI Chat', () => {
  /** Gemini callers often send calls and responses without ids. */
  const geminiTurn = {
    model: 'gemini-2.5-flash',
    stream: true,
    body: {
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Weather in Oslo and Bergen?' },
            { inlineData: { mimeType: 'image/webp', data: 'UklGRg==' } },
          ],
        },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } },
            { functionCall: { name: 'get_weather', args: { city: 'Bergen' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { output: '-3' } } },
            { functionResponse: { name: 'get_weather', response: { temp: 4 } } },
          ],
        },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: weatherSchema }] }],
      generationConfig: {
        temperature: 0.4,
        topP: 0.95,
        responseMimeType: 'application/json',
        maxOutputTokens: 200,
      },
    },
  };

  it('derives stable ids from position and pairs each response with its call in order', () => {
    const neutral = translated(geminiRequestToNeutral(geminiTurn));
    expect(translated(geminiRequestToNeutral(geminiTurn))).toEqual(neutral);
    const openai = translated(neutralToOpenAIChatRequest(neutral));
    expect(openai.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Oslo and Bergen?' },
          { type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRg==' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'gemini-call-1-0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
          {
            id: 'gemini-call-1-1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Bergen"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'gemini-call-1-0', content: '-3' },
      { role: 'tool', tool_call_id: 'gemini-call-1-1', content: '{"temp":4}' },
    ]);
    expect(openai).toMatchObject({
      temperature: 0.4,
      top_p: 0.95,
      response_format: { type: 'json_object' },
      max_completion_tokens: 200,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('refuses a response with no call to pair with and the OpenAPI-subset schema; reads thought signatures as advisory', () => {
    const body = {
      contents: [
        { role: 'model', parts: [{ functionCall: { name: 'a', args: {} }, thoughtSignature: 'c2ln' }] },
        { role: 'user', parts: [{ functionResponse: { name: 'b', response: { output: 'x' } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'a', parameters: { type: 'OBJECT' } }] }],
    };
    expect(
      refusedParameters(geminiRequestToNeutral({ model: 'gemini-2.5-pro', stream: false, body })),
    ).toEqual(['contents[1].parts[0].functionResponse', 'tools[0].functionDeclarations[0].parameters']);
  });
});
