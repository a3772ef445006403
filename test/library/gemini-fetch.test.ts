/**
 * `governor.fetch` on Gemini's native API against the simulator's Gemini
 * flavour. `@google/genai` takes no custom fetch, so the calls are the HTTP
 * requests it would make: the model in the path, `x-goog-api-key`, and
 * `?alt=sse` for streams.
 */
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const MODEL = 'gemini-2.5-flash';

function geminiGroup(sim: Simulator) {
  return {
    deployments: [
      {
        id: 'sim-gemini',
        provider: 'gemini' as const,
        base_url: sim.url,
        model: MODEL,
        limits: { rpm: 1_000, tpd: 1_000_000, tpm: 8_000 },
      },
    ],
  };
}

function generate(
  fetch: typeof globalThis.fetch,
  sim: Simulator,
  options: { stream?: boolean; maxOutputTokens: number },
): Promise<Response> {
  const path = options.stream ? `${MODEL}:streamGenerateContent?alt=sse` : `${MODEL}:generateContent`;
  return fetch(`${sim.url}/v1beta/models/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test' },
    body: JSON.stringify({
      contents: [{ role: 'user', parts: [{ text: 'Explain rate limits in one sentence.' }] }],
      generationConfig: { maxOutputTokens: options.maxOutputTokens },
    }),
  });
}

describe('governor.fetch with Gemini', () => {
  it('governs generateContent, plain and streamed, and settles with the usageMetadata Gemini reports', async () => {
    const sim = await simulator({ response: { tokens: 12 } });
    const g = governor({ model_groups: { [MODEL]: geminiGroup(sim) } });

    const plain = await generate(g.fetch, sim, { maxOutputTokens: 400 });
    expect(plain.status).toBe(200);
    const body = (await plain.json()) as { usageMetadata: { candidatesTokenCount: number } };
    expect(body.usageMetadata.candidatesTokenCount).toBe(12);

    const streamed = await generate(g.fetch, sim, { stream: true, maxOutputTokens: 400 });
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text).toContain('usageMetadata');

    const [deployment] = g.governor.groups.deployments();
    const tpd = deployment?.bucketFor('tokens', 'day');
    const [snapshot] = await g.governor.store.peek(tpd ? [tpd] : []);
    // Reserved 2 × (input + 400); settled to what the simulator counted.
    const { tokens } = sim.stats();
    expect(tokens.output).toBe(24);
    // A rolling day refills ~12 tokens/s: allow what refilled while the test ran (the reservation was ~800).
    const settled = tokens.input + tokens.output;
    expect(snapshot?.used).toBeLessThanOrEqual(settled + 1e-6);
    expect(snapshot?.used).toBeGreaterThan(settled - 5);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('refuses a request larger than a whole limit in Gemini format, with no retry', async () => {
    const sim = await simulator({});
    const g = governor({ model_groups: { [MODEL]: geminiGroup(sim) } });
    const refused = await generate(g.fetch, sim, { maxOutputTokens: 9_000 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    const body = (await refused.json()) as { error: { code: number; status: string; message: string } };
    expect(body.error.code).toBe(429);
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.message).toMatch(/tokens/i);
    // Nothing reached the provider.
    expect(sim.stats().requests).toBe(0);
  });
});
