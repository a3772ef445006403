/**
 * Google's `@google/genai` against the simulator's Gemini flavour
 * (PROVIDERS.md §4, §8.15).
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

const MODEL = 'gemini-2.5-flash';
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 30));
  sim = await startSimulator({ clock, ...options });
  const client = new GoogleGenAI({ apiKey: 'AIza-test', httpOptions: { baseUrl: sim.url } });
  return { sim, clock, client };
}

const prompt = 'Explain rate limits in one sentence.'; // 36 characters → 9 tokens

interface RpcError {
  error: {
    code: number;
    status: string;
    message: string;
    details?: { '@type': string; [k: string]: unknown }[];
  };
}

async function apiError(call: Promise<unknown>): Promise<{ status: number; body: RpcError }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  const e = error as ApiError;
  return { status: e.status, body: JSON.parse(e.message) as RpcError };
}

describe('Gemini flavour with @google/genai', () => {
  it('answers generateContent with usageMetadata', async () => {
    const { client } = await start({ response: { tokens: 9 } });
    const result = await client.models.generateContent({ model: MODEL, contents: prompt });
    expect(result.text?.split(' ')).toHaveLength(9);
    expect(result.candidates?.[0]?.finishReason).toBe('STOP');
    expect(result.usageMetadata).toMatchObject({
      promptTokenCount: 9,
      candidatesTokenCount: 9,
      totalTokenCount: 18,
    });
    const capped = await client.models.generateContent({
      model: MODEL,
      contents: prompt,
      config: { maxOutputTokens: 4 },
    });
    expect(capped.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  });

  it('streams with alt=sse; the last chunk carries the finish reason and full usage', async () => {
    const { client } = await start({ response: { tokens: 6 } });
    const whole = await client.models.generateContent({ model: MODEL, contents: prompt });
    const stream = await client.models.generateContentStream({ model: MODEL, contents: prompt });
    let text = '';
    let last: Awaited<ReturnType<typeof client.models.generateContent>> | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      last = chunk;
    }
    expect(text).toBe(whole.text);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 9, candidatesTokenCount: 6 });
  });

  it('streams a JSON array without alt=sse, and accepts ?key=', async () => {
    const { sim } = await start({ response: { tokens: 3 } });
    const res = await fetch(`${sim.url}/v1beta/models/${MODEL}:streamGenerateContent?key=AIza-test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }] }),
    });
    expect(res.status).toBe(200);
    const chunks = JSON.parse(await res.text()) as {
      candidates: { content: { parts: { text: string }[] } }[];
    }[];
    expect(chunks).toHaveLength(4);
    expect(
      chunks
        .map((c) => c.candidates[0]?.content.parts[0]?.text)
        .join('')
        .split(' '),
    ).toHaveLength(3);
  });

  it('refuses over RPM with RESOURCE_EXHAUSTED, QuotaFailure and RetryInfo, and no rate-limit headers (§8.15)', async () => {
    const { client, sim } = await start({ keys: { 'AIza-test': { models: { [MODEL]: { rpm: 10 } } } } });
    for (let i = 0; i < 10; i++) await client.models.generateContent({ model: MODEL, contents: prompt });
    const { status, body } = await apiError(
      client.models.generateContent({ model: MODEL, contents: prompt }),
    );
    expect(status).toBe(429);
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.message).toContain(
      '* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash\nPlease retry in 30s.',
    );
    const byType = Object.fromEntries(
      (body.error.details ?? []).map((d) => [d['@type'].split('.').pop(), d]),
    );
    expect(byType.QuotaFailure).toMatchObject({
      violations: [
        {
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { location: 'global', model: MODEL },
          quotaValue: '10',
        },
      ],
    });
    // A fixed minute (PROVIDERS.md §4.1): the 11th call at 12:00:30 waits for second 00, not for a refill.
    expect(byType.RetryInfo).toMatchObject({ retryDelay: '30s' });
    expect(byType.Help).toBeDefined();

    const raw = await fetch(`${sim.url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: prompt }] }] }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBeNull();
    expect([...raw.headers.keys()].some((k) => k.startsWith('x-ratelimit'))).toBe(false);
  });

  it('counts input tokens only against TPM, and resets RPD at midnight Pacific time', async () => {
    const { client, clock } = await start({
      keys: { 'AIza-test': { models: { [MODEL]: { tpm: 20, rpd: 3 } } } },
      response: { tokens: 500 },
    });
    // 9 input tokens each; 500 output tokens each would blow a 20 TPM limit if they counted.
    await client.models.generateContent({ model: MODEL, contents: prompt });
    await client.models.generateContent({ model: MODEL, contents: prompt });
    const tpm = await apiError(client.models.generateContent({ model: MODEL, contents: prompt }));
    expect(JSON.stringify(tpm.body)).toContain('GenerateContentInputTokensPerModelPerMinute-FreeTier');
    clock.advance(60_000);
    await client.models.generateContent({ model: MODEL, contents: prompt });
    clock.advance(60_000);
    const rpd = await apiError(client.models.generateContent({ model: MODEL, contents: prompt }));
    expect(JSON.stringify(rpd.body)).toContain('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    // 12:02:30 UTC in May → midnight Pacific daylight time (07:00 UTC) is 18 h 57 min 30 s away.
    const retry = rpd.body.error.details?.find((d) => d['@type'].endsWith('RetryInfo'));
    expect(retry?.retryDelay).toBe(`${18 * 3600 + 57 * 60 + 30}s`);
  });

  it('counts tokens and answers missing keys and bad JSON in Google format', async () => {
    const { client, sim } = await start();
    const counted = await client.models.countTokens({ model: MODEL, contents: prompt });
    expect(counted.totalTokens).toBe(9);
    const anonymous = await fetch(`${sim.url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      body: '{}',
    });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
    const broken = await fetch(`${sim.url}/v1beta/models/${MODEL}:generateContent?key=k`, {
      method: 'POST',
      body: '{"contents": [',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});
