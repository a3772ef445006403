/**
 * Coalescer under load-shaped bursts: many concurrent callers of one key
 * start the work once; results and errors reach every caller; flights end
 * when they settle and stay bounded.
 */
import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/cache/coalescer.js';

/** A work whose promise the test settles by hand, counting how often it was started. */
function gate<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const work = {
    calls: 0,
    resolve,
    reject,
    run: () => {
      work.calls++;
      return promise;
    },
  };
  return work;
}

describe('Coalescer', () => {
  it('runs the work once for a thousand concurrent callers of one key; all get its answer', async () => {
    const coalescer = new Coalescer<string>();
    const upstream = gate<string>();
    const callers = Array.from({ length: 1_000 }, () => coalescer.run('k', upstream.run));
    expect(upstream.calls).toBe(1);
    expect(coalescer.size).toBe(1);
    upstream.resolve('answer');
    expect(await Promise.all(callers)).toEqual(Array(1_000).fill('answer'));
    expect(coalescer.size).toBe(0);
  });

  it('hands the first caller’s error to every caller, then forgets it', async () => {
    const coalescer = new Coalescer<string>();
    const upstream = gate<string>();
    const callers = Array.from({ length: 50 }, () => coalescer.run('k', upstream.run));
    upstream.reject(new Error('upstream 503'));
    const outcomes = await Promise.allSettled(callers);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason.message === 'upstream 503')).toBe(true);
    expect(upstream.calls).toBe(1);
    expect(await coalescer.run('k', async () => 'retried')).toBe('retried');
  });

  it('keeps keys apart, and runs again once a flight has settled', async () => {
    const coalescer = new Coalescer<number>();
    let calls = 0;
    const work = (value: number) => async () => {
      calls++;
      return value;
    };
    const [a, b, a2] = await Promise.all([
      coalescer.run('a', work(1)),
      coalescer.run('b', work(2)),
      coalescer.run('a', work(3)),
    ]);
    expect([a, b, a2]).toEqual([1, 2, 1]);
    expect(calls).toBe(2);
    expect(await coalescer.run('a', work(4))).toBe(4);
    expect(calls).toBe(3);
  });

  it('fails the flight when the work throws before returning a promise', async () => {
    const coalescer = new Coalescer<string>();
    const throwing = () => {
      throw new Error('bad request');
    };
    await expect(coalescer.run('k', throwing)).rejects.toThrow('bad request');
    expect(coalescer.size).toBe(0);
  });

  it('with maxFlights keys in the air, runs a new key uncoalesced instead of refusing it', async () => {
    const coalescer = new Coalescer<string>({ maxFlights: 2 });
    const held = [gate<string>(), gate<string>()];
    const first = held.map((g, i) => coalescer.run(`k${i}`, g.run));
    const extra = gate<string>();
    const overflow = [coalescer.run('k2', extra.run), coalescer.run('k2', extra.run)];
    expect(extra.calls).toBe(2);
    expect(coalescer.size).toBe(2);
    extra.resolve('x');
    for (const g of held) g.resolve('y');
    expect(await Promise.all([...first, ...overflow])).toEqual(['y', 'y', 'x', 'x']);
  });
});
