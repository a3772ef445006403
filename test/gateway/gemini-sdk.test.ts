/**
 * Google's `@google/genai` pointed at the gateway (base URL and key only)
 * in front of the simulator's Gemini flavour: generateContent plain and
 * streamed, settlement from `usageMetadata`, and the gateway's own answers
 * in Gemini's error envelope, raised by the SDK as its `ApiError`.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, geminiDeployment, KEYS, type Rig, startRig, withGroup } from './helpers.js';

const GROUP = 'gemini-flash';
let rig: Rig;
beforeAll(async () => {
  rig = await startRig({
    config: (simUrl) =>
      withGroup(
        baseConfig(simUrl),
        GROUP,
        geminiDeployment('sim-gemini', simUrl, { rpm: 1_000, tpm: 8_000 }),
      ),
  });
});
afterAll(async () => {
  await rig.close();
});

function client(key: string = KEYS.pro): GoogleGenAI {
  return new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: rig.gateway.url } });
}

const prompt = 'Explain rate limits in one sentence.';

async function apiError(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('Gemini native API through the gateway', () => {
  it('answers generateContent and settles with the usageMetadata Gemini reports', async () => {
    const before = await rig.gateway.governor.store.stats();
    const reply = await client().models.generateContent({
      model: GROUP,
      contents: prompt,
      config: { maxOutputTokens: 400 },
    });
    expect(reply.text?.split(' ')).toHaveLength(8);
    expect(reply.usageMetadata?.candidatesTokenCount).toBe(8);
    const line = rig.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({
      tenant: 'pro-co',
      group: GROUP,
      deployment: 'sim-gemini',
      output_tokens: 8,
      status: 200,
    });
    const after = await rig.gateway.governor.store.stats();
    expect(after.settled - before.settled).toBe(1);
    expect(after.active).toBe(0);
  });

  it('streams chunks as they arrive and settles from the last usageMetadata', async () => {
    const stream = await client().models.generateContentStream({
      model: GROUP,
      contents: prompt,
      config: { maxOutputTokens: 400 },
    });
    let text = '';
    let output: number | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      output = chunk.usageMetadata?.candidatesTokenCount ?? output;
    }
    expect(text.trim().split(' ')).toHaveLength(8);
    expect(output).toBe(8);
    const line = rig.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({ group: GROUP, stream: true, output_tokens: 8, status: 200 });
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('answers an unknown key, and a request larger than the whole limit, in Gemini’s envelope', async () => {
    const denied = await apiError(
      client('AIza-not-a-tenant').models.generateContent({ model: GROUP, contents: prompt }),
    );
    expect(denied.status).toBe(401);
    const before = rig.sim.stats().requests;
    const tooLarge = await apiError(
      client().models.generateContent({ model: GROUP, contents: prompt, config: { maxOutputTokens: 9_000 } }),
    );
    expect(tooLarge.status).toBe(429);
    expect(tooLarge.message).toMatch(/RESOURCE_EXHAUSTED/);
    expect(rig.sim.stats().requests).toBe(before);
  });

  it('refuses a Gemini embedding call for a group that speaks another API (only chat calls cross)', async () => {
    const wrong = await apiError(client().models.embedContent({ model: 'gpt-4o-mini', contents: prompt }));
    expect(wrong.status).toBe(404);
    expect(wrong.message).toMatch(/OpenAI API, not the Gemini API/);
  });

  it('answers a Gemini path it does not serve in Gemini’s envelope', async () => {
    const response = await fetch(`${rig.gateway.url}/v1beta/models/${GROUP}:predict`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEYS.pro, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: number; status: string } };
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });

  it('repeats the HTTP status it answers with as the error’s code, also where Google has no such status', async () => {
    const post = (headers: Record<string, string>, body: string | Uint8Array) =>
      fetch(`${rig.gateway.url}/v1beta/models/${GROUP}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': KEYS.pro, 'content-type': 'application/json', ...headers },
        body,
      });
    const unsupported = await post({ 'content-encoding': 'constructor' }, '{}');
    expect(unsupported.status).toBe(415);
    expect(((await unsupported.json()) as { error: { code: number } }).error.code).toBe(415);
    const tooLarge = await post({}, JSON.stringify({ contents: 'x'.repeat(11 * 1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: number; status: string } }).error).toMatchObject({
      code: 413,
      status: 'INVALID_ARGUMENT',
    });
  });
});
