/**
 * The behaviour every semantic index (`SemanticMatcher`) must have. The
 * in-process `SemanticIndex` and the Redis-shared `RedisSemanticIndex` run
 * the same cases (STYLE.md: one contract suite).
 *
 * Questions are embedded with the simulator's own embedding function, a
 * bag-of-words vector: rewordings of a question are close (cosine above
 * 0.9), unrelated questions far, so a hit here means what it would mean
 * with a real embeddings model. Time is each call's `now`; nothing sleeps.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { SemanticMatcher } from '../../src/cache/response-cache.js';
import type { SemanticIndexOptions } from '../../src/cache/semantic-index.js';
import { embeddingOf } from '../../src/simulator/bag-of-words.js';

export interface SemanticIndexUnderTest {
  index: SemanticMatcher;
  cleanup?: () => Promise<void>;
}

/** A fresh, empty index with these bounds (on Redis: its own prefix). */
export type SemanticIndexFactory = (options: SemanticIndexOptions) => Promise<SemanticIndexUnderTest>;

export const DIMENSIONS = 1536;
export const embed = (text: string) => embeddingOf(text, DIMENSIONS);

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const MINUTE = 60_000;
const SIMILARITY = 0.92;

/** Partitions are digests in real use; any brace-free string works. */
const FAQ = 'a'.repeat(64);
const OTHER_SYSTEM_PROMPT = 'b'.repeat(64);

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

export function describeSemanticIndexContract(name: string, factory: SemanticIndexFactory): void {
  describe(`semantic index contract: ${name}`, () => {
    let sut: SemanticIndexUnderTest | undefined;

    async function open(options: SemanticIndexOptions = {}): Promise<SemanticMatcher> {
      await sut?.cleanup?.();
      sut = await factory(options);
      return sut.index;
    }

    afterEach(async () => {
      await sut?.cleanup?.();
      sut = undefined;
    });

    it('finds a rewording of a stored question above 0.9, and misses an unrelated one', async () => {
      const index = await open();
      await index.add(FAQ, 'capital', embed('What is the capital of France?'), NOW, MINUTE);
      await index.add(FAQ, 'password', embed('How do I reset my password?'), NOW, MINUTE);
      const hit = await index.nearest(FAQ, embed("what's the capital of france"), SIMILARITY, NOW, MINUTE);
      expect(hit?.key).toBe('capital');
      expect(hit?.similarity).toBeGreaterThan(0.9);
      const other = await index.nearest(FAQ, embed('How can I reset my password'), SIMILARITY, NOW, MINUTE);
      expect(other?.key).toBe('password');
      expect(
        await index.nearest(FAQ, embed('What is the boiling point of water?'), SIMILARITY, NOW, MINUTE),
      ).toBeUndefined();
    });

    it('honours the similarity asked for: the same pair hits at 0.95 and misses at 0.99', async () => {
      const index = await open();
      const stored = embed('What is the capital of France?');
      const asked = embed('Tell me the capital of France, please.');
      const similarity = cosine(stored, asked);
      expect(similarity).toBeGreaterThan(0.95);
      expect(similarity).toBeLessThan(0.99);
      await index.add(FAQ, 'capital', stored, NOW, MINUTE);
      expect((await index.nearest(FAQ, asked, 0.95, NOW, MINUTE))?.similarity).toBeCloseTo(similarity, 5);
      expect(await index.nearest(FAQ, asked, 0.99, NOW, MINUTE)).toBeUndefined();
    });

    it('never matches across partitions, even the very same question at any similarity', async () => {
      const index = await open();
      const question = embed('What is the capital of France?');
      await index.add(FAQ, 'capital', question, NOW, MINUTE);
      expect(await index.nearest(OTHER_SYSTEM_PROMPT, question, -1, NOW, MINUTE)).toBeUndefined();
      await index.add(OTHER_SYSTEM_PROMPT, 'capital-other', question, NOW, MINUTE);
      expect((await index.nearest(OTHER_SYSTEM_PROMPT, question, 0.99, NOW, MINUTE))?.key).toBe(
        'capital-other',
      );
      expect((await index.nearest(FAQ, question, 0.99, NOW, MINUTE))?.key).toBe('capital');
    });

    it('answers the closest stored question, as an exhaustive search would', async () => {
      const words = ['capital', 'france', 'password', 'reset', 'weather', 'paris', 'account', 'rain'];
      const sentence = fc
        .array(fc.constantFrom(...words), { minLength: 1, maxLength: 5 })
        .map((w) => w.join(' '));
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(sentence, { minLength: 1, maxLength: 8 }),
          sentence,
          fc.double({ min: 0, max: 1, noNaN: true }),
          async (stored, asked, similarity) => {
            const index = await open();
            for (const [i, text] of stored.entries())
              await index.add(FAQ, `q${i}`, embed(text), NOW + i, MINUTE);
            const query = embed(asked);
            const scores = stored.map((text) => cosine(embed(text), query));
            const best = Math.max(...scores);
            const found = await index.nearest(FAQ, query, similarity, NOW + 10, MINUTE);
            if (best < similarity - 1e-6) expect(found).toBeUndefined();
            else if (best >= similarity + 1e-6) {
              expect(found?.similarity).toBeCloseTo(best, 5);
              expect(scores[Number(found?.key.slice(1))]).toBeCloseTo(best, 5);
            }
          },
        ),
        { numRuns: 25 },
      );
    });

    it('ignores entries past their life or older than the lookup allows', async () => {
      const index = await open();
      const question = embed('What is the capital of France?');
      await index.add(FAQ, 'capital', question, NOW, MINUTE);
      expect(await index.nearest(FAQ, question, SIMILARITY, NOW + MINUTE - 1, MINUTE)).toBeDefined();
      expect(await index.nearest(FAQ, question, SIMILARITY, NOW + 30_000, 10_000)).toBeUndefined();
      expect(await index.nearest(FAQ, question, SIMILARITY, NOW + MINUTE, 10 * MINUTE)).toBeUndefined();
    });

    it('keeps at most maxEntriesPerPartition per partition, dropping the oldest', async () => {
      const index = await open({ maxEntriesPerPartition: 3 });
      const questions = [
        'What is the capital of France?',
        'How do I reset my password?',
        'Will it rain in Oslo tomorrow?',
        'Recommend a novel about whales',
      ];
      for (const [i, q] of questions.entries()) await index.add(FAQ, `q${i}`, embed(q), NOW + i, MINUTE);
      const at = NOW + 10;
      expect(await index.nearest(FAQ, embed(questions[0] as string), SIMILARITY, at, MINUTE)).toBeUndefined();
      for (const i of [1, 2, 3])
        expect((await index.nearest(FAQ, embed(questions[i] as string), SIMILARITY, at, MINUTE))?.key).toBe(
          `q${i}`,
        );
    });

    it('replaces an entry stored again under the same id', async () => {
      const index = await open();
      await index.add(FAQ, 'q', embed('What is the capital of France?'), NOW, MINUTE);
      await index.add(FAQ, 'q', embed('What is the capital of France?'), NOW + 1_000, MINUTE);
      // Still there after the first store's life: the second one counts.
      const hit = await index.nearest(
        FAQ,
        embed('What is the capital of France?'),
        SIMILARITY,
        NOW + MINUTE,
        MINUTE,
      );
      expect(hit?.key).toBe('q');
    });

    it('compares only vectors of the same length (the embeddings model changed)', async () => {
      const index = await open();
      await index.add(FAQ, 'small', embeddingOf('What is the capital of France?', 256), NOW, MINUTE);
      expect(
        await index.nearest(FAQ, embed('What is the capital of France?'), -1, NOW, MINUTE),
      ).toBeUndefined();
      await index.add(FAQ, 'large', embed('What is the capital of France?'), NOW + 1, MINUTE);
      expect(
        (await index.nearest(FAQ, embed('What is the capital of France?'), 0.99, NOW + 2, MINUTE))?.key,
      ).toBe('large');
    });

    it('takes vectors of any length as their direction (cosine, not dot product)', async () => {
      const index = await open();
      const question = embed('What is the capital of France?');
      await index.add(
        FAQ,
        'capital',
        question.map((x) => x * 7),
        NOW,
        MINUTE,
      );
      const hit = await index.nearest(
        FAQ,
        question.map((x) => x / 3),
        0.99,
        NOW,
        MINUTE,
      );
      expect(hit?.similarity).toBeCloseTo(1, 5);
    });
  });
}
