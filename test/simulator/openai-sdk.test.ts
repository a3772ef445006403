/**
 * The official `openai` SDK against the simulator's OpenAI flavour: every
 * response must parse, and refusals must surface as the SDK's own errors
 * with the headers PROVIDERS.md §8.2–8.5 describe.
 */
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  const clock = new ManualClock();
  sim = await startSimulator({ clock, ...options });
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
  return { sim, clock, client };
}

async function rateLimitError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  return error as InstanceType<typeof OpenAI.RateLimitError>;
}

const hello = [{ role: 'user' as const, content: 'Hello there' }];
// Cookbook framing: 3 per message + role + content, 3 to prime the reply.
const helloPromptTokens = 3 + 3 + o200k('user') + o200k('Hello there');

describe('OpenAI flavour with the official SDK', () => {
  it('answers chat completions with usage counted by the tokenizer', async () => {
    const { client } = await start({ response: { mode: 'lorem', tokens: 12 } });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 50,
    });
    const text = completion.choices[0]?.message.content ?? '';
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: helloPromptTokens,
      completion_tokens: 12,
      total_tokens: helloPromptTokens + 12,
    });
    // Lorem words are single tokens: the tokenizer agrees with the reported count.
    expect(o200k(text)).toBe(12);
  });

  it('answers chat completions on Gemini’s OpenAI-compatible path (/v1beta/openai/) the same way', async () => {
    const { sim } = await start({ response: { mode: 'lorem', tokens: 4 } });
    const gemini = new OpenAI({ apiKey: 'AIza-test', baseURL: `${sim.url}/v1beta/openai`, maxRetries: 0 });
    const completion = await gemini.chat.completions.create({ model: 'gemini-2.5-flash', messages: hello });
    expect(completion.object).toBe('chat.completion');
    expect(completion.usage?.completion_tokens).toBe(4);
    expect(sim.stats().by_flavour).toMatchObject({ openai: 1 });
    const withGoogleKey = await fetch(`${sim.url}/v1beta/openai/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: hello }),
    });
    expect(withGoogleKey.status).toBe(200);
  });

  it('truncates at max_tokens with finish_reason "length", and echoes in echo mode', async () => {
    const { client } = await start({ response: { mode: 'echo' } });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'one two three four five' }],
      max_completion_tokens: 3,
    });
    expect(completion.choices[0]?.message.content).toBe('one two three');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('streams chat chunks and a final usage chunk with include_usage (§1.8)', async () => {
    const { client } = await start({ response: { mode: 'lorem', tokens: 8 } });
    const whole = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: helloPromptTokens, completion_tokens: 8 });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('sends the rate-limit headers on every response (§1.1)', async () => {
    const { client } = await start({
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 500, tpm: 200_000 } } } },
    });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 100 })
      .withResponse();
    const h = response.headers;
    expect(h.get('x-ratelimit-limit-requests')).toBe('500');
    expect(h.get('x-ratelimit-remaining-requests')).toBe('499');
    expect(h.get('x-ratelimit-reset-requests')).toBe('120ms');
    expect(h.get('x-ratelimit-limit-tokens')).toBe('200000');
    // Admission charged prompt + max_tokens.
    expect(h.get('x-ratelimit-remaining-tokens')).toBe(String(200_000 - helloPromptTokens - 100));
    expect(h.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(h.get('openai-version')).toBe('2020-10-01');
  });

  it('reproduces the RPM 429 of §8.3 as a RateLimitError with retry-after', async () => {
    const { client, clock } = await start({ keys: { 'sk-test': { models: { 'gpt-4o-mini': { rpm: 3 } } } } });
    for (let i = 0; i < 3; i++)
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const error = await rateLimitError(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    );
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('requests');
    expect(error.message).toContain(
      'Rate limit reached for gpt-4o-mini in organization org-simulated on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    );
    expect(error.headers?.get('retry-after')).toBe('20');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(error.headers?.get('x-ratelimit-reset-requests')).toBe('1m0s');
    // The wait is exact: 20 s later one request fits.
    clock.advance(20_000);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
  });

  it('reproduces the TPM arithmetic of §8.2 ("Used 18928, Requested 11159 … 174ms")', async () => {
    const { client } = await start({
      keys: { 'sk-test': { models: { 'gpt-4.1': { rpm: 500, tpm: 30_000 } } } },
      openai: { reconcile: false },
    });
    const hi = [{ role: 'user' as const, content: 'Hi' }];
    const prompt = 3 + 3 + o200k('user') + o200k('Hi');
    await client.chat.completions.create({ model: 'gpt-4.1', messages: hi, max_tokens: 18_928 - prompt });
    const error = await rateLimitError(
      client.chat.completions.create({ model: 'gpt-4.1', messages: hi, max_tokens: 11_159 - prompt }),
    );
    expect(error.type).toBe('tokens');
    expect(error.message).toContain(
      'on tokens per min (TPM): Limit 30000, Used 18928, Requested 11159. Please try again in 174ms.',
    );
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-ratelimit-remaining-tokens')).toBe('11072');
    expect(error.headers?.get('x-ratelimit-reset-tokens')).toBe('37.856s');
    // Unsuccessful requests count against RPM (§1.3): two admitted… one refused.
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('498');
  });

  it('refuses a request larger than the whole TPM limit as "Request too large", without retry-after (§8.4)', async () => {
    const { client } = await start({ keys: { 'sk-test': { models: { 'gpt-4o': { tpm: 30_000 } } } } });
    const error = await rateLimitError(
      client.chat.completions.create({ model: 'gpt-4o', messages: hello, max_tokens: 30_000 }),
    );
    expect(error.message).toContain(
      'Request too large for gpt-4o in organization org-simulated on tokens per min (TPM)',
    );
    expect(error.headers?.get('retry-after')).toBeNull();
  });

  it('gives back the unused reservation when the call completes (reconcile, default)', async () => {
    const { client } = await start({
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { tpm: 100_000 } } } },
      response: { tokens: 10 },
    });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 1_000 });
    const { response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 1_000 })
      .withResponse();
    // The first call holds only what it used; the second still holds its estimate.
    const expected = 100_000 - (helloPromptTokens + 10) - (helloPromptTokens + 1_000);
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(expected));
  });

  it('answers the Responses API, whole and streamed, with usage in response.completed', async () => {
    const { client } = await start({ response: { tokens: 6 } });
    const whole = await client.responses.create({
      model: 'gpt-4.1',
      input: 'Say hi',
      instructions: 'Be brief',
    });
    expect(whole.status).toBe('completed');
    expect(whole.output_text.split(' ')).toHaveLength(6);
    expect(whole.usage?.output_tokens).toBe(6);
    const expectedInput =
      3 + (3 + o200k('developer') + o200k('Be brief')) + (3 + o200k('user') + o200k('Say hi'));
    expect(whole.usage?.input_tokens).toBe(expectedInput);

    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'Say hi', instructions: 'Be brief' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(whole.output_text);
    expect(final.usage).toEqual(whole.usage);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.filter((t) => t === 'response.output_text.delta')).toHaveLength(6);
    expect(types.at(-1)).toBe('response.completed');
  });

  it('answers embeddings (the SDK asks for base64 and decodes it) and counts input tokens with cl100k', async () => {
    const { client } = await start();
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['hello world', 'hello world', 'other', 'Hello to the world!'],
    });
    expect(result.data).toHaveLength(4);
    const [a, b, c, d] = result.data.map((d) => d.embedding);
    expect(a).toHaveLength(1536);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const dot = (x: number[] = [], y: number[] = []) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    expect(Math.sqrt(dot(a, a))).toBeCloseTo(1, 5);
    // Bag-of-words vectors: a rewording is close, another text far.
    expect(dot(a, d)).toBeGreaterThan(0.9);
    expect(dot(a, c)).toBeLessThan(0.3);
    expect(result.usage.prompt_tokens).toBe(
      2 * cl100k('hello world') + cl100k('other') + cl100k('Hello to the world!'),
    );
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'x',
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toHaveLength(3072);
  });

  it('answers legacy completions (max_tokens defaults to 16) and lists models', async () => {
    const { client } = await start({ response: { tokens: 30 } });
    const completion = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Once upon a time',
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage).toMatchObject({
      prompt_tokens: cl100k('Once upon a time'),
      completion_tokens: 16,
    });
    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'x',
      max_tokens: 5,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.split(' ')).toHaveLength(5);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('answers bad requests with 400 in OpenAI format, and unknown keys with 401 when keys are listed', async () => {
    const { client, sim } = await start({ auth: 'listed', keys: { 'sk-test': {} } });
    const missing = await client.chat.completions
      .create({ messages: hello } as never)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');

    const raw = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: '{"model": "gpt-4o",',
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { type: string; message: string; param: null; code: null } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('We could not parse the JSON body of your request.');

    const stranger = new OpenAI({ apiKey: 'sk-unknown-key', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const denied = await stranger.models.list().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((denied as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('validates the numeric and typed chat parameters as OpenAI words it, before charging anything', async () => {
    const { client, sim } = await start();
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { max_tokens: 'abc' },
        "Invalid type for 'max_tokens': expected an integer, but got a string instead.",
        'invalid_type',
      ],
      [
        { max_tokens: -5 },
        "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got -5 instead.",
        'integer_below_min_value',
      ],
      [
        { max_completion_tokens: 1.5 },
        "Invalid type for 'max_completion_tokens': expected an integer, but got a decimal instead.",
        'invalid_type',
      ],
      [
        { n: 0 },
        "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
        'integer_below_min_value',
      ],
      [
        { stream: 'yes' },
        "Invalid type for 'stream': expected a boolean, but got a string instead.",
        'invalid_type',
      ],
      [
        { messages: [null] },
        "Invalid type for 'messages[0]': expected an object, but got null instead.",
        'invalid_type',
      ],
    ];
    for (const [fields, message, code] of cases) {
      const error = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello, ...fields } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(message);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe(code);
    }
    expect(sim.stats().admitted).toBe(0);
  });

  it('answers insufficient_quota as a 429 the SDK reports with code insufficient_quota (§8.5)', async () => {
    const { sim } = await start({
      faults: [{ kind: 'insufficient_quota', at: [1], should_retry_header: true }],
    });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 2 });
    const error = await rateLimitError(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
    );
    expect(error.code).toBe('insufficient_quota');
    expect(error.type).toBe('insufficient_quota');
    // x-should-retry: false stopped the SDK's own retries.
    expect(sim.stats().requests).toBe(1);
  });
});
