/**
 * The spillover tally (issue 15) fed with governor events: calls on
 * admission, delivered tokens and their cost on settle, split by the
 * deployment's capacity, and the on-demand share per requested group.
 */
import { describe, expect, it } from 'vitest';
import { costOf } from '../../src/core/cost.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import { costUsd, SpilloverTally, shareOf, termsByDeployment } from '../../src/runtime/spillover.js';
import { settledEvent } from './events-kit.js';

const TOPOLOGY = {
  modelGroups: {
    g: {
      deployments: [
        {
          id: 'ptu',
          provider: 'azure' as const,
          baseUrl: 'https://ptu.example',
          model: 'gpt-4o',
          capacity: 'reserved' as const,
          price: { inputPerMTok: 1, outputPerMTok: 4 },
        },
        { id: 'paygo', provider: 'openai' as const, baseUrl: 'https://paygo.example', model: 'gpt-4o' },
      ],
    },
  },
};

function tally() {
  const terms = termsByDeployment(TOPOLOGY);
  const t = new SpilloverTally({ termsOf: (d) => terms.get(d) });
  const observer = t.observer() as GovernorEvents;
  const call = (deployment: string, group = 'g', usage = { inputTokens: 1_000, outputTokens: 200 }) => {
    observer.admitted({
      tenant: 'acme',
      priority: 'normal',
      group,
      deployment,
      waitedMs: 0,
      cost: costOf(1, 1),
    });
    observer.settled(settledEvent({ group, deployment, delivered: usage, usage }));
  };
  return { t, call };
}

describe('SpilloverTally', () => {
  it('splits calls, tokens and cost by capacity and gives the on-demand share', () => {
    const { t, call } = tally();
    t.declare('g', ['ptu', 'paygo']);
    expect(t.report()[0]?.spilloverShare).toBeNull();
    for (let i = 0; i < 15; i++) call('ptu');
    for (let i = 0; i < 5; i++) call('paygo');
    const [g] = t.report();
    expect(g).toEqual({
      group: 'g',
      reserved: {
        calls: 15,
        inputTokens: 15_000,
        outputTokens: 3_000,
        costUsd: expect.closeTo((15 * 1_800) / 1e6, 12),
      },
      // No price on the on-demand deployment: its tokens count, its cost is unknown.
      onDemand: { calls: 5, inputTokens: 5_000, outputTokens: 1_000, costUsd: null },
      spilloverShare: 0.25,
      deployments: [
        {
          deployment: 'ptu',
          capacity: 'reserved',
          calls: 15,
          inputTokens: 15_000,
          outputTokens: 3_000,
          costUsd: expect.closeTo((15 * 1_800) / 1e6, 12),
        },
        {
          deployment: 'paygo',
          capacity: 'on_demand',
          calls: 5,
          inputTokens: 5_000,
          outputTokens: 1_000,
          costUsd: null,
        },
      ],
    });
  });

  it('counts a fallback group’s calls for the group asked for, and an unknown deployment as on-demand', () => {
    const { t, call } = tally();
    call('ptu', 'mini');
    call('retired', 'mini');
    const [mini] = t.report();
    expect(mini?.group).toBe('mini');
    expect(mini?.reserved.calls).toBe(1);
    expect(mini?.deployments.find((d) => d.deployment === 'retired')).toMatchObject({
      capacity: 'on_demand',
      costUsd: null,
    });
  });

  it('prices every prompt token the provider read, cached ones included, at the input price', () => {
    const price = { inputPerMTok: 3, outputPerMTok: 15 };
    // OpenAI: `cached_tokens` are part of `prompt_tokens`.
    expect(costUsd({ inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 800 }, price)).toBeCloseTo(
      0.0045,
      12,
    );
    // Anthropic: cache reads are outside `input_tokens`; `promptTokens` is the whole prompt.
    expect(
      costUsd({ inputTokens: 200, outputTokens: 100, cacheReadTokens: 800, promptTokens: 1_000 }, price),
    ).toBeCloseTo(0.0045, 12);
    expect(shareOf(0, 0)).toBeNull();
    expect(shareOf(3, 1)).toBe(0.25);
  });

  it('prices cache reads and writes at their own rates where the price names them', () => {
    // Anthropic-like: reads at 10 % of input, writes at 125 %.
    const price = { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3, cacheWritePerMTok: 3.75 };
    // 1,000 prompt tokens: 800 read from the cache, 100 written to it, 100 fresh; 100 output.
    const usage = {
      inputTokens: 100,
      outputTokens: 100,
      cacheReadTokens: 800,
      cacheWriteTokens: 100,
      promptTokens: 1_000,
    };
    expect(costUsd(usage, price)).toBeCloseTo((100 * 3 + 800 * 0.3 + 100 * 3.75 + 100 * 15) / 1e6, 12);
    // OpenAI-like: cached tokens are part of the prompt count.
    expect(
      costUsd(
        { inputTokens: 1_000, outputTokens: 0, cacheReadTokens: 800 },
        { ...price, cacheWritePerMTok: undefined },
      ),
    ).toBeCloseTo((200 * 3 + 800 * 0.3) / 1e6, 12);
  });
});
