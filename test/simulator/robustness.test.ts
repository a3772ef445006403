/**
 * Garbage in never crashes the simulator: any JSON body gets a success, a
 * 4xx in the flavour's format, or (huge `n` × max_tokens) a "too large" 429.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ defaults: { rpm: 1e6, tpm: 1e9, concurrency: 100 } });
});
afterAll(() => sim.close());

const PATHS = [
  ['/v1/chat/completions', { authorization: 'Bearer k' }],
  ['/v1/responses', { authorization: 'Bearer k' }],
  ['/v1/completions', { authorization: 'Bearer k' }],
  ['/v1/embeddings', { authorization: 'Bearer k' }],
  ['/v1/messages', { 'x-api-key': 'k' }],
  ['/v1/messages/count_tokens', { 'x-api-key': 'k' }],
  ['/v1beta/models/gemini-2.5-flash:generateContent', { 'x-goog-api-key': 'k' }],
  ['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { 'x-goog-api-key': 'k' }],
] as const;

/** Bodies that look like requests, with every field of any type. */
const loose = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-4o', 'claude-sonnet-5-5'), fc.jsonValue()),
    messages: fc.oneof(
      fc.array(
        fc.record(
          { role: fc.jsonValue(), content: fc.jsonValue(), name: fc.jsonValue() },
          { requiredKeys: [] },
        ),
      ),
      fc.jsonValue(),
    ),
    input: fc.jsonValue(),
    prompt: fc.jsonValue(),
    contents: fc.oneof(
      fc.array(fc.record({ parts: fc.jsonValue(), role: fc.jsonValue() }, { requiredKeys: [] })),
      fc.jsonValue(),
    ),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.jsonValue()),
    dimensions: fc.oneof(fc.integer({ min: -5, max: 1e9 }), fc.jsonValue()),
    encoding_format: fc.oneof(fc.constantFrom('float', 'base64'), fc.jsonValue()),
    n: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.jsonValue()),
    stream: fc.jsonValue(),
    system: fc.jsonValue(),
    tools: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe('robustness', () => {
  it('answers any JSON body on every endpoint with 200, 4xx or a too-large 429', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.oneof(loose, fc.jsonValue()),
        async ([path, headers], body) => {
          const res = await fetch(`${sim.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          expect([200, 400, 404, 429]).toContain(res.status);
          if (res.status !== 200) expect(() => JSON.parse(text) as unknown).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
    expect(sim.stats().concurrency.current).toBe(0);
  });
});

/** A JSON array nested `depth` levels around one token id. */
function nested(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

interface Answer {
  error: { message: string; type: string; param: string | null; code: string | null };
  usage: { prompt_tokens: number };
  data: unknown[];
}

async function post(url: string, path: string, body: string): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body,
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

describe('what a provider checks before counting', () => {
  it('refuses a 200,000-character role with OpenAI’s 400 instead of tokenizing it', async () => {
    const role = 'A'.repeat(200_000);
    const { status, json } = await post(
      sim.url,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role, content: 'Hello' }] }),
    );
    expect(status).toBe(400);
    expect(json.error).toEqual({
      message: `Invalid value: '${'A'.repeat(64)}...'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      type: 'invalid_request_error',
      param: 'messages[0].role',
      code: 'invalid_value',
    });
  });

  it('refuses a missing or non-string role, and an unknown Responses role', async () => {
    const chat = (messages: unknown) =>
      post(sim.url, '/v1/chat/completions', JSON.stringify({ model: 'gpt-4o', messages }));
    const missing = await chat([{ content: 'Hello' }]);
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatchObject({
      message: "Missing required parameter: 'messages[0].role'.",
      code: 'missing_required_parameter',
    });
    const number = await chat([
      { role: 'user', content: 'Hi' },
      { role: 7, content: 'Hello' },
    ]);
    expect(number.json.error).toMatchObject({ param: 'messages[1].role', code: 'invalid_type' });
    const responses = await post(
      sim.url,
      '/v1/responses',
      JSON.stringify({ model: 'gpt-4.1', input: [{ role: 'A'.repeat(100_000), content: 'Hello' }] }),
    );
    expect(responses.status).toBe(400);
    expect(responses.json.error).toMatchObject({ param: 'input[0].role', code: 'invalid_value' });
  });

  it('counts a 100,000-character single-letter prompt from its characters and answers it', async () => {
    const { status, json } = await post(
      sim.url,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'A'.repeat(100_000) }] }),
    );
    expect(status).toBe(200);
    // 3 to prime the reply, 3 for the message, 1 for "user", and a quarter token per character.
    expect(json.usage.prompt_tokens).toBe(3 + 3 + 1 + 25_000);
  });

  it('answers embeddings nested too deep with OpenAI’s 400, latency or not, and keeps serving', async () => {
    // Latency on a manual clock: a refusal must not wait for it (the clock never moves for the 400s).
    const clock = new ManualClock();
    const slow = await startSimulator({ clock, latency: { ttft_ms: 1 }, defaults: { rpm: 1e6, tpm: 1e9 } });
    try {
      for (const url of [slow.url, sim.url]) {
        const { status, json } = await post(
          url,
          '/v1/embeddings',
          `{"model":"text-embedding-3-small","input":${nested(10_000)}}`,
        );
        expect(status).toBe(400);
        expect(json.error).toMatchObject({ type: 'invalid_request_error', param: null });
        expect(json.error.message).toContain("'$.input' is invalid");
      }
      const answered = post(
        slow.url,
        '/v1/embeddings',
        JSON.stringify({ model: 'text-embedding-3-small', input: [[1, 2], [3]] }),
      );
      await expect.poll(() => slow.stats().concurrency.current).toBe(1);
      clock.advance(1);
      const ok = await answered;
      expect(ok.status).toBe(200);
      expect(ok.json.data).toHaveLength(2);
    } finally {
      await slow.close();
    }
  });
});
