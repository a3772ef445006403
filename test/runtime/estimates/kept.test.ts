/**
 * What a call keeps of its buckets once settled (the queue forecast's unit):
 * its output reservation cut to the answer length learned, once learned.
 */
import { describe, expect, it } from 'vitest';
import { costOf } from '../../../src/core/cost.js';
import type { Deployment } from '../../../src/runtime/deployment.js';
import { LearnedEstimates } from '../../../src/runtime/estimates/learned-estimates.js';

const WHO = { group: 'g', tenant: 't' };
const reserved = costOf(600, 16_384);

function learnedFrom(answers: readonly number[], learn = true): LearnedEstimates {
  const estimates = new LearnedEstimates({ learn });
  const deployment = {} as Deployment;
  for (const output of answers)
    estimates.learn(
      deployment,
      { cost: reserved, estimated: true },
      { inputTokens: 600, outputTokens: output },
      WHO,
    );
  return estimates;
}

describe('LearnedEstimates.kept', () => {
  it('is the reserved cost until eight answers were seen', () => {
    expect(learnedFrom([100, 120, 90]).kept(reserved, WHO)).toEqual(reserved);
  });

  it('cuts the output reservation to the learned answer length, leaving the prompt alone', () => {
    const estimates = learnedFrom([20, 40, 60, 80, 100, 120, 140, 150]);
    expect(estimates.kept(reserved, WHO)).toEqual(costOf(600, 150));
    // Another tenant has learned nothing yet; a smaller maximum than the answers is kept whole.
    expect(estimates.kept(reserved, { group: 'g', tenant: 'other' })).toEqual(reserved);
    expect(estimates.kept(costOf(600, 100), WHO)).toEqual(costOf(600, 100));
  });

  it('keeps the whole reservation when learning is off', () => {
    expect(learnedFrom([20, 40, 60, 80, 100, 120, 140, 150], false).kept(reserved, WHO)).toEqual(reserved);
  });
});
