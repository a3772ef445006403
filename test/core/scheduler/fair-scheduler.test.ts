import { describe, expect, it } from 'vitest';
import { FairScheduler, type Schedulable } from '../../../src/core/scheduler/fair-scheduler.js';
import { PriorityClasses } from '../../../src/core/scheduler/priority.js';

interface Item extends Schedulable {
  readonly name: string;
}

let seq = 0;
function item(tenant: string, priority: number, tokens = 100, extra: Partial<Item> = {}): Item {
  return {
    name: `${tenant}-${++seq}`,
    tenant,
    priority,
    weight: 1,
    tokens,
    enqueuedAt: 0,
    deadline: Infinity,
    ...extra,
  };
}

/** Dispatches the first candidate `n` times and returns tokens per tenant. */
function drain(scheduler: FairScheduler<Item>, n: number, now = 0): Map<string, number> {
  const tokens = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const next = scheduler.candidates(now)[0];
    if (!next) break;
    scheduler.dispatched(next);
    tokens.set(next.tenant, (tokens.get(next.tenant) ?? 0) + next.tokens);
  }
  return tokens;
}

describe('FairScheduler', () => {
  it('orders strictly by priority class', () => {
    const s = new FairScheduler<Item>({ classes: 4 });
    const low = item('a', 3);
    const critical = item('b', 0);
    const normal = item('c', 2);
    for (const i of [low, critical, normal]) s.offer(i);
    expect(s.candidates(0)).toEqual([critical, normal, low]);
  });

  it('shares a class between equal-weight tenants by tokens, not by request count', () => {
    const s = new FairScheduler<Item>({ classes: 1 });
    for (let i = 0; i < 200; i++) s.offer(item('big', 0, 1_000));
    for (let i = 0; i < 2_000; i++) s.offer(item('small', 0, 100));
    const tokens = drain(s, 1_100);
    const big = tokens.get('big') ?? 0;
    const small = tokens.get('small') ?? 0;
    expect(Math.abs(big - small) / Math.max(big, small)).toBeLessThan(0.02);
  });

  it('gives a tenant of weight 3 three times the tokens of a tenant of weight 1', () => {
    const s = new FairScheduler<Item>({ classes: 1 });
    for (let i = 0; i < 1_000; i++) {
      s.offer(item('heavy', 0, 100, { weight: 3 }));
      s.offer(item('light', 0, 100, { weight: 1 }));
    }
    const tokens = drain(s, 800);
    expect((tokens.get('heavy') ?? 0) / (tokens.get('light') ?? 1)).toBeCloseTo(3, 1);
  });

  it('does not let a tenant bank credit while it was idle', () => {
    const s = new FairScheduler<Item>({ classes: 1 });
    for (let i = 0; i < 100; i++) s.offer(item('busy', 0, 100));
    drain(s, 50);
    // 'late' arrives after 'busy' consumed 5,000 tokens: it starts level, not 5,000 ahead.
    for (let i = 0; i < 100; i++) s.offer(item('late', 0, 100));
    const tokens = drain(s, 40);
    expect(tokens.get('busy')).toBe(2_000);
    expect(tokens.get('late')).toBe(2_000);
  });

  it('ages waiting requests one class per agingMs, ahead of fresh work of the class they reach', () => {
    const s = new FairScheduler<Item>({ classes: 4, agingMs: 10_000 });
    const low = item('a', 3, 100, { enqueuedAt: 0 });
    s.offer(low);
    const fresh = item('b', 0, 100, { enqueuedAt: 29_000 });
    s.offer(fresh);
    expect(s.levelOf(low, 29_999)).toBe(1);
    expect(s.candidates(29_999)[0]).toBe(fresh);
    expect(s.levelOf(low, 30_000)).toBe(0);
    expect(s.candidates(30_000)[0]).toBe(low);
  });

  it('never ages the classes from agingStopsAt on (background stays behind interactive work)', () => {
    const s = new FairScheduler<Item>({ classes: 5, agingMs: 10_000, agingStopsAt: 4 });
    const background = item('batch', 4, 100, { enqueuedAt: 0 });
    const low = item('a', 3, 100, { enqueuedAt: 0 });
    s.offer(background);
    s.offer(low);
    const fresh = item('b', 0, 100, { enqueuedAt: 100_000 });
    s.offer(fresh);
    expect(s.levelOf(background, 1_000_000)).toBe(4);
    expect(s.levelOf(low, 1_000_000)).toBe(0);
    expect(s.candidates(1_000_000)).toEqual([low, fresh, background]);
  });

  it('refuses when a class is at its bound', () => {
    const s = new FairScheduler<Item>({ classes: 2, maxQueuedPerClass: [1, 2] });
    expect(s.offer(item('a', 0)).accepted).toBe(true);
    expect(s.offer(item('a', 0))).toEqual({ accepted: false, reason: 'class_full' });
    expect(s.offer(item('a', 1)).accepted).toBe(true);
  });

  it('sheds the newest request of the heaviest tenant in the lowest class when the queue is full', () => {
    const s = new FairScheduler<Item>({ classes: 4, maxQueued: 4 });
    const normal = item('n', 2);
    const lowA1 = item('a', 3);
    const lowB1 = item('b', 3);
    const lowB2 = item('b', 3);
    for (const i of [normal, lowA1, lowB1, lowB2]) s.offer(i);
    const result = s.offer(item('c', 1));
    expect(result).toEqual({ accepted: true, shed: [lowB2] });
    expect(s.size).toBe(4);
    // Nothing below `low` to shed for another `low`.
    expect(s.offer(item('d', 3))).toEqual({ accepted: false, reason: 'queue_full' });
  });

  it('removes a queued request without charging its tenant', () => {
    const s = new FairScheduler<Item>({ classes: 1 });
    const a = item('a', 0);
    s.offer(a);
    expect(s.remove(a)).toBe(true);
    expect(s.remove(a)).toBe(false);
    expect(s.size).toBe(0);
  });

  it('corrects fairness with the tokens really used', () => {
    const s = new FairScheduler<Item>({ classes: 1 });
    for (let i = 0; i < 10; i++) {
      s.offer(item('a', 0, 1_000));
      s.offer(item('b', 0, 1_000));
    }
    drain(s, 2);
    // a's request really used 3,000 tokens more than estimated: b goes next, three times.
    s.adjust('a', 0, 3_000, 1);
    const order = Array.from({ length: 4 }, () => {
      const next = s.candidates(0)[0] as Item;
      s.dispatched(next);
      return next.tenant;
    });
    expect(order).toEqual(['b', 'b', 'b', 'a']);
  });
});

describe('PriorityClasses', () => {
  it('maps names to indexes and lets a request only lower its priority', () => {
    const classes = new PriorityClasses();
    expect(classes.indexOf('critical')).toBe(0);
    expect(classes.indexOf('low')).toBe(3);
    expect(classes.indexOf('urgent')).toBeUndefined();
    expect(classes.lowerOf(1, 3)).toBe(3);
    expect(classes.lowerOf(3, 0)).toBe(3);
    expect(() => new PriorityClasses(['a', 'a'])).toThrow();
  });

  it('always has background below the configured classes, and a caller may lower to it', () => {
    const classes = new PriorityClasses();
    expect(classes.names).toEqual(['critical', 'high', 'normal', 'low', 'background']);
    expect(classes.background).toBe(4);
    expect(classes.indexOf('background')).toBe(4);
    expect(classes.lowerOf(classes.indexOf('critical') as number, classes.background)).toBe(4);
    expect(new PriorityClasses(['a', 'background']).names).toEqual(['a', 'background']);
    expect(() => new PriorityClasses(['background', 'a'])).toThrow(/last/);
  });
});
