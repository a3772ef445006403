/**
 * OpenAI Responses requests: a realistic body read into the neutral call and
 * served by each other family, the neutral call kept through every other
 * family, and what cannot travel refused by its JSON path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NeutralRequest } from '../../../src/providers/translate/neutral.js';
import { neutralToOpenAIChatRequest } from '../../../src/providers/translate/openai-chat.js';
import {
  neutralToOpenAIResponsesRequest,
  openAIResponsesRequestToNeutral,
} from '../../../src/providers/translate/openai-responses.js';
import { sharedBy, sharedRequest } from './arbitraries.js';
import { FAMILIES, type Family, refusedParameters, translated } from './families.js';

/** What the `openai` SDK sends for a tool loop's second turn, items echoed back from the first answer. */
const toolLoop = {
  model: 'gpt-5-mini',
  instructions: 'You are terse.',
  input: [
    { role: 'developer', content: 'Answer in English.' },
    {
      role: 'user',
      content: [
        { type: 'input_text', text: 'Weather here?' },
        { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
      ],
    },
    {
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Checking.', annotations: [], logprobs: [] }],
    },
    {
      id: 'fc_01',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_a',
      name: 'get_weather',
      arguments: '{"city":"Oslo"}',
    },
    { type: 'function_call_output', call_id: 'call_a', output: '{"celsius":4}' },
    { role: 'user', content: 'And tomorrow?' },
  ],
  tools: [
    {
      type: 'function',
      name: 'get_weather',
      description: 'Current weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      strict: false,
    },
  ],
  tool_choice: { type: 'function', name: 'get_weather' },
  parallel_tool_calls: false,
  text: { format: { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true } },
  temperature: 0.3,
  max_output_tokens: 500,
  stream: true,
  store: false,
};

describe('a Responses request read into the neutral call', () => {
  it('keeps instructions, items as turns, call ids, images, tools and settings', () => {
    const neutral = translated(openAIResponsesRequestToNeutral(toolLoop));
    expect(neutral).toEqual({
      model: 'gpt-5-mini',
      system: ['You are terse.', 'Answer in English.'],
      messages: [
        {
          role: 'user',
          parts: [
            { kind: 'text', text: 'Weather here?' },
            { kind: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          parts: [
            { kind: 'text', text: 'Checking.' },
            { kind: 'tool-call', id: 'call_a', name: 'get_weather', arguments: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              kind: 'tool-result',
              callId: 'call_a',
              content: [{ kind: 'text', text: '{"celsius":4}' }],
              isError: false,
            },
          ],
        },
        { role: 'user', parts: [{ kind: 'text', text: 'And tomorrow?' }] },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
      toolChoice: { name: 'get_weather' },
      parallelToolCalls: false,
      responseFormat: { kind: 'json-schema', name: 'weather', schema: { type: 'object' } },
      temperature: 0.3,
      topP: undefined,
      stopSequences: [],
      maxOutputTokens: 500,
      stream: true,
      streamUsage: true,
    });
  });

  it('is served by Chat Completions as the same conversation', () => {
    const chat = translated(
      neutralToOpenAIChatRequest(translated(openAIResponsesRequestToNeutral(toolLoop))),
    );
    expect(chat).toMatchObject({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 'call_a', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"celsius":4}' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_completion_tokens: 500,
      stream_options: { include_usage: true },
    });
  });

  it('reads a bare string input as one user turn', () => {
    const neutral = translated(openAIResponsesRequestToNeutral({ model: 'm', input: 'hi' }));
    expect(neutral.messages).toEqual([{ role: 'user', parts: [{ kind: 'text', text: 'hi' }] }]);
    expect(neutral.stream).toBe(false);
  });
});

describe('towards Responses', () => {
  const base: NeutralRequest = {
    model: 'm',
    system: [],
    messages: [{ role: 'user', parts: [{ kind: 'text', text: 'hi' }] }],
    tools: [{ name: 'f', parameters: { type: 'object' } }],
    stopSequences: [],
    stream: false,
    streamUsage: false,
  };

  it('always asks the upstream to store nothing, and keeps tools best-effort', () => {
    const body = translated(neutralToOpenAIResponsesRequest(base));
    expect(body.store).toBe(false);
    expect(body.tools).toEqual([
      { type: 'function', name: 'f', parameters: { type: 'object' }, strict: false },
    ]);
  });

  it('refuses stop sequences (Responses has none)', () => {
    expect(refusedParameters(neutralToOpenAIResponsesRequest({ ...base, stopSequences: ['END'] }))).toEqual([
      'stopSequences',
    ]);
  });
});

/**
 * Chat Completions holds exactly what Responses holds of a call, so the
 * neutral call itself survives; through Anthropic and Gemini a schema's
 * name is lost (TABLE.md, "Lossy"), and `round-trip.test.ts` checks those
 * pairs on the wire.
 */
describe('a Responses request through Chat Completions', () => {
  const [responses, chat] = ['responses', 'openai'].map((name) => {
    const family = FAMILIES.find((f) => f.name === name);
    if (!family) throw new Error(`no ${name} family`);
    return family;
  }) as [Family, Family];
  it('Responses → neutral → Chat → neutral is the same neutral call', () => {
    fc.assert(
      fc.property(sharedRequest(sharedBy('responses', 'openai')), (generated) => {
        const neutral = translated(
          responses.requestToNeutral(translated(responses.neutralToRequest(generated))),
        );
        const there = translated(chat.neutralToRequest(neutral));
        expect(translated(chat.requestToNeutral(there))).toEqual(neutral);
      }),
      { numRuns: 200 },
    );
  });
});

describe('what cannot travel is refused by its path', () => {
  const refused = (body: Record<string, unknown>) =>
    refusedParameters(openAIResponsesRequestToNeutral({ model: 'm', input: 'hi', ...body }));

  it('server-side state, all at once', () => {
    expect(refused({ previous_response_id: 'resp_1', conversation: { id: 'conv_1' }, store: true })).toEqual([
      'previous_response_id',
      'conversation',
      'store',
    ]);
    expect(refused({ store: false })).toEqual([]);
  });

  it('reasoning, built-in tools, strict tools and other-tool choices', () => {
    expect(
      refused({
        reasoning: { effort: 'low' },
        include: ['reasoning.encrypted_content'],
        tools: [
          { type: 'web_search' },
          { type: 'function', name: 'f', parameters: { type: 'object' }, strict: true },
        ],
        tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] },
        stream_options: { include_obfuscation: true },
      }),
    ).toEqual([
      'reasoning',
      'include',
      'stream_options.include_obfuscation',
      'tools[0]',
      'tools[1].strict',
      'tool_choice',
    ]);
  });

  it('items and parts the other families have no counterpart for', () => {
    expect(
      refused({
        input: [
          { role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] },
          {
            role: 'user',
            content: [{ type: 'input_image', image_url: 'https://x.test/a.png', detail: 'high' }],
          },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'item_reference', id: 'msg_1' },
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
          { role: 'system', content: 'late' },
          { type: 'function_call', call_id: 'c', name: 'f', arguments: 'not json' },
        ],
      }),
    ).toEqual([
      'input[0].content[0]',
      'input[1].content[0].detail',
      'input[2]',
      'input[3]',
      'input[4].content[0]',
      'input[5]',
      'input[6].arguments',
    ]);
  });

  it('a format setting beyond the schema', () => {
    expect(
      refused({
        text: { format: { type: 'json_schema', name: 'n', schema: {}, description: 'd' }, verbosity: 'low' },
      }),
    ).toEqual(['text.verbosity', 'text.format.description']);
  });
});
