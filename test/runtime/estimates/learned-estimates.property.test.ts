/**
 * The learned estimate (issue 14), over random providers and workloads:
 * - it converges to the provider's prompt ratio within one window (64 calls);
 * - a few outliers (fewer than a tenth of the window) cannot move it, and it
 *   stays within [0.5, 2] whatever is reported;
 * - it never reserves below the provider's admission rule: pricing leaves
 *   the output reservation alone, and OpenAI's rule for a request without
 *   `max_tokens` wins over any learned answer length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costOf } from '../../../src/core/cost.js';
import { createAdapter } from '../../../src/providers/index.js';
import { OPENAI_MAX_OUTPUT_BY_PREFIX } from '../../../src/providers/openai/models.js';
import type { Deployment } from '../../../src/runtime/deployment.js';
import { type EstimateBasis, LearnedEstimates } from '../../../src/runtime/estimates/learned-estimates.js';
import {
  MAX_PROMPT_RATIO,
  MIN_PROMPT_RATIO,
  PROMPT_RATIO_WINDOW,
} from '../../../src/runtime/estimates/prompt-ratio.js';

const WHO = { group: 'g', tenant: 't' };
/** Learning is keyed on the deployment object; nothing else of it is read. */
const deployment = () => ({}) as Deployment;
const basis = (input: number, output = 100): EstimateBasis => ({
  cost: costOf(input, output),
  estimated: true,
});

const ratio = fc.double({ min: MIN_PROMPT_RATIO, max: MAX_PROMPT_RATIO, noNaN: true });
const prompts = fc.array(fc.integer({ min: 16, max: 20_000 }), {
  minLength: PROMPT_RATIO_WINDOW,
  maxLength: 3 * PROMPT_RATIO_WINDOW,
});

describe('learned prompt ratio (property-based)', () => {
  it('converges to the provider ratio within one window, and then reserves at least what it reports', () => {
    fc.assert(
      fc.property(ratio, prompts, fc.double({ min: 0, max: 0.05, noNaN: true }), (k, sizes, spread) => {
        const learned = new LearnedEstimates();
        const d = deployment();
        sizes.forEach((size, i) => {
          // A provider that counts k × ours, give or take `spread` (alternating), rounded as counts are.
          const wobble = 1 + (i % 2 === 0 ? spread : -spread);
          learned.learn(d, basis(size), { inputTokens: Math.ceil(k * size * wobble), outputTokens: 5 }, WHO);
        });
        const r = learned.promptRatio(d);
        const bound = (x: number) => Math.min(MAX_PROMPT_RATIO, Math.max(MIN_PROMPT_RATIO, x));
        expect(r).toBeGreaterThanOrEqual(bound(k * (1 - spread)) - 1e-9);
        expect(r).toBeLessThanOrEqual(bound(k * (1 + spread)) + 1 / 16 + 1e-9);
        // Priced at p90, the next call of any size reserves at least the provider's high side.
        const next = learned.price(d, basis(1_000)).inputTokens;
        expect(next).toBeGreaterThanOrEqual(Math.floor(bound(k * (1 + spread)) * 1_000) - 1);
      }),
    );
  });

  it('ignores fewer than a tenth of outliers and stays within [0.5, 2]', () => {
    const outlier = fc.oneof(fc.double({ min: 0, max: 0.1, noNaN: true }), fc.double({ min: 10, max: 1e6 }));
    fc.assert(
      fc.property(
        ratio,
        fc.array(fc.tuple(fc.nat(PROMPT_RATIO_WINDOW - 1), outlier), { maxLength: 6 }),
        (k, outliers) => {
          const learned = new LearnedEstimates();
          const d = deployment();
          const at = new Map(outliers);
          for (let i = 0; i < PROMPT_RATIO_WINDOW; i++) {
            const factor = at.get(i) ?? k;
            learned.learn(
              d,
              basis(1_000),
              { inputTokens: Math.max(1, Math.round(factor * 1_000)), outputTokens: 1 },
              WHO,
            );
          }
          const r = learned.promptRatio(d);
          expect(r).toBeGreaterThanOrEqual(MIN_PROMPT_RATIO);
          expect(r).toBeLessThanOrEqual(MAX_PROMPT_RATIO);
          if (at.size > 0) expect(Math.abs(r - k)).toBeLessThanOrEqual(0.001 + 0.5 / 1_000);
        },
      ),
    );
  });

  it('never changes the output reservation, and never learns from refusals or caller-named costs', () => {
    fc.assert(
      fc.property(ratio, fc.nat(100_000), fc.nat(200_000), (k, input, output) => {
        const learned = new LearnedEstimates();
        const d = deployment();
        learned.learn(d, basis(1_000), { inputTokens: Math.ceil(k * 1_000), outputTokens: 3 }, WHO);
        expect(learned.price(d, basis(input, output)).outputTokens).toBe(output);
        const before = learned.promptRatio(d);
        // A 429 settles with zero usage; a schedule() call carries its own cost.
        learned.learn(d, basis(1_000), { inputTokens: 0, outputTokens: 0 }, WHO);
        learned.learn(
          d,
          { cost: costOf(10, 0), estimated: false },
          { inputTokens: 10_000, outputTokens: 0 },
          WHO,
        );
        expect(learned.promptRatio(d)).toBe(before);
        expect(learned.price(d, { cost: costOf(input, output), estimated: false })).toEqual(
          costOf(input, output),
        );
      }),
    );
  });

  it("OpenAI: a request without max_tokens reserves the model's maximum whatever length was learned", () => {
    const openai = createAdapter('openai');
    const models = Object.keys(OPENAI_MAX_OUTPUT_BY_PREFIX);
    fc.assert(
      fc.property(
        fc.constantFrom(...models),
        fc.integer({ min: 1, max: 1_000_000 }),
        (model, learnedLength) => {
          const body = { model, messages: [{ role: 'user', content: 'hi' }] };
          const { cost } = openai.estimate('chat_completions', body, '/v1/chat/completions', {
            defaultMaxOutputTokens: learnedLength,
          });
          expect(cost.outputTokens).toBe(OPENAI_MAX_OUTPUT_BY_PREFIX[model]);
        },
      ),
    );
  });

  it("OpenAI and Azure: never reserve a prompt below the limiter's character estimate, whatever was learned", () => {
    const providers = ['openai', 'azure'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...providers),
        // Long words: fewer tokens than characters / 4, where the tokenizer alone would under-reserve.
        fc.array(fc.constantFrom('internationalization ', 'characteristically ', 'the ', 'a '), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.double({ min: MIN_PROMPT_RATIO, max: MAX_PROMPT_RATIO, noNaN: true }),
        (provider, words, k) => {
          const content = words.join('');
          const adapter = createAdapter(provider);
          const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 10 };
          const estimate = adapter.estimate(
            'chat_completions',
            body,
            '/openai/deployments/gpt-4o-mini/chat/completions',
          );
          const floor = Math.ceil(('user'.length + content.length) / 4);
          expect(estimate.inputFloor).toBe(floor);
          const learned = new LearnedEstimates();
          const d = deployment();
          const b: EstimateBasis = { cost: estimate.cost, estimated: true, inputFloor: estimate.inputFloor };
          expect(learned.price(d, b).inputTokens).toBeGreaterThanOrEqual(floor);
          // A provider reporting k × our count for a window of calls moves the estimate, never below the floor.
          for (let i = 0; i < PROMPT_RATIO_WINDOW; i++)
            learned.learn(
              d,
              b,
              { inputTokens: Math.ceil(k * estimate.cost.inputTokens), outputTokens: 1 },
              WHO,
            );
          expect(learned.price(d, b).inputTokens).toBeGreaterThanOrEqual(floor);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('Anthropic and Gemini charge no character floor (their limits count their own tokens)', () => {
    for (const provider of ['anthropic', 'gemini'] as const) {
      const body = {
        model: 'm',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'internationalization '.repeat(50) }],
      };
      expect(createAdapter(provider).estimate('messages', body, '/v1/messages').inputFloor).toBeUndefined();
    }
  });

  it('is off with learn: false', () => {
    const learned = new LearnedEstimates({ learn: false });
    const d = deployment();
    learned.learn(d, basis(1_000), { inputTokens: 1_400, outputTokens: 10 }, WHO);
    expect(learned.price(d, basis(1_000))).toEqual(basis(1_000).cost);
    expect(learned.outputFor('g', 't')).toBeUndefined();
  });
});

describe('cached prefixes and answer lengths', () => {
  const prefix = { key: 'p1', inputTokens: 9_000 };
  const cached = (input: number): EstimateBasis => ({ ...basis(input), cachedPrefix: prefix });

  it('admits a cached prompt on its uncached part once reads were seen, never below the part after the prefix', () => {
    const learned = new LearnedEstimates();
    const d = deployment();
    expect(learned.price(d, cached(10_000)).inputTokens).toBe(10_000);
    // The first call writes the cache (all charged): the next one will read what it wrote.
    const write = { inputTokens: 10_000, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 9_000 };
    learned.learn(d, cached(10_000), write, WHO);
    expect(learned.price(d, cached(10_000)).inputTokens).toBe(1_000);
    for (let i = 0; i < 16; i++)
      learned.learn(d, cached(10_000), { inputTokens: 1_000, outputTokens: 5, cacheReadTokens: 9_000 }, WHO);
    expect(learned.promptRatio(d)).toBe(1);
    expect(learned.price(d, cached(10_000)).inputTokens).toBe(1_000);
    // Another prefix has taught nothing yet.
    expect(
      learned.price(d, { ...basis(10_000), cachedPrefix: { key: 'p2', inputTokens: 9_000 } }).inputTokens,
    ).toBe(10_000);
  });

  it('learns the prompt ratio, not the answer length, from a stream cut after its first usage event', () => {
    const learned = new LearnedEstimates();
    const d = deployment();
    for (let i = 0; i < 8; i++) learned.learnPrompt(d, basis(1_000), { inputTokens: 1_300, outputTokens: 1 });
    expect(learned.promptRatio(d)).toBeCloseTo(1.3, 9);
    expect(learned.outputFor('g', 't')).toBeUndefined();
  });

  it('learns answer lengths per group and tenant after 8 answers (p95)', () => {
    const learned = new LearnedEstimates();
    const d = deployment();
    for (let i = 1; i <= 7; i++)
      learned.learn(d, basis(100), { inputTokens: 100, outputTokens: i * 10 }, WHO);
    expect(learned.outputFor('g', 't')).toBeUndefined();
    learned.learn(d, basis(100), { inputTokens: 100, outputTokens: 80 }, WHO);
    expect(learned.outputFor('g', 't')).toBe(80);
    expect(learned.outputFor('g', 'other')).toBeUndefined();
  });
});
