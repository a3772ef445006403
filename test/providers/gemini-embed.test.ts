/**
 * Gemini's embedding calls as the adapter prices them: input from the text
 * parts (and titles) of one `content` or of every request of a batch,
 * nothing generated; usage only where the answer reports it; a batch's
 * per-request `models/{m}` rewritten to the deployment's model.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/providers/registry.js';

const gemini = createAdapter('gemini');
const text = (t: string) => ({ parts: [{ text: t }] });

describe('Gemini embeddings in the adapter', () => {
  it('prices a batch as the sum of its requests, with no output', () => {
    const one = gemini.estimate(
      'embed_content',
      { content: text('a'.repeat(400)) },
      '/v1beta/models/e:embedContent',
    );
    expect(one.cost.inputTokens).toBeGreaterThan(50);
    expect(one.cost.outputTokens).toBe(0);
    expect(one.cost.requests).toBe(1);
    expect(one.model).toBe('e');
    const batch = gemini.estimate(
      'batch_embed_contents',
      { requests: [1, 2, 3].map(() => ({ model: 'models/e', content: text('a'.repeat(400)) })) },
      '/v1beta/models/e:batchEmbedContents',
    );
    expect(batch.cost.inputTokens).toBe(3 * one.cost.inputTokens);
    expect(batch.cost.requests).toBe(1);
    const titled = gemini.estimate(
      'embed_content',
      { content: text('a'.repeat(400)), title: 'b'.repeat(400) },
      '/v1beta/models/e:embedContent',
    );
    expect(titled.cost.inputTokens).toBeGreaterThan(one.cost.inputTokens);
  });

  it('reads usage only where the answer reports it; a count is no usage', () => {
    expect(gemini.usageFromBody('embed_content', { embedding: { values: [0.1] } })).toBeUndefined();
    expect(gemini.usageFromBody('batch_embed_contents', { embeddings: [{ values: [0.1] }] })).toBeUndefined();
    expect(
      gemini.usageFromBody('embed_content', {
        embedding: { values: [] },
        usageMetadata: { promptTokenCount: 7 },
      }),
    ).toMatchObject({ inputTokens: 7, outputTokens: 0 });
    expect(gemini.usageFromBody('count_tokens', { totalTokens: 12 })).toBeUndefined();
  });

  it('names the deployment model in every request of a batch, and leaves other bodies alone', () => {
    const body = { requests: [{ model: 'models/group', content: text('x') }, { content: text('y') }] };
    expect(gemini.bodyForModel?.('batch_embed_contents', body, 'gemini-embedding-001')).toEqual({
      requests: [{ model: 'models/gemini-embedding-001', content: text('x') }, { content: text('y') }],
    });
    const named = { requests: [{ model: 'models/gemini-embedding-001', content: text('x') }] };
    expect(gemini.bodyForModel?.('batch_embed_contents', named, 'gemini-embedding-001')).toBeUndefined();
    expect(gemini.bodyForModel?.('generate_content', body, 'gemini-embedding-001')).toBeUndefined();
    expect(gemini.bodyForModel?.('batch_embed_contents', { requests: 'nope' }, 'm')).toBeUndefined();
  });

  it('names the deployment model in a count of a whole generateContent request', () => {
    const count = { generateContentRequest: { model: 'models/group', contents: [text('x')] } };
    expect(gemini.bodyForModel?.('count_tokens', count, 'gemini-2.5-flash')).toEqual({
      generateContentRequest: { model: 'models/gemini-2.5-flash', contents: [text('x')] },
    });
    expect(
      gemini.bodyForModel?.('count_tokens', { contents: [text('x')] }, 'gemini-2.5-flash'),
    ).toBeUndefined();
  });
});
