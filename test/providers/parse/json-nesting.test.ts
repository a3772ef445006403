import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../../src/providers/parse/json-nesting.js';

/** Nesting of a parsed value: arrays and objects count one level each. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object')
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Strings full of what could fool a scanner: brackets, quotes, backslashes, multi-byte characters. */
const tricky = fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', '\u2028', '😀');

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value for any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: tricky, maxDepth: 8 }), fc.nat(9), (value, max) => {
        const text = new TextEncoder().encode(JSON.stringify(value));
        expect(nestsDeeperThan(text, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 500 },
    );
  });

  it('counts 10,000 levels as too deep, and stops early', () => {
    const text = new TextEncoder().encode(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(nestsDeeperThan(text, 128)).toBe(true);
    expect(nestsDeeperThan(new TextEncoder().encode('{"a":"[[[[\\"[[[["}'), 1)).toBe(false);
  });
});
