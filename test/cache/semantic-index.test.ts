/**
 * SemanticIndex (in the process): the contract suite, and its bound on
 * entries across partitions.
 */
import { describe, expect, it } from 'vitest';
import { SemanticIndex } from '../../src/cache/semantic-index.js';
import { describeSemanticIndexContract, embed } from './semantic-index-contract.js';

describeSemanticIndexContract('SemanticIndex', async (options) => ({ index: new SemanticIndex(options) }));

const NOW = 1_000_000;
const MINUTE = 60_000;

describe('SemanticIndex', () => {
  it('keeps at most maxEntries in all, dropping the oldest entries of the partition used least recently', async () => {
    const index = new SemanticIndex({ maxEntries: 4, maxEntriesPerPartition: 3 });
    const q = (n: number) => embed(`question number ${n} about topic ${n * 7}`);
    await index.add('a', 'a0', q(0), NOW, MINUTE);
    await index.add('a', 'a1', q(1), NOW + 1, MINUTE);
    await index.add('b', 'b0', q(2), NOW + 2, MINUTE);
    await index.add('b', 'b1', q(3), NOW + 3, MINUTE);
    expect(index.size).toBe(4);
    // `a` is used now, so `b` is the partition used least recently.
    expect((await index.nearest('a', q(0), 0.99, NOW + 4, MINUTE))?.key).toBe('a0');
    await index.add('c', 'c0', q(4), NOW + 5, MINUTE);
    expect(index.size).toBe(4);
    expect(await index.nearest('b', q(2), 0.99, NOW + 6, MINUTE)).toBeUndefined();
    expect((await index.nearest('b', q(3), 0.99, NOW + 6, MINUTE))?.key).toBe('b1');
    await index.add('c', 'c1', q(5), NOW + 7, MINUTE);
    // `a` was used before `b` (looked up at +6): its oldest goes.
    expect(await index.nearest('a', q(0), 0.99, NOW + 8, MINUTE)).toBeUndefined();
    expect(index.size).toBe(4);
  });

  it('frees partitions whose entries all expired', async () => {
    const index = new SemanticIndex();
    await index.add('a', 'a0', embed('What is the capital of France?'), NOW, MINUTE);
    expect(index.has('a')).toBe(true);
    expect(
      await index.nearest('a', embed('What is the capital of France?'), 0.9, NOW + MINUTE, MINUTE),
    ).toBeUndefined();
    expect(index.has('a')).toBe(false);
    expect(index.size).toBe(0);
  });

  it('grows a partition past its first room and keeps every entry findable', async () => {
    const index = new SemanticIndex({ maxEntriesPerPartition: 100 });
    for (let n = 0; n < 100; n++)
      await index.add('a', `q${n}`, embed(`topic ${n} words w${n} x${n}`), NOW + n, MINUTE);
    for (let n = 0; n < 100; n++)
      expect(
        (await index.nearest('a', embed(`topic ${n} words w${n} x${n}`), 0.99, NOW + 200, MINUTE))?.key,
      ).toBe(`q${n}`);
    await index.add('a', 'q100', embed('topic 100 words w100 x100'), NOW + 300, MINUTE);
    expect(await index.nearest('a', embed('topic 0 words w0 x0'), 0.99, NOW + 301, MINUTE)).toBeUndefined();
    expect(index.size).toBe(100);
  });
});
