import { describe, expect, it } from 'vitest';
import { primeTarget, primingPromptTokens } from '../../src/bench/prime.js';
import { startBenchSimulator } from '../../src/bench/provider.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { directTarget } from '../../src/bench/targets/direct.js';

function scenarioWith(multiplier: number) {
  return parseScenario(
    {
      duration: '10s',
      provider: {
        limits: { rpm: 5000, tpm: 60_000 },
        latency: { ttft_ms: 0, per_token_ms: 0 },
        prompt_token_multiplier: multiplier,
      },
      arrival: { process: 'steady', rate: 1 },
      prompt_tokens: 500,
      output_tokens: 50,
      max_tokens: 100,
      tenants: [{ name: 't1', share: 1 }],
      priorities: { normal: 1 },
    },
    'test',
    'prime',
  );
}

describe('priming', () => {
  it('sizes its prompts in our tokens so the provider, counting k ×, is charged the budget', () => {
    expect(primingPromptTokens(60_000, 1)).toBe(5985);
    expect(primingPromptTokens(60_000, 1.3)).toBe(Math.floor(6000 / 1.3) - 15);
    expect(primingPromptTokens(60_000, 0.7)).toBe(Math.floor(6000 / 0.7) - 15);
  });

  for (const k of [0.7, 1, 1.3]) {
    it(`spends the provider's bucket to its slack and draws no 429 when it counts prompts × ${k}`, async () => {
      const scenario = scenarioWith(k);
      const provider = await startBenchSimulator(scenario);
      try {
        const target = await directTarget({
          scenario,
          providerBaseUrl: provider.baseUrl,
          apiKey: provider.apiKey,
          keys: provider.keys,
          now: () => 0,
        });
        await primeTarget(target, scenario);
        const stats = provider.stats?.() as {
          requests: number;
          rejected: Record<string, number>;
          tokens: { input: number; output: number };
        };
        expect(Object.values(stats.rejected).reduce((a, b) => a + b, 0)).toBe(0);
        expect(stats.requests).toBe(10);
        const charged = stats.tokens.input + stats.tokens.output;
        // Direct targets spend all but the 0.5 % slack; the rest is framing and rounding.
        expect(charged).toBeLessThanOrEqual(60_000 * 0.995);
        expect(charged).toBeGreaterThan(60_000 * 0.99);
      } finally {
        await provider.close();
      }
    });
  }
});
