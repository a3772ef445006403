/**
 * OpenAI Responses answers: a real-shaped `Response` (a reasoning model's,
 * with its empty reasoning item) read into the neutral answer and written
 * for Chat; neutral answers written as a `Response` the official SDK reads
 * (its `output_text` getter included); status, reasons and usage by the
 * table; what cannot travel refused by path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeutralAnswer } from '../../../src/providers/translate/neutral.js';
import { neutralToOpenAIChatAnswer } from '../../../src/providers/translate/openai-chat-answer.js';
import {
  neutralToOpenAIResponsesAnswer,
  openAIResponsesAnswerToNeutral,
} from '../../../src/providers/translate/openai-responses-answer.js';
import { NOW_SECONDS, refusedParameters, translated } from './families.js';
import { type CannedServer, cannedServer } from './responses-server.js';

const reasoningToolAnswer = {
  id: 'resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b',
  object: 'response',
  created_at: 1_756_315_696,
  status: 'completed',
  background: false,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  max_tool_calls: null,
  model: 'gpt-5-mini-2025-08-07',
  output: [
    { id: 'rs_68af4030baa48193b0b43b4c2a176a1a05438e46b5f69a3b', type: 'reasoning', summary: [] },
    {
      id: 'msg_68af40337e58819392e935fb404414d005438e46b5f69a3b',
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Let me check.' }],
      role: 'assistant',
    },
    {
      id: 'fc_68af4034d05c8193a0c1a5c3e0e3b70105438e46b5f69a3b',
      type: 'function_call',
      status: 'completed',
      arguments: '{"city":"Oslo"}',
      call_id: 'call_9ZlTAbIhOvyNBkX8q3Vz1hKd',
      name: 'get_weather',
    },
  ],
  parallel_tool_calls: true,
  previous_response_id: null,
  prompt_cache_key: null,
  reasoning: { effort: 'medium', summary: null },
  safety_identifier: null,
  service_tier: 'default',
  store: false,
  temperature: 1,
  text: { format: { type: 'text' }, verbosity: 'medium' },
  tool_choice: 'auto',
  tools: [],
  top_logprobs: 0,
  top_p: 1,
  truncation: 'disabled',
  usage: {
    input_tokens: 310,
    input_tokens_details: { cached_tokens: 128 },
    output_tokens: 250,
    output_tokens_details: { reasoning_tokens: 192 },
    total_tokens: 560,
  },
  user: null,
  metadata: {},
};

describe('a Responses answer read into the neutral answer', () => {
  it('keeps text and the call (call_id as its id), skips the empty reasoning item, counts reasoning', () => {
    expect(translated(openAIResponsesAnswerToNeutral(reasoningToolAnswer))).toEqual({
      id: 'resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b',
      model: 'gpt-5-mini-2025-08-07',
      content: [
        { kind: 'text', text: 'Let me check.' },
        {
          kind: 'tool-call',
          id: 'call_9ZlTAbIhOvyNBkX8q3Vz1hKd',
          name: 'get_weather',
          arguments: { city: 'Oslo' },
        },
      ],
      stopReason: 'tool-calls',
      usage: { inputTokens: 310, outputTokens: 250, cachedInputTokens: 128, reasoningTokens: 192 },
      createdSeconds: 1_756_315_696,
    });
  });

  it('is served to a Chat caller with tool_calls and its usage', () => {
    const chat = translated(
      neutralToOpenAIChatAnswer(translated(openAIResponsesAnswerToNeutral(reasoningToolAnswer)), {
        nowSeconds: NOW_SECONDS,
      }),
    );
    expect(chat).toMatchObject({
      created: 1_756_315_696,
      choices: [{ finish_reason: 'tool_calls', message: { content: 'Let me check.' } }],
      usage: {
        prompt_tokens: 310,
        completion_tokens: 250,
        prompt_tokens_details: { cached_tokens: 128 },
        completion_tokens_details: { reasoning_tokens: 192 },
      },
    });
  });

  it.each([
    ['max_output_tokens', 'max-tokens'],
    ['content_filter', 'refusal'],
  ] as const)('an incomplete answer (%s) stops for %s', (reason, stop) => {
    const body = { ...reasoningToolAnswer, status: 'incomplete', incomplete_details: { reason }, output: [] };
    expect(translated(openAIResponsesAnswerToNeutral(body)).stopReason).toBe(stop);
  });

  it('refuses by path what the neutral answer cannot hold', () => {
    const body = {
      ...reasoningToolAnswer,
      status: 'failed',
      output: [
        {
          id: 'rs_1',
          type: 'reasoning',
          summary: [{ type: 'summary_text', text: 'thinking' }],
          encrypted_content: 'x',
        },
        {
          id: 'msg_1',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [
            {
              type: 'output_text',
              text: 'see',
              annotations: [{ type: 'url_citation', url: 'https://x.test' }],
            },
            { type: 'refusal', refusal: 'no' },
          ],
        },
        { id: 'ws_1', type: 'web_search_call', status: 'completed' },
      ],
    };
    expect(refusedParameters(openAIResponsesAnswerToNeutral(body))).toEqual([
      'output[0].summary',
      'output[0].encrypted_content',
      'output[1].content[0].annotations',
      'output[1].content[1]',
      'output[2]',
      'status',
    ]);
  });
});

const anthropicShaped: NeutralAnswer = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  model: 'claude-sonnet-4-5',
  content: [
    { kind: 'text', text: 'Let me check ' },
    { kind: 'text', text: 'both.' },
    { kind: 'tool-call', id: 'toolu_01', name: 'get_weather', arguments: { city: 'Oslo' } },
    { kind: 'tool-call', id: 'toolu_02', name: 'get_weather', arguments: { city: 'Bergen' } },
  ],
  stopReason: 'tool-calls',
  usage: { inputTokens: 4_612, outputTokens: 58, cachedInputTokens: 3_000, cacheWriteTokens: 1_200 },
};

describe('a neutral answer written as a Response', () => {
  it('groups text parts in one message item, gives items ids, stores nothing of the request', () => {
    expect(translated(neutralToOpenAIResponsesAnswer(anthropicShaped, { nowSeconds: NOW_SECONDS }))).toEqual({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'response',
      created_at: NOW_SECONDS,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'claude-sonnet-4-5',
      output: [
        {
          id: 'msg_msg_01XFDUDYJgAACzvnptvVoYEL_0',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [
            { type: 'output_text', text: 'Let me check ', annotations: [], logprobs: [] },
            { type: 'output_text', text: 'both.', annotations: [], logprobs: [] },
          ],
        },
        {
          id: 'fc_toolu_01',
          type: 'function_call',
          call_id: 'toolu_01',
          name: 'get_weather',
          arguments: '{"city":"Oslo"}',
          status: 'completed',
        },
        {
          id: 'fc_toolu_02',
          type: 'function_call',
          call_id: 'toolu_02',
          name: 'get_weather',
          arguments: '{"city":"Bergen"}',
          status: 'completed',
        },
      ],
      usage: {
        input_tokens: 4_612,
        input_tokens_details: { cached_tokens: 3_000, cache_write_tokens: 1_200 },
        output_tokens: 58,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 4_670,
      },
    });
  });

  it.each([
    ['max-tokens', 'incomplete', { reason: 'max_output_tokens' }],
    ['context-window', 'incomplete', { reason: 'max_output_tokens' }],
    ['refusal', 'incomplete', { reason: 'content_filter' }],
    ['end', 'completed', null],
    ['stop-sequence', 'completed', null],
  ] as const)('%s is status %s', (stopReason, status, details) => {
    const body = translated(
      neutralToOpenAIResponsesAnswer(
        { ...anthropicShaped, content: [{ kind: 'text', text: 'x' }], stopReason },
        { nowSeconds: NOW_SECONDS },
      ),
    );
    expect(body.status).toBe(status);
    expect(body.incomplete_details).toEqual(details);
  });
});

describe('the official openai SDK reads a written Response', () => {
  let server: CannedServer;
  beforeAll(async () => {
    server = await cannedServer();
  });
  afterAll(() => server.close());

  it('responses.create: output items as written, output_text joined from the message parts', async () => {
    const written = translated(neutralToOpenAIResponsesAnswer(anthropicShaped, { nowSeconds: NOW_SECONDS }));
    server.answer({ json: written });
    const response = await server.client.responses.create({ model: 'claude-sonnet-4-5', input: 'weather?' });
    expect(response.output_text).toBe('Let me check both.');
    expect(response.output.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call']);
    expect(response.usage?.input_tokens_details.cached_tokens).toBe(3_000);
    expect(server.requests.at(-1)).toEqual({ model: 'claude-sonnet-4-5', input: 'weather?' });
  });
});
