import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type WeightedChoice, WeightedTurns } from '../../../src/core/scheduler/weighted-turns.js';

const choices = (...weights: number[]): WeightedChoice[] =>
  weights.map((weight, i) => ({ id: `d${i}`, weight }));

describe('WeightedTurns', () => {
  it('interleaves 60 / 40 rather than in streaks', () => {
    const turns = new WeightedTurns();
    const pair = choices(0.6, 0.4);
    const order = Array.from({ length: 10 }, () => turns.take(pair)[0]);
    expect(order).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 1, 0]);
  });

  it('gives every choice its weight share within one turn over any run where the first offered takes it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 1, max: 400 }),
        (weights, n) => {
          const turns = new WeightedTurns();
          const offered = choices(...weights);
          const counts = weights.map(() => 0);
          for (let i = 0; i < n; i++) {
            const first = turns.take(offered)[0] as number;
            counts[first] = (counts[first] ?? 0) + 1;
          }
          const total = weights.reduce((a, b) => a + b, 0);
          for (const [i, w] of weights.entries())
            expect(Math.abs((counts[i] as number) - (n * w) / total)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('moves the charge to the choice the store granted, and gives it back when none was', () => {
    const turns = new WeightedTurns();
    const pair = choices(1, 1);
    const first = turns.take(pair);
    turns.settle(pair, first[0] as number, -1);
    // Nothing was granted: the next turn is the same as the first.
    expect(turns.take(pair)).toEqual(first);
    // The preferred one was full and the other took it: the preferred keeps its claim.
    turns.settle(pair, first[0] as number, first[1] as number);
    expect(turns.take(pair)[0]).toBe(first[0]);
  });

  it('does not let a choice passed over while full bank a streak', () => {
    const turns = new WeightedTurns();
    const pair = choices(1, 1);
    for (let i = 0; i < 100; i++) {
      const order = turns.take(pair);
      // d0 is full: d1 takes every request.
      turns.settle(pair, order[0] as number, order.indexOf(1));
    }
    const after = Array.from({ length: 6 }, () => turns.take(pair)[0]);
    expect(after.filter((i) => i === 0).length).toBeLessThanOrEqual(4);
  });
});
