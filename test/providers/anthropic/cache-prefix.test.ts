/**
 * The cachable prefix an Anthropic estimate names (PROVIDERS.md §3.2): the
 * prompt up to its last `cache_control` breakpoint, keyed on its content,
 * offered only for models whose ITPM does not count cache reads.
 */
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../../src/providers/index.js';

const anthropic = createAdapter('anthropic');
const longSystem = 'You are a careful assistant. '.repeat(400);
const system = (text: string, cached = true) => [
  { type: 'text', text, ...(cached && { cache_control: { type: 'ephemeral' } }) },
];
const request = (model: string, question: string, cached = true) => ({
  model,
  max_tokens: 100,
  system: system(longSystem, cached),
  messages: [{ role: 'user', content: question }],
});
const estimate = (body: object) => anthropic.estimate('messages', body, '/v1/messages');

describe('Anthropic cached prefix', () => {
  it('names the prefix up to the last breakpoint: same key for the same prefix, its tokens within the prompt', () => {
    const a = estimate(request('claude-sonnet-4-6', 'What is a token?'));
    const b = estimate(request('claude-sonnet-4-6', 'And a bucket, what is that, in a few words?'));
    expect(a.cachedPrefix).toBeDefined();
    expect(a.cachedPrefix?.key).toBe(b.cachedPrefix?.key);
    expect(a.cachedPrefix?.inputTokens).toBe(Math.ceil(longSystem.length / 4));
    expect(a.cost.inputTokens).toBeGreaterThan(a.cachedPrefix?.inputTokens ?? Number.POSITIVE_INFINITY);
    const other = estimate({ ...request('claude-sonnet-4-6', 'x'), system: system('Other.') });
    expect(other.cachedPrefix?.key).not.toBe(a.cachedPrefix?.key);
  });

  it('is absent without a breakpoint, and for models whose ITPM counts cache reads', () => {
    expect(estimate(request('claude-sonnet-4-6', 'q', false)).cachedPrefix).toBeUndefined();
    expect(estimate(request('claude-3-5-haiku-20241022', 'q')).cachedPrefix).toBeUndefined();
  });
});
