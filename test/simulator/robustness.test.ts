/**
 * Garbage in never crashes the simulator: any JSON body gets a success, a
 * 4xx in the flavour's format, or (huge `n` × max_tokens) a "too large" 429.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
