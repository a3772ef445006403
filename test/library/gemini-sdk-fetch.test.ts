/**
 * `@google/genai` with `httpOptions.fetch: governor.fetch`, pointed at the
 * simulator's Gemini flavour: `countTokens` on the tenant's count budget
 * (refused past it, in Gemini's envelope, with nothing sent upstream),
 * embeddings single and batched charged on the deployment's buckets, and
 * the model list and model passed to the provider as `governor.fetch` does
 * for every API (the app holds the provider's key, so the provider's list
 * is the one it can call).
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const FLASH = 'gemini-2.5-flash';
const EMBED = 'gemini-embedding-001';

function config(sim: Simulator) {
  const deployment = (model: string, limits: { rpm: number; tpm: number }) => ({
    deployments: [{ id: `sim-${model}`, provider: 'gemini' as const, base_url: sim.url, model, limits }],
  });
  return {
    model_groups: {
      [FLASH]: deployment(FLASH, { rpm: 1_000, tpm: 8_000 }),
      [EMBED]: deployment(EMBED, { rpm: 1_000, tpm: 2_000 }),
    },
    tiers: { counting: { count_tokens_rpm: 2, max_wait_ms: 0 } },
    tenants: [{ id: 'default', tier: 'counting' }],
  };
}

function genai(sim: Simulator, fetch: typeof globalThis.fetch): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'AIza-test', httpOptions: { baseUrl: sim.url, fetch } });
}

async function apiError(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('@google/genai through governor.fetch', () => {
  it('counts tokens on the count budget, not the deployment’s, and refuses past it before the provider', async () => {
    const sim = await simulator({});
    const g = governor(config(sim));
    const client = genai(sim, g.fetch);
    const ask = () => client.models.countTokens({ model: FLASH, contents: 'How many tokens is this?' });
    expect((await ask()).totalTokens).toBeGreaterThan(0);
    await ask();
    const refused = await apiError(ask());
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/RESOURCE_EXHAUSTED/);
    expect(sim.stats().requests).toBe(2);
    const rpm = g.governor.groups.deployment(`sim-${FLASH}`)?.bucketFor('requests', 'minute');
    const [snapshot] = await g.governor.store.peek(rpm ? [rpm] : []);
    expect(snapshot?.used).toBe(0);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('charges single and batched embeddings on the deployment and refuses a batch larger than its limit', async () => {
    const sim = await simulator({});
    const g = governor(config(sim));
    const client = genai(sim, g.fetch);
    const one = await client.models.embedContent({ model: EMBED, contents: 'Rate limits, explained.' });
    expect(one.embeddings?.[0]?.values).toHaveLength(3072);
    const batch = await client.models.embedContent({
      model: EMBED,
      contents: ['one', 'two', 'three', 'four'],
      config: { outputDimensionality: 16 },
    });
    expect(batch.embeddings?.map((e) => e.values?.length)).toEqual([16, 16, 16, 16]);
    const tpm = g.governor.groups.deployment(`sim-${EMBED}`)?.bucketFor('tokens', 'minute');
    const [snapshot] = await g.governor.store.peek(tpm ? [tpm] : []);
    // The estimate stands (the answer reports no usage); the simulator counts the same characters.
    const counted = sim.stats().tokens.input;
    expect(counted).toBeGreaterThan(0);
    expect(snapshot?.used).toBeGreaterThanOrEqual(counted - 2);
    const tooLarge = await apiError(
      client.models.embedContent({
        model: EMBED,
        contents: Array.from({ length: 10 }, () => 'word '.repeat(400)),
      }),
    );
    expect(tooLarge.status).toBe(429);
    expect(sim.stats().requests).toBe(2);
    expect((await g.governor.store.stats()).active).toBe(0);
  });

  it('passes the model list and a model to the provider, as for OpenAI and Anthropic', async () => {
    const sim = await simulator({});
    const g = governor(config(sim));
    const client = genai(sim, g.fetch);
    const names: string[] = [];
    for await (const model of await client.models.list()) names.push(model.name ?? '');
    expect(names).toContain(`models/${FLASH}`);
    expect(names).toContain(`models/${EMBED}`);
    const flash = await client.models.get({ model: FLASH });
    expect(flash.supportedActions).toContain('generateContent');
  });
});
