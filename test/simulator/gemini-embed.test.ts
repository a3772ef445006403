/**
 * The simulator's Gemini embeddings and model list with `@google/genai`
 * (the SDK sends `embedContent` as `:batchEmbedContents`) and as raw REST
 * calls: vector sizes, the batch's per-request model check, the input
 * counted against TPM, and `models.list` / `models.get`.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';

const EMBED = 'gemini-embedding-001';
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(limits?: { rpm: number; tpm: number }) {
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 30));
  sim = await startSimulator({
    clock,
    ...(limits && { keys: { 'AIza-test': { models: { [EMBED]: limits } } } }),
  });
  const client = new GoogleGenAI({ apiKey: 'AIza-test', httpOptions: { baseUrl: sim.url } });
  return { sim, client };
}

function post(url: string, verb: string, body: unknown) {
  return fetch(`${url}/v1beta/models/${EMBED}:${verb}`, {
    method: 'POST',
    headers: { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('Gemini embeddings and models in the simulator', () => {
  it('embeds with the SDK, one text or many, at the asked dimensionality, the same text to the same vector', async () => {
    const { client } = await start();
    const one = await client.models.embedContent({ model: EMBED, contents: 'hello' });
    expect(one.embeddings?.[0]?.values).toHaveLength(3072);
    const many = await client.models.embedContent({
      model: EMBED,
      contents: ['hello', 'world'],
      config: { outputDimensionality: 32 },
    });
    expect(many.embeddings?.map((e) => e.values?.length)).toEqual([32, 32]);
    const again = await client.models.embedContent({
      model: EMBED,
      contents: ['hello'],
      config: { outputDimensionality: 32 },
    });
    expect(again.embeddings?.[0]?.values).toEqual(many.embeddings?.[0]?.values);
    const full = await client.models.embedContent({
      model: EMBED,
      contents: ['What is the capital of France?', "what's the capital of france", 'Write a poem about cats'],
    });
    const [q, rewording, other] = (full.embeddings ?? []).map((e) => e.values ?? []);
    const dot = (x: number[] = [], y: number[] = []) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    expect(dot(q, rewording)).toBeGreaterThan(0.9);
    expect(dot(q, other)).toBeLessThan(0.3);
  });

  it('answers :embedContent with one embedding and refuses a batch naming another model', async () => {
    const { sim } = await start();
    const ok = await post(sim.url, 'embedContent', { content: { parts: [{ text: 'hello' }] } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { embedding: { values: number[] } }).embedding.values).toHaveLength(3072);
    const mismatch = await post(sim.url, 'batchEmbedContents', {
      requests: [{ model: 'models/other-model', content: { parts: [{ text: 'hello' }] } }],
    });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
    const tooMany = await post(sim.url, 'batchEmbedContents', {
      requests: Array.from({ length: 101 }, () => ({
        model: `models/${EMBED}`,
        content: { parts: [{ text: 'x' }] },
      })),
    });
    expect(tooMany.status).toBe(400);
  });

  it('counts the embedded input against TPM and refuses past it with RESOURCE_EXHAUSTED', async () => {
    const { sim, client } = await start({ rpm: 100, tpm: 30 });
    // 80 characters → 20 tokens: the first fits, the second does not.
    await client.models.embedContent({ model: EMBED, contents: 'a'.repeat(80) });
    expect(sim.stats().tokens.input).toBe(20);
    const refused = await client.models.embedContent({ model: EMBED, contents: 'a'.repeat(80) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(429);
  });

  it('counts a whole generateContentRequest as it counts contents', async () => {
    const { sim } = await start();
    const contents = [{ role: 'user', parts: [{ text: 'a'.repeat(80) }] }];
    const count = (body: unknown) =>
      fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:countTokens`, {
        method: 'POST',
        headers: { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ totalTokens: number }>);
    const plain = await count({ contents });
    const whole = await count({ generateContentRequest: { model: 'models/gemini-2.5-flash', contents } });
    expect(plain.totalTokens).toBe(20);
    expect(whole.totalTokens).toBe(20);
  });

  it('lists models and gets one, 404 for a model it does not know', async () => {
    const { client } = await start();
    const names: string[] = [];
    for await (const model of await client.models.list()) names.push(model.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/gemini-2.5-flash', `models/${EMBED}`]));
    const embed = await client.models.get({ model: EMBED });
    expect(embed.supportedActions).toContain('embedContent');
    const missing = await client.models.get({ model: 'no-such-model' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((missing as ApiError).status).toBe(404);
  });
});
