/**
 * Gemini's native API beyond generateContent, through the gateway with
 * `@google/genai` (base URL and key only) in front of the simulator:
 * `models.list` / `models.get` answered from the configured groups,
 * `countTokens` on the tenant's count budget (the deployment is not
 * charged), and embeddings, single and batched, charged on the embedding
 * deployments' buckets. The SDK sends every `embedContent` as
 * `:batchEmbedContents` with `models/{group}` in each request; the
 * simulator refuses a request naming another model than the path, so a
 * success proves the deployment's model went in each.
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, geminiDeployment, KEYS, type Rig, startRig, withGroup } from './helpers.js';

const FLASH = 'gemini-flash';
const EMBED = 'gemini-embed';
const COUNTING = 'AIza-counting-tenant';
let rig: Rig;

beforeAll(async () => {
  rig = await startRig({
    config: (simUrl) => {
      const base = baseConfig(simUrl);
      const embedding = (id: string, rpm: number, tpm: number) => ({
        ...geminiDeployment(id, simUrl, { rpm, tpm }),
        model: 'gemini-embedding-001',
      });
      return withGroup(
        withGroup(
          {
            ...base,
            tiers: { ...base.tiers, counting: { count_tokens_rpm: 2, max_wait_ms: 0 } },
            tenants: [...(base.tenants ?? []), { id: 'counting-co', key: COUNTING, tier: 'counting' }],
          },
          FLASH,
          geminiDeployment('sim-gemini', simUrl, { rpm: 1_000, tpm: 8_000 }),
        ),
        EMBED,
        embedding('embed-small', 20, 4_000),
        embedding('embed-large', 200, 40_000),
      );
    },
  });
});
afterAll(async () => {
  await rig.close();
});

function client(key: string = KEYS.pro): GoogleGenAI {
  return new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: rig.gateway.url } });
}

async function apiError(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

async function used(deployment: string, dimension: 'requests' | 'tokens'): Promise<number> {
  const bucket = rig.gateway.governor.groups.deployment(deployment)?.bucketFor(dimension, 'minute');
  expect(bucket, `${deployment} ${dimension}`).toBeDefined();
  const [snapshot] = await rig.gateway.governor.store.peek(bucket ? [bucket] : []);
  return snapshot?.used ?? 0;
}

describe('Gemini models, countTokens and embeddings through the gateway', () => {
  it('lists the Gemini groups the tenant may call, and gets one, as Gemini Model resources', async () => {
    const names: string[] = [];
    for await (const model of await client().models.list()) names.push(model.name ?? '');
    // Every group Gemini's API reaches: claude-haiku and gpt-4o-mini translated, for chat calls only.
    expect(names).toEqual([
      'models/claude-haiku',
      `models/${EMBED}`,
      `models/${FLASH}`,
      'models/gpt-4o-mini',
    ]);
    const translated = await client().models.get({ model: 'claude-haiku' });
    expect(translated.supportedActions).toEqual(['generateContent', 'streamGenerateContent']);
    const one = await client().models.get({ model: FLASH });
    expect(one.name).toBe(`models/${FLASH}`);
    expect(one.supportedActions).toContain('countTokens');
    const missing = await apiError(client().models.get({ model: 'gpt-9' }));
    expect(missing.status).toBe(404);
    expect(missing.message).toMatch(/NOT_FOUND/);
    const denied = await apiError(client('AIza-not-a-tenant').models.list());
    expect(denied.status).toBe(401);
  });

  it('counts tokens on the tenant’s count budget without charging the deployment, and refuses past it', async () => {
    const requestsBefore = await used('sim-gemini', 'requests');
    const counting = client(COUNTING);
    const ask = () => counting.models.countTokens({ model: FLASH, contents: 'How many tokens is this?' });
    const first = await ask();
    expect(first.totalTokens).toBeGreaterThan(0);
    await ask();
    const refused = await apiError(ask());
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/RESOURCE_EXHAUSTED/);
    expect(await used('sim-gemini', 'requests')).toBe(requestsBefore);
    const line = rig.logs.findLast((l) => l.msg === 'request' && l.status === 200);
    expect(line).toMatchObject({
      tenant: 'counting-co',
      group: FLASH,
      path: '/v1beta/models/{model}:countTokens',
    });
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('embeds one text and a batch with the SDK, charging the input tokens on the deployment', async () => {
    const before = (await used('embed-small', 'tokens')) + (await used('embed-large', 'tokens'));
    const single = await client().models.embedContent({ model: EMBED, contents: 'Rate limits, explained.' });
    expect(single.embeddings).toHaveLength(1);
    expect(single.embeddings?.[0]?.values).toHaveLength(3072);
    const batch = await client().models.embedContent({
      model: EMBED,
      contents: ['first text', 'second text', 'third text'],
      config: { outputDimensionality: 64 },
    });
    expect(batch.embeddings?.map((e) => e.values?.length)).toEqual([64, 64, 64]);
    const after = (await used('embed-small', 'tokens')) + (await used('embed-large', 'tokens'));
    expect(after - before).toBeGreaterThan(0);
    const { per_key } = rig.sim.stats();
    expect(per_key['AIza-upstream']?.['gemini-embedding-001']?.admitted).toBeGreaterThanOrEqual(2);
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });

  it('serves :embedContent as sent by REST clients, in Gemini’s envelope on a refusal', async () => {
    const post = (key: string, body: unknown) =>
      fetch(`${rig.gateway.url}/v1beta/models/${EMBED}:embedContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post(KEYS.pro, { content: { parts: [{ text: 'one text' }] }, outputDimensionality: 8 });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { embedding: { values: number[] } }).embedding.values).toHaveLength(8);
    const huge = await post(KEYS.pro, { content: { parts: [{ text: 'word '.repeat(60_000) }] } });
    expect(huge.status).toBe(429);
    const body = (await huge.json()) as { error: { code: number; status: string } };
    expect(body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  });

  it('spreads a burst of embeddings over both deployments with no upstream 429', async () => {
    const before = rig.sim.stats().rejected;
    const texts = Array.from({ length: 40 }, (_, i) => `text number ${i} about rate limits`);
    const replies = await Promise.all(
      texts.map((t) => client().models.embedContent({ model: EMBED, contents: t })),
    );
    expect(replies.every((r) => r.embeddings?.length === 1)).toBe(true);
    const after = rig.sim.stats().rejected;
    expect(after).toEqual(before);
    const served = rig.logs.filter((l) => l.msg === 'request' && l.group === EMBED && l.status === 200);
    const deployments = new Set(served.map((l) => l.deployment));
    expect(deployments).toEqual(new Set(['embed-small', 'embed-large']));
    expect((await rig.gateway.governor.store.stats()).active).toBe(0);
  });
});
