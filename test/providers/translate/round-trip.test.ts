/**
 * Issue 16's properties: a request or an answer translated A → B → A comes
 * back unchanged on the subset A and B share, for every ordered pair.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedAnswer, sharedBy, sharedRequest } from './arbitraries.js';
import { FAMILIES, translated } from './families.js';

const pairs = FAMILIES.flatMap((a) =>
  FAMILIES.filter((b) => b !== a).map((b) => ({ a, b, label: `${a.name} → ${b.name} → ${a.name}` })),
);

describe.each(pairs)('$label', ({ a, b, label }) => {
  it(`keeps a request unchanged (${label})`, () => {
    fc.assert(
      fc.property(sharedRequest(sharedBy(a.name, b.name)), (neutral) => {
        const wire = translated(a.neutralToRequest(neutral));
        const there = translated(b.neutralToRequest(translated(a.requestToNeutral(wire))));
        const back = translated(a.neutralToRequest(translated(b.requestToNeutral(there))));
        expect(back).toEqual(wire);
      }),
      { numRuns: 150 },
    );
  });

  it(`keeps an answer unchanged (${label})`, () => {
    fc.assert(
      fc.property(sharedAnswer(a.name, sharedBy(a.name, b.name)), (neutral) => {
        const wire = translated(a.neutralToAnswer(neutral));
        const there = translated(b.neutralToAnswer(translated(a.answerToNeutral(wire))));
        const back = translated(a.neutralToAnswer(translated(b.answerToNeutral(there))));
        expect(back).toEqual(wire);
      }),
      { numRuns: 150 },
    );
  });
});
