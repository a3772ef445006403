/**
 * SemanticPartition against a plain model (a list of entries, oldest first,
 * searched exhaustively in doubles): whatever the sequence of stores,
 * replacements, lookups and ageing, the ring answers as the list does and
 * never holds more than its bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SemanticPartition } from '../../src/cache/semantic-partition.js';
import { unitVector } from '../../src/cache/semantic-vectors.js';
import { embeddingOf } from '../../src/simulator/bag-of-words.js';

const DIMENSIONS = 64;
const TEXTS = [
  'capital of france',
  'capital city of france',
  'reset my password',
  'reset password now',
  'weather in oslo',
  'rain in oslo tomorrow',
  'a novel about whales',
];
const VECTORS = TEXTS.map((t) => unitVector(embeddingOf(t, DIMENSIONS)) as Float32Array);

interface ModelEntry {
  id: string;
  vector: Float32Array;
  storedAt: number;
  expiresAt: number;
}

type Step =
  | { kind: 'add'; id: number; text: number; advance: number }
  | { kind: 'nearest'; text: number; similarity: number; maxAgeMs: number; advance: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    id: fc.integer({ min: 0, max: 9 }),
    text: fc.integer({ min: 0, max: TEXTS.length - 1 }),
    advance: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({
    kind: fc.constant('nearest' as const),
    text: fc.integer({ min: 0, max: TEXTS.length - 1 }),
    similarity: fc.double({ min: -1, max: 1, noNaN: true }),
    maxAgeMs: fc.integer({ min: 0, max: 2_000 }),
    advance: fc.integer({ min: 0, max: 400 }),
  }),
);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

describe('SemanticPartition', () => {
  it('answers as an exhaustive search over the newest entries within its bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 1_500 }),
        fc.array(step, { maxLength: 60 }),
        (max, ttl, steps) => {
          const partition = new SemanticPartition(DIMENSIONS, max);
          let model: ModelEntry[] = [];
          let now = 0;
          for (const s of steps) {
            now += s.advance;
            if (s.kind === 'add') {
              const id = `q${s.id}`;
              const vector = VECTORS[s.text] as Float32Array;
              partition.add(id, vector, now, now + ttl);
              model = model.filter((e) => e.id !== id && e.expiresAt > now);
              model.push({ id, vector, storedAt: now, expiresAt: now + ttl });
              if (model.length > max) model.shift();
              expect(partition.size).toBeLessThanOrEqual(max);
            } else {
              const query = VECTORS[s.text] as Float32Array;
              const live = model.filter((e) => e.expiresAt > now && now - e.storedAt <= s.maxAgeMs);
              const best = Math.max(-Infinity, ...live.map((e) => dot(e.vector, query)));
              const found = partition.nearest(query, s.similarity, now, s.maxAgeMs);
              if (best < s.similarity - 1e-5) expect(found).toBeUndefined();
              else if (best > s.similarity + 1e-5) {
                expect(found?.similarity).toBeCloseTo(Math.min(best, 1), 5);
                const entry = live.find((e) => e.id === found?.id);
                expect(entry && dot(entry.vector, query)).toBeCloseTo(best, 5);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
