import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountCache } from '../../../src/providers/estimate/count-cache.js';
import { JsonValueSplitter } from '../../../src/providers/stream/json-values.js';

function split(text: string, cuts: readonly number[], maxChars = 1 << 20): unknown[] {
  const values: unknown[] = [];
  const splitter = new JsonValueSplitter((v) => values.push(JSON.parse(v)), maxChars);
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < text.length).sort((a, b) => a - b);
  let at = 0;
  for (const p of [...points, text.length]) {
    splitter.push(text.slice(at, p));
    at = p;
  }
  return values;
}

describe('JsonValueSplitter (Gemini JSON-array streams, §4.2)', () => {
  const element = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }));

  it('yields each array element, however the text is cut', () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 6 }),
        fc.constantFrom(',', '\n,\r\n', ' , '),
        fc.array(fc.nat(), { maxLength: 20 }),
        (elements, separator, cuts) => {
          const text = `[${elements.map((e) => JSON.stringify(e, null, cuts.length % 2 ? 1 : 0)).join(separator)}]`;
          expect(
            split(
              text,
              cuts.map((c) => c % (text.length + 1)),
            ),
          ).toEqual(JSON.parse(JSON.stringify(elements)));
        },
      ),
    );
  });

  it('yields a bare object as one value', () => {
    expect(split('  {"a":"}{[","b":[1,{"c":"\\\\"}]}', [3, 9, 17])).toEqual([
      { a: '}{[', b: [1, { c: '\\' }] },
    ]);
  });

  it('skips an element larger than the limit and keeps going', () => {
    const big = { text: 'x'.repeat(100) };
    expect(split(`[${JSON.stringify(big)},{"n":1}]`, [10, 50], 64)).toEqual([{ n: 1 }]);
  });
});

describe('CountCache', () => {
  it('holds at most its character budget and forgets the least recently used first', () => {
    const cache = new CountCache(1_000);
    const a = 'a'.repeat(200);
    const b = 'b'.repeat(200);
    cache.set(a, 1);
    cache.set(b, 2);
    expect(cache.get(a)).toBe(1); // a is now the most recent
    for (let i = 0; i < 4; i++) cache.set(String(i).repeat(200), i); // 1 200 chars: one must go
    expect(cache.get(b)).toBeUndefined();
    expect(cache.get(a)).toBe(1);
    cache.set('z'.repeat(600), 9); // more than a quarter of the budget: not kept
    expect(cache.get('z'.repeat(600))).toBeUndefined();
  });
});
