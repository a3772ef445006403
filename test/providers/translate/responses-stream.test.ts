/**
 * Responses streams: the writer's bytes read by the official `openai` SDK
 * over a real socket (`responses.create({ stream: true })` iterated, and
 * `responses.stream().finalResponse()` equal to the non-streamed answer);
 * the reader fed a real-shaped stream split at every byte; writer → reader
 * keeping any answer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  NeutralAnswer,
  NeutralText,
  NeutralToolCall,
} from '../../../src/providers/translate/neutral.js';
import { neutralToOpenAIResponsesAnswer } from '../../../src/providers/translate/openai-responses-answer.js';
import type { NeutralStreamEvent } from '../../../src/providers/translate/stream/events.js';
import { OpenAIResponsesReader } from '../../../src/providers/translate/stream/openai-responses-reader.js';
import { OpenAIResponsesWriter } from '../../../src/providers/translate/stream/openai-responses-writer.js';
import { sharedAnswer, sharedBy } from './arbitraries.js';
import { NOW_SECONDS, translated } from './families.js';
import { type CannedServer, cannedServer } from './responses-server.js';

/** The events a reader of any family would give for `answer`, text and arguments in pieces of `piece` characters. */
function eventsOf(answer: NeutralAnswer, piece = 5): NeutralStreamEvent[] {
  const pieces = (text: string): string[] => text.match(new RegExp(`[^]{1,${piece}}`, 'g')) ?? [];
  const events: NeutralStreamEvent[] = [
    {
      kind: 'start',
      id: answer.id,
      model: answer.model,
      ...(answer.createdSeconds !== undefined ? { createdSeconds: answer.createdSeconds } : {}),
    },
  ];
  answer.content.forEach((part, index) => {
    if (part.kind === 'text')
      for (const text of pieces(part.text)) events.push({ kind: 'text', index, text });
    else {
      events.push({ kind: 'tool-call', index, id: part.id, name: part.name });
      for (const json of pieces(JSON.stringify(part.arguments)))
        events.push({ kind: 'tool-arguments', index, json });
    }
  });
  events.push({ kind: 'stop', reason: answer.stopReason }, { kind: 'usage', usage: answer.usage });
  return events;
}

/** The answer a sequence of events tells (what a non-streamed translation would have given). */
function answerOf(events: readonly NeutralStreamEvent[]): NeutralAnswer | { error: string } {
  let answer: { -readonly [K in keyof NeutralAnswer]?: NeutralAnswer[K] } = {};
  const content: (NeutralText | (Omit<NeutralToolCall, 'arguments'> & { json: string }))[] = [];
  for (const event of events) {
    if (event.kind === 'error') return { error: event.message };
    if (event.kind === 'start')
      answer = {
        id: event.id,
        model: event.model,
        ...(event.createdSeconds !== undefined ? { createdSeconds: event.createdSeconds } : {}),
      };
    if (event.kind === 'text') {
      const part = content[event.index];
      content[event.index] = { kind: 'text', text: (part?.kind === 'text' ? part.text : '') + event.text };
    }
    if (event.kind === 'tool-call')
      content[event.index] = { kind: 'tool-call', id: event.id, name: event.name, json: '' };
    if (event.kind === 'tool-arguments') {
      const part = content[event.index];
      if (part?.kind === 'tool-call') part.json += event.json;
    }
    if (event.kind === 'usage') answer.usage = event.usage;
    if (event.kind === 'stop') answer.stopReason = event.reason;
  }
  return {
    ...answer,
    content: content.map((part) =>
      part.kind === 'text'
        ? part
        : { kind: 'tool-call', id: part.id, name: part.name, arguments: JSON.parse(part.json || '{}') },
    ),
  } as NeutralAnswer;
}

function written(events: readonly NeutralStreamEvent[]): string {
  const writer = new OpenAIResponsesWriter({ createdSeconds: NOW_SECONDS });
  return events.map((event) => writer.write(event)).join('') + writer.finish();
}

function read(chunks: readonly Uint8Array[]): NeutralStreamEvent[] {
  const reader = new OpenAIResponsesReader();
  const events: NeutralStreamEvent[] = [];
  const sink = (event: NeutralStreamEvent) => events.push(event);
  for (const chunk of chunks) reader.push(chunk, sink);
  reader.end(sink);
  return events;
}

/** A real-shaped stream (a reasoning model calling a tool), UTF-8 text included. */
const FIXTURE = [
  [
    'response.created',
    {
      response: {
        id: 'resp_1',
        object: 'response',
        created_at: 1_756_315_696,
        status: 'in_progress',
        model: 'gpt-5-mini-2025-08-07',
        output: [],
        usage: null,
      },
    },
  ],
  [
    'response.in_progress',
    {
      response: {
        id: 'resp_1',
        object: 'response',
        created_at: 1_756_315_696,
        status: 'in_progress',
        model: 'gpt-5-mini-2025-08-07',
        output: [],
      },
    },
  ],
  ['response.output_item.added', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }],
  ['response.output_item.done', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } }],
  [
    'response.output_item.added',
    {
      output_index: 1,
      item: { id: 'msg_1', type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    },
  ],
  [
    'response.content_part.added',
    {
      item_id: 'msg_1',
      output_index: 1,
      content_index: 0,
      part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
    },
  ],
  [
    'response.output_text.delta',
    {
      item_id: 'msg_1',
      output_index: 1,
      content_index: 0,
      delta: 'Kjøper ',
      logprobs: [],
      obfuscation: 'aB3',
    },
  ],
  [
    'response.output_text.delta',
    { item_id: 'msg_1', output_index: 1, content_index: 0, delta: '☂️ først.', logprobs: [] },
  ],
  [
    'response.output_text.done',
    { item_id: 'msg_1', output_index: 1, content_index: 0, text: 'Kjøper ☂️ først.', logprobs: [] },
  ],
  [
    'response.content_part.done',
    {
      item_id: 'msg_1',
      output_index: 1,
      content_index: 0,
      part: { type: 'output_text', annotations: [], logprobs: [], text: 'Kjøper ☂️ først.' },
    },
  ],
  [
    'response.output_item.done',
    {
      output_index: 1,
      item: {
        id: 'msg_1',
        type: 'message',
        status: 'completed',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Kjøper ☂️ først.' }],
        role: 'assistant',
      },
    },
  ],
  [
    'response.output_item.added',
    {
      output_index: 2,
      item: {
        id: 'fc_1',
        type: 'function_call',
        status: 'in_progress',
        arguments: '',
        call_id: 'call_A',
        name: 'buy',
      },
    },
  ],
  ['response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 2, delta: '{"item":' }],
  ['response.function_call_arguments.delta', { item_id: 'fc_1', output_index: 2, delta: '"umbrella"}' }],
  [
    'response.function_call_arguments.done',
    { item_id: 'fc_1', output_index: 2, arguments: '{"item":"umbrella"}' },
  ],
  [
    'response.output_item.done',
    {
      output_index: 2,
      item: {
        id: 'fc_1',
        type: 'function_call',
        status: 'completed',
        arguments: '{"item":"umbrella"}',
        call_id: 'call_A',
        name: 'buy',
      },
    },
  ],
  // Only the closing event says this call's arguments (no deltas).
  [
    'response.output_item.added',
    {
      output_index: 3,
      item: {
        id: 'fc_2',
        type: 'function_call',
        status: 'in_progress',
        arguments: '',
        call_id: 'call_B',
        name: 'pay',
      },
    },
  ],
  [
    'response.output_item.done',
    {
      output_index: 3,
      item: {
        id: 'fc_2',
        type: 'function_call',
        status: 'completed',
        arguments: '{"kr":99}',
        call_id: 'call_B',
        name: 'pay',
      },
    },
  ],
  ['response.some_future_event', { note: 'ignored' }],
  [
    'response.completed',
    {
      response: {
        id: 'resp_1',
        object: 'response',
        created_at: 1_756_315_696,
        status: 'completed',
        model: 'gpt-5-mini-2025-08-07',
        output: [],
        usage: {
          input_tokens: 310,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 250,
          output_tokens_details: { reasoning_tokens: 192 },
          total_tokens: 560,
        },
      },
    },
  ],
] as const;

function sse(events: readonly (readonly [string, object])[]): string {
  return events
    .map(
      ([type, fields], i) =>
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: i, ...fields })}\n\n`,
    )
    .join('');
}

const FIXTURE_EVENTS: NeutralStreamEvent[] = [
  { kind: 'start', id: 'resp_1', model: 'gpt-5-mini-2025-08-07', createdSeconds: 1_756_315_696 },
  { kind: 'text', index: 0, text: 'Kjøper ' },
  { kind: 'text', index: 0, text: '☂️ først.' },
  { kind: 'tool-call', index: 1, id: 'call_A', name: 'buy' },
  { kind: 'tool-arguments', index: 1, json: '{"item":' },
  { kind: 'tool-arguments', index: 1, json: '"umbrella"}' },
  { kind: 'tool-call', index: 2, id: 'call_B', name: 'pay' },
  { kind: 'tool-arguments', index: 2, json: '{"kr":99}' },
  {
    kind: 'usage',
    usage: { inputTokens: 310, outputTokens: 250, cachedInputTokens: 0, reasoningTokens: 192 },
  },
  { kind: 'stop', reason: 'tool-calls' },
];

describe('the Responses stream reader', () => {
  const bytes = new TextEncoder().encode(sse(FIXTURE));

  it('reads a real-shaped stream split at every byte into the same events', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(read([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(FIXTURE_EVENTS);
    }
  });

  it('reads it one byte at a time', () => {
    expect(read(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))).toEqual(FIXTURE_EVENTS);
  });

  it('ends with an error event when the stream is cut before response.completed', () => {
    const events = read([new TextEncoder().encode(sse(FIXTURE.slice(0, 9)))]);
    expect(events.at(-1)).toEqual({
      kind: 'error',
      status: 502,
      message: 'the upstream stream ended before response.completed',
    });
    expect(events.filter((e) => e.kind === 'error')).toHaveLength(1);
  });

  it('turns response.failed and error into one error event with the status of its code', () => {
    const failed = sse([
      FIXTURE[0],
      [
        'response.failed',
        {
          response: {
            id: 'resp_1',
            status: 'failed',
            error: { code: 'rate_limit_exceeded', message: 'slow down' },
          },
        },
      ],
      ['response.completed', FIXTURE[19][1]],
    ]);
    expect(read([new TextEncoder().encode(failed)]).slice(1)).toEqual([
      { kind: 'error', status: 429, message: 'slow down', type: 'rate_limit_exceeded' },
    ]);
    const bare = sse([['error', { code: 'server_error', message: 'boom', param: null }]]);
    expect(read([new TextEncoder().encode(bare)])).toEqual([
      { kind: 'error', status: 500, message: 'boom', type: 'server_error' },
    ]);
  });

  it('ends with an error event at a refusal part, and at data that is not JSON', () => {
    const refusal = sse([
      FIXTURE[0],
      FIXTURE[4],
      [
        'response.content_part.added',
        { item_id: 'msg_1', output_index: 1, content_index: 0, part: { type: 'refusal', refusal: '' } },
      ],
    ]);
    expect(read([new TextEncoder().encode(refusal)]).slice(1)).toEqual([
      { kind: 'error', status: 502, message: 'the upstream model refused with a refusal part' },
    ]);
    expect(read([new TextEncoder().encode('event: response.created\ndata: {not json\n\n')])).toMatchObject([
      { kind: 'error', status: 502 },
    ]);
  });
});

describe('the Responses stream writer', () => {
  it('writer → reader keeps any answer, whatever the chunking', () => {
    fc.assert(
      fc.property(
        sharedAnswer('responses', sharedBy('responses', 'openai')),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 64 }),
        (answer, piece, chunk) => {
          const bytes = new TextEncoder().encode(written(eventsOf(answer, piece)));
          const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) =>
            bytes.subarray(i * chunk, (i + 1) * chunk),
          );
          expect(answerOf(read(chunks))).toEqual(answer);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('numbers its events from 0 and ends with the terminal event', () => {
    const answer: NeutralAnswer = {
      id: 'r',
      model: 'm',
      content: [{ kind: 'text', text: 'hi' }],
      stopReason: 'max-tokens',
      usage: { inputTokens: 1, outputTokens: 2 },
    };
    const events = written(eventsOf(answer))
      .trim()
      .split('\n\n')
      .map((block) => JSON.parse(block.split('\n')[1]?.slice('data: '.length) ?? 'null'));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(events.at(-1).response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('writes an error before the start as `error`, after it as `response.failed`, and nothing after', () => {
    const before = new OpenAIResponsesWriter({ createdSeconds: NOW_SECONDS });
    expect(before.write({ kind: 'error', status: 429, message: 'slow down' })).toBe(
      `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 0, code: 'rate_limit_exceeded', message: 'slow down', param: null })}\n\n`,
    );
    expect(before.finish()).toBe('');
    const after = new OpenAIResponsesWriter({ createdSeconds: NOW_SECONDS });
    after.write({ kind: 'start', id: 'r', model: 'm' });
    const failed = after.write({ kind: 'error', status: 500, message: 'boom' });
    expect(failed).toContain('event: response.failed');
    expect(failed).toContain('"error":{"code":"server_error","message":"boom"}');
    expect(after.write({ kind: 'text', index: 0, text: 'late' }) + after.finish()).toBe('');
  });
});

describe('the official openai SDK reads a written stream', () => {
  let server: CannedServer;
  beforeAll(async () => {
    server = await cannedServer();
  });
  afterAll(() => server.close());

  const answer: NeutralAnswer = {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    model: 'claude-sonnet-4-5',
    content: [
      { kind: 'text', text: 'Let me check ' },
      { kind: 'text', text: 'both cities.' },
      { kind: 'tool-call', id: 'toolu_01', name: 'get_weather', arguments: { city: 'Oslo' } },
      { kind: 'tool-call', id: 'toolu_02', name: 'get_weather', arguments: { city: 'Bergen' } },
      { kind: 'text', text: 'Done.' },
    ],
    stopReason: 'tool-calls',
    usage: { inputTokens: 4_612, outputTokens: 58, cachedInputTokens: 3_000, reasoningTokens: 7 },
  };

  it('responses.create({ stream: true }) iterates every event in order', async () => {
    server.answer({ sse: written(eventsOf(answer, 3)) });
    const stream = await server.client.responses.create({
      model: 'claude-sonnet-4-5',
      input: 'hi',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Let me check both cities.Done.');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types.filter((t) => t === 'response.output_item.done')).toHaveLength(4);
  });

  it('responses.stream().finalResponse() is the non-streamed answer, output_text included', async () => {
    server.answer({ sse: written(eventsOf(answer, 4)) });
    const final = await server.client.responses
      .stream({ model: 'claude-sonnet-4-5', input: 'hi' })
      .finalResponse();
    expect(final).toMatchObject(
      translated(neutralToOpenAIResponsesAnswer(answer, { nowSeconds: NOW_SECONDS })),
    );
    expect(final.output_text).toBe('Let me check both cities.Done.');
    expect(final.status).toBe('completed');
  });
});
