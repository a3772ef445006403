/**
 * The semantic response cache through the gateway, with the openai SDK and
 * the simulator, whose embeddings are bag-of-words vectors (a rewording is
 * close, an unrelated question far): a paraphrase of a cached question is
 * answered from its entry, an unrelated one and one under another system
 * prompt are not; the embedding is a governed call of its own.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { baseConfig, rigsClosedAfterEach, simOpenAiDeployment } from './helpers.js';

const startRig = rigsClosedAfterEach();

function rig() {
  return startRig({
    config: (simUrl) =>
      baseConfig(simUrl, {
        model_groups: {
          'support-bot': {
            deployments: [simOpenAiDeployment(simUrl)],
            cache: { mode: 'semantic', ttl_s: 600, similarity: 0.9, embeddings: 'embed' },
          },
          embed: {
            deployments: [
              {
                id: 'sim-embed',
                provider: 'openai',
                base_url: `${simUrl}/v1`,
                api_key: 'sk-upstream',
                model: 'text-embedding-3-small',
              },
            ],
          },
        },
      }),
  });
}

async function ask(client: OpenAI, question: string, system = 'You answer geography questions.') {
  const { data, response } = await client.chat.completions
    .create({
      model: 'support-bot',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: question },
      ],
      max_tokens: 20,
    })
    .withResponse();
  return { text: data.choices[0]?.message.content, cache: response.headers.get('x-sluice-cache') };
}

describe('the semantic response cache through the gateway', () => {
  it('answers a paraphrase from the cached question, never an unrelated question or another system prompt', async () => {
    const r = await rig();
    const client = r.openai();
    const first = await ask(client, 'What is the capital city of France?');
    expect(first.cache).toBe('miss');
    const paraphrase = await ask(client, 'what is the capital city of france');
    expect(paraphrase).toEqual({ text: first.text, cache: 'hit' });
    expect((await ask(client, 'How long should bread dough rise before baking?')).cache).toBe('miss');
    expect((await ask(client, 'What is the capital city of France?', 'You answer in French.')).cache).toBe(
      'miss',
    );
    // Each lookup that missed the exact entry embedded its question through the `embed` group, governed.
    const stats = r.sim.stats();
    expect(stats.per_key['sk-upstream']?.['text-embedding-3-small']?.admitted).toBe(4);
    expect(stats.per_key['sk-upstream']?.['gpt-4o-mini']?.admitted).toBe(3);
    const metrics = await (await fetch(r.gateway.metricsUrl as string)).text();
    expect(metrics).toMatch(/sluice_cache_similarity_count\{group="support-bot"\} 1/);
    expect(metrics).toContain(
      'sluice_cache_requests_total{group="support-bot",tenant="pro-co",outcome="hit"} 1',
    );
  });
});
