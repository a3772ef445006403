/**
 * Realistic answer bodies across families: text, tool calls with ids kept,
 * stop reasons by the table in TABLE.md, usage in one sense everywhere.
 */
import { describe, expect, it } from 'vitest';
import {
  anthropicAnswerToNeutral,
  neutralToAnthropicAnswer,
} from '../../../src/providers/translate/anthropic-messages-answer.js';
import {
  geminiAnswerToNeutral,
  neutralToGeminiAnswer,
} from '../../../src/providers/translate/gemini-generate-answer.js';
import type { NeutralAnswer, NeutralStopReason } from '../../../src/providers/translate/neutral.js';
import {
  neutralToOpenAIChatAnswer,
  openAIChatAnswerToNeutral,
} from '../../../src/providers/translate/openai-chat-answer.js';
import { NOW_SECONDS, refusedParameters, translated } from './families.js';

const anthropicToolAnswer = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'Let me check.' },
    { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: { city: 'Oslo' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 412,
    output_tokens: 58,
    cache_creation_input_tokens: 1_200,
    cache_read_input_tokens: 3_000,
    output_tokens_details: { thinking_tokens: 20 },
    service_tier: 'standard',
  },
};

describe('Anthropic answer → OpenAI and Gemini', () => {
  it('OpenAI: tool call with its id, tool_calls finish, prompt_tokens counting cache reads and writes', () => {
    const openai = translated(
      neutralToOpenAIChatAnswer(translated(anthropicAnswerToNeutral(anthropicToolAnswer)), {
        nowSeconds: NOW_SECONDS,
      }),
    );
    expect(openai).toEqual({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      created: NOW_SECONDS,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check.',
            refusal: null,
            tool_calls: [
              {
                id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
              },
            ],
            annotations: [],
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 4_612,
        completion_tokens: 58,
        total_tokens: 4_670,
        prompt_tokens_details: { cached_tokens: 3_000 },
        completion_tokens_details: { reasoning_tokens: 20 },
      },
    });
  });

  it('Gemini: the call keeps its id, STOP, thoughts apart from candidates', () => {
    const gemini = translated(
      neutralToGeminiAnswer(translated(anthropicAnswerToNeutral(anthropicToolAnswer))),
    );
    expect(gemini).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Let me check.' },
              {
                functionCall: {
                  id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
                  name: 'get_weather',
                  args: { city: 'Oslo' },
                },
              },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 4_612,
        candidatesTokenCount: 38,
        totalTokenCount: 4_670,
        cachedContentTokenCount: 3_000,
        thoughtsTokenCount: 20,
      },
      modelVersion: 'claude-sonnet-4-5-20250929',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    });
  });

  it('refuses thinking blocks and pause_turn by name', () => {
    const body = {
      ...anthropicToolAnswer,
      content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, ...anthropicToolAnswer.content],
      stop_reason: 'pause_turn',
    };
    expect(refusedParameters(anthropicAnswerToNeutral(body))).toEqual(['content[0]', 'stop_reason']);
  });
});

describe('Gemini answer → Anthropic', () => {
  const geminiAnswer = {
    candidates: [
      {
        content: {
          role: 'model',
          parts: [{ functionCall: { name: 'get_weather', args: { city: 'Bergen' } } }],
        },
        finishReason: 'STOP',
        index: 0,
        safetyRatings: [],
      },
    ],
    usageMetadata: {
      promptTokenCount: 90,
      candidatesTokenCount: 12,
      thoughtsTokenCount: 30,
      totalTokenCount: 132,
    },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'mAitaI-9Kq2Uz7IP',
  };

  it('gives the id-less call an id from the response id, tool_use, thinking counted in output', () => {
    const anthropic = translated(neutralToAnthropicAnswer(translated(geminiAnswerToNeutral(geminiAnswer))));
    expect(anthropic).toEqual({
      id: 'mAitaI-9Kq2Uz7IP',
      type: 'message',
      role: 'assistant',
      model: 'gemini-2.5-flash',
      content: [
        {
          type: 'tool_use',
          id: 'gemini-call-mAitaI-9Kq2Uz7IP-0',
          name: 'get_weather',
          input: { city: 'Bergen' },
        },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 90,
        output_tokens: 42,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        output_tokens_details: { thinking_tokens: 30 },
      },
    });
  });

  it('refuses two candidates, grounding and a MALFORMED_FUNCTION_CALL finish', () => {
    const candidate = {
      ...geminiAnswer.candidates[0],
      finishReason: 'MALFORMED_FUNCTION_CALL',
      groundingMetadata: {},
    };
    expect(
      refusedParameters(geminiAnswerToNeutral({ ...geminiAnswer, candidates: [candidate, candidate] })),
    ).toEqual(['candidates', 'candidates[0].groundingMetadata', 'candidates[0].finishReason']);
  });
});

describe('OpenAI answer', () => {
  it('refuses a second choice, log probabilities and a refusal', () => {
    const choice = {
      index: 0,
      message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
      finish_reason: 'stop',
      logprobs: { content: [] },
    };
    const body = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [choice, { ...choice, index: 1 }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    expect(refusedParameters(openAIChatAnswerToNeutral(body))).toEqual([
      'choices',
      'choices[0].logprobs',
      'choices[0].message.refusal',
    ]);
  });
});

/** The stop-reason table of TABLE.md, row by row. */
const STOP_TABLE: readonly [NeutralStopReason, string, string, string][] = [
  ['end', 'stop', 'end_turn', 'STOP'],
  ['stop-sequence', 'stop', 'stop_sequence', 'STOP'],
  ['max-tokens', 'length', 'max_tokens', 'MAX_TOKENS'],
  ['context-window', 'length', 'model_context_window_exceeded', 'MAX_TOKENS'],
  ['tool-calls', 'tool_calls', 'tool_use', 'STOP'],
  ['refusal', 'content_filter', 'refusal', 'SAFETY'],
];

describe.each(STOP_TABLE)('stop reason %s', (reason, openai, anthropic, gemini) => {
  const answer: NeutralAnswer = {
    id: 'a',
    model: 'm',
    content: [{ kind: 'text', text: 'x' }],
    stopReason: reason,
    ...(reason === 'stop-sequence' ? { stopSequence: '###' } : {}),
    usage: { inputTokens: 1, outputTokens: 1 },
  };

  it(`is ${openai} / ${anthropic} / ${gemini}`, () => {
    const o = translated(neutralToOpenAIChatAnswer(answer, { nowSeconds: 0 })) as {
      choices: { finish_reason: string }[];
    };
    const a = translated(neutralToAnthropicAnswer(answer));
    const g = translated(neutralToGeminiAnswer(answer)) as { candidates: { finishReason: string }[] };
    expect([o.choices[0]?.finish_reason, a.stop_reason, g.candidates[0]?.finishReason]).toEqual([
      openai,
      anthropic,
      gemini,
    ]);
    if (reason === 'stop-sequence') expect(a.stop_sequence).toBe('###');
    expect(translated(anthropicAnswerToNeutral(a)).stopReason).toBe(reason);
  });
});
