/**
 * The list prices a deployment without a `price` gets (issue 21): each
 * model the provider notes name, its dated snapshots, Azure and Gemini
 * spellings; none for a model the table does not know (or a different
 * model sharing a prefix); and a deployment's own price always wins.
 */
import { describe, expect, it } from 'vitest';
import { priceOf } from '../../src/config/to-topology.js';
import { listPriceOf } from '../../src/providers/list-prices.js';

describe('list prices', () => {
  it.each([
    ['gpt-4o', 2.5, 10],
    ['gpt-4o-2024-08-06', 2.5, 10],
    ['gpt-4o-mini', 0.15, 0.6],
    ['gpt-4o-mini-2024-07-18', 0.15, 0.6],
    ['gpt-4.1', 2, 8],
    ['gpt-5', 1.25, 10],
    ['o3', 2, 8],
    ['o4-mini', 1.1, 4.4],
    ['claude-sonnet-4-6', 3, 15],
    ['claude-sonnet-4-20250514', 3, 15],
    ['claude-opus-4-6', 5, 25],
    ['claude-opus-4-1-20250805', 15, 75],
    ['claude-haiku-4-5', 1, 5],
    ['claude-3-5-haiku-latest', 0.8, 4],
    ['gemini-2.5-flash', 0.3, 2.5],
    ['models/gemini-2.5-flash', 0.3, 2.5],
    ['gemini-2.5-flash-lite', 0.1, 0.4],
    ['gemini-2.5-pro', 1.25, 10],
  ])('%s: $%s in, $%s out per million', (model, input, output) => {
    expect(listPriceOf(model)).toMatchObject({ inputPerMTok: input, outputPerMTok: output });
  });

  it('knows nothing of other models, even those sharing a prefix', () => {
    for (const model of ['o3-pro', 'gpt-4o-realtime-preview', 'gpt-oss-120b', 'llama-3', 'claude-2'])
      expect(listPriceOf(model)).toBeUndefined();
  });

  it('prices cache reads and Anthropic’s cache writes at their own rates', () => {
    expect(listPriceOf('claude-sonnet-4-6')).toEqual({
      inputPerMTok: 3,
      outputPerMTok: 15,
      cachedInputPerMTok: 0.3,
      cacheWritePerMTok: 3.75,
    });
    expect(listPriceOf('gpt-4.1')?.cacheWritePerMTok).toBeUndefined();
  });

  it('yields to a deployment’s own price', () => {
    expect(priceOf({ model: 'gpt-4o', price: { input_per_mtok: 1, output_per_mtok: 2 } })).toEqual({
      inputPerMTok: 1,
      outputPerMTok: 2,
    });
    expect(priceOf({ model: 'gpt-4o' })).toMatchObject({ inputPerMTok: 2.5 });
    expect(priceOf({ model: 'my-finetune' })).toBeUndefined();
  });

  it('takes the configuration’s `prices` row of a model over its list price, and under a deployment’s own', () => {
    const prices = { 'gpt-4o': { input_per_mtok: 2, output_per_mtok: 8, cached_input_per_mtok: 1 } };
    expect(priceOf({ model: 'gpt-4o' }, prices)).toEqual({
      inputPerMTok: 2,
      outputPerMTok: 8,
      cachedInputPerMTok: 1,
    });
    expect(
      priceOf({ model: 'my-finetune' }, { 'my-finetune': { input_per_mtok: 5, output_per_mtok: 5 } }),
    ).toEqual({
      inputPerMTok: 5,
      outputPerMTok: 5,
    });
    expect(
      priceOf({ model: 'gpt-4o', price: { input_per_mtok: 1, output_per_mtok: 2 } }, prices),
    ).toMatchObject({
      inputPerMTok: 1,
    });
  });
});
