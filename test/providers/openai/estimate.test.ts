import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { modelToEncodingMap } from 'gpt-tokenizer/mapping';
import { describe, expect, it } from 'vitest';
import { encodingForModel } from '../../../src/providers/estimate/encodings.js';
import { createAdapter } from '../../../src/providers/registry.js';

const openai = createAdapter('openai');
const PATH = '/v1/chat/completions';

/** The cookbook's sample (How_to_count_tokens_with_tiktoken.ipynb, PROVIDERS.md §6.1). */
const COOKBOOK_MESSAGES = [
  {
    role: 'system',
    content:
      'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
  },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  {
    role: 'system',
    name: 'example_assistant',
    content: 'Things working well together will increase revenue.',
  },
  {
    role: 'system',
    name: 'example_user',
    content:
      "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  {
    role: 'system',
    name: 'example_assistant',
    content: "Let's talk later when we're less busy about how to do better.",
  },
  {
    role: 'user',
    content: "This late pivot means we don't have time to boil the ocean for the client deliverable.",
  },
];

function inputTokens(
  body: unknown,
  endpoint: Parameters<typeof openai.estimate>[0] = 'chat_completions',
): number {
  return openai.estimate(endpoint, body, PATH).cost.inputTokens;
}

describe('encodings (PROVIDERS.md §6.1)', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini-2024-07-18', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-oss-20b', 'o200k_base'],
    ['ft:gpt-4o-2024-08-06:org::abc', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo-0125', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['ft:gpt-3.5-turbo-0125:org::abc', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['davinci-002', 'cl100k_base'],
    ['openai/gpt-4', 'cl100k_base'],
    ['some-future-model', 'o200k_base'],
    // Names only gpt-tokenizer's map lists (a copied prefix table missed them).
    ['gpt-3.5', 'cl100k_base'],
    ['gpt-3.5-0301', 'cl100k_base'],
    // Snapshots and variants the map does not list take the longest listed name they extend.
    ['gpt-3.5-turbo-0301', 'cl100k_base'],
    ['gpt-3.5-turbo-instruct-0914', 'cl100k_base'],
    ['gpt-4-32k-0613', 'cl100k_base'],
    ['gpt-35-turbo-16k', 'cl100k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['gpt-4.1-mini', 'o200k_base'],
    ['gpt-oss-120b', 'o200k_base'], // o200k_harmony in the map: counts ordinary text as o200k_base
    ['text-davinci-003', 'cl100k_base'], // p50k_base, retired: its successor's encoding
    // Object keys are not model names.
    ['constructor', 'o200k_base'],
    ['__proto__', 'o200k_base'],
  ])('%s → %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });

  it("answers every model in gpt-tokenizer's map with that encoding, as loaded", () => {
    const asLoaded = (name: string) => (name.startsWith('o200k') ? 'o200k_base' : 'cl100k_base');
    for (const [model, encoding] of Object.entries(modelToEncodingMap)) {
      expect([model, encodingForModel(model)]).toEqual([model, asLoaded(encoding)]);
      expect([model, encodingForModel(`ft:${model}:org::abc`)]).toEqual([model, asLoaded(encoding)]);
    }
  });
});

describe('chat input tokens: the cookbook framing', () => {
  it.each([
    ['gpt-4-0613', 129],
    ['gpt-4', 129],
    ['gpt-3.5-turbo-0613', 129],
    ['gpt-3.5-turbo-0301', 127],
    ['gpt-4o', 124],
    ['gpt-4o-mini', 124],
  ])('%s counts %d prompt tokens for the sample, as the API did', (model, tokens) => {
    expect(inputTokens({ model, messages: COOKBOOK_MESSAGES })).toBe(tokens);
  });

  it('counts one message as 3 + role + content + 3 priming', () => {
    const content = 'tiktoken is great!';
    expect(encodeCl100k(content)).toHaveLength(6); // the cookbook's own example
    expect(inputTokens({ model: 'gpt-4', messages: [{ role: 'user', content }] })).toBe(3 + 1 + 6 + 3);
  });

  it('counts text parts and images by detail', () => {
    const base = inputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Describe' }] });
    const withImages = inputTokens({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(withImages - base).toBe(85 + 765);
  });

  it('counts tool definitions as their JSON text and tool calls by name and arguments', () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const messages = [{ role: 'user', content: 'Weather?' }];
    const plain = inputTokens({ model: 'gpt-4o', messages });
    expect(inputTokens({ model: 'gpt-4o', messages, tools }) - plain).toBe(
      encodeO200k(JSON.stringify(tools)).length,
    );
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    };
    const withCall = inputTokens({ model: 'gpt-4o', messages: [...messages, call] });
    expect(withCall - plain).toBe(
      3 + 1 + encodeO200k('get_weather').length + encodeO200k('{"city":"Paris"}').length,
    );
  });

  it('treats special-token text in user content as ordinary text', () => {
    const tokens = inputTokens({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'a <|endoftext|> b' }],
    });
    expect(tokens).toBeGreaterThan(7);
  });
});

describe('output reservation (§1.5)', () => {
  const messages = [{ role: 'user', content: 'hi' }];
  it('reserves n × max_completion_tokens ?? max_tokens', () => {
    const cost = (body: object) =>
      openai.estimate('chat_completions', { model: 'gpt-4o', messages, ...body }, PATH).cost;
    expect(cost({ max_tokens: 100 }).outputTokens).toBe(100);
    expect(cost({ max_completion_tokens: 50, max_tokens: 100 }).outputTokens).toBe(50);
    expect(cost({ max_tokens: 100, n: 3 }).outputTokens).toBe(300);
    // No maximum: the model's largest output, as OpenAI's limiter charges (openai/models.ts).
    expect(cost({ max_tokens: null, max_completion_tokens: null }).outputTokens).toBe(16_384);
    expect(cost({ max_tokens: -5, n: 'x' }).outputTokens).toBe(16_384);
    expect(cost({}).requests).toBe(1);
  });

  it('falls back to the operator table, then the provider rule, then the default; never to a learned length', () => {
    const tuned = createAdapter('openai', {
      defaultMaxOutputTokens: 256,
      modelMaxOutputTokens: { 'gpt-4o': 2000 },
    });
    const body = (model: string) => ({ model, messages });
    expect(tuned.estimate('chat_completions', body('gpt-4o-mini'), PATH).cost.outputTokens).toBe(2000);
    expect(tuned.estimate('chat_completions', body('o3'), PATH).cost.outputTokens).toBe(100_000);
    expect(tuned.estimate('chat_completions', body('my-finetune'), PATH).cost.outputTokens).toBe(256);
    expect(
      tuned.estimate('chat_completions', body('gpt-4o'), PATH, { defaultMaxOutputTokens: 77 }).cost
        .outputTokens,
    ).toBe(2000);
  });

  it('Responses: input string or items, instructions, max_output_tokens', () => {
    const estimate = openai.estimate(
      'responses',
      {
        model: 'gpt-4.1',
        instructions: 'Be brief.',
        input: 'Hello there',
        max_output_tokens: 40,
        stream: true,
      },
      '/v1/responses',
    );
    expect(estimate).toMatchObject({ endpoint: 'responses', model: 'gpt-4.1', stream: true });
    expect(estimate.cost).toEqual({
      requests: 1,
      inputTokens: 3 + encodeO200k('Be brief.').length + 3 + 1 + encodeO200k('Hello there').length + 3,
      outputTokens: 40,
    });
    const items = openai.estimate(
      'responses',
      {
        model: 'gpt-4.1',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is in this image?' },
              { type: 'input_image', detail: 'low' },
            ],
          },
          { type: 'function_call', name: 'lookup', arguments: '{"q":1}', call_id: 'c' },
          { type: 'function_call_output', call_id: 'c', output: 'found it' },
        ],
      },
      '/v1/responses',
    );
    expect(items.cost.inputTokens).toBeGreaterThan(85 + 3 * 3);
  });

  it('embeddings: strings and token arrays, no output', () => {
    const path = '/v1/embeddings';
    expect(
      openai.estimate('embeddings', { model: 'text-embedding-3-small', input: [1, 2, 3, 4] }, path).cost,
    ).toEqual({
      requests: 1,
      inputTokens: 4,
      outputTokens: 0,
    });
    expect(
      openai.estimate(
        'embeddings',
        { model: 'text-embedding-3-small', input: [[1, 2], [3], 'tiktoken is great!'] },
        path,
      ).cost.inputTokens,
    ).toBe(2 + 1 + 6);
  });

  it('completions: prompts × max(n, best_of) × max_tokens, 16 by default', () => {
    const path = '/v1/completions';
    expect(
      openai.estimate(
        'completions',
        { model: 'gpt-3.5-turbo-instruct', prompt: ['a', 'b'], n: 2, best_of: 3, max_tokens: 10 },
        path,
      ).cost.outputTokens,
    ).toBe(2 * 3 * 10);
    expect(
      openai.estimate('completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'a' }, path).cost
        .outputTokens,
    ).toBe(16);
  });

  it('the model list costs nothing but the request', () => {
    expect(openai.estimate('models', undefined, '/v1/models').cost).toEqual({
      requests: 1,
      inputTokens: 0,
      outputTokens: 0,
    });
  });
});

describe('huge requests', () => {
  it('tokenizes only the budgeted characters and estimates the rest', () => {
    const small = createAdapter('openai', { maxTokenizedChars: 1_000 });
    const text = 'word '.repeat(10_000);
    const tokens = small.estimate(
      'chat_completions',
      { model: 'gpt-4o', messages: [{ role: 'user', content: text }] },
      PATH,
    ).cost.inputTokens;
    // 50 000 ASCII chars estimated at 4 per token.
    expect(tokens).toBe(3 + 1 + 12_500 + 3);
  });

  it('counts text it has counted before exactly, without using up the budget', () => {
    const history = 'the quick brown fox jumps over the lazy dog. '.repeat(60); // 2 700 chars
    const roomy = createAdapter('openai');
    const small = createAdapter('openai', { maxTokenizedChars: 1_000 });
    const body = (turns: number) => ({
      model: 'gpt-4o',
      messages: Array.from({ length: turns }, (_, i) => ({ role: 'user', content: `${i}: ${history}` })),
    });
    // Counted once (within a roomy budget), each turn is known afterwards: a 3-turn request,
    // 8 100 characters against a budget of 1 000, still counts exactly.
    const exact = roomy.estimate('chat_completions', body(3), PATH).cost.inputTokens;
    expect(small.estimate('chat_completions', body(3), PATH).cost.inputTokens).toBe(exact);
    // A new turn longer than the budget is estimated from characters, until it has been counted.
    const fresh = small.estimate('chat_completions', body(4), PATH).cost.inputTokens;
    const exact4 = roomy.estimate('chat_completions', body(4), PATH).cost.inputTokens;
    expect(fresh).not.toBe(exact4);
    expect(small.estimate('chat_completions', body(4), PATH).cost.inputTokens).toBe(exact4);
  });
});

describe('Azure: the deployment names the model', () => {
  it('reads the deployment from the path, maps it to a tokenizer', () => {
    const azure = createAdapter('azure', { deploymentModels: { 'prod-chat': 'gpt-4-0613' } });
    const path = '/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21';
    const estimate = azure.estimate('chat_completions', { messages: COOKBOOK_MESSAGES }, path);
    expect(estimate.model).toBe('prod-chat');
    expect(estimate.cost.inputTokens).toBe(129);
  });
});
