import { describe, expect, it } from 'vitest';
import { cacheSummary } from '../../src/bench/cache-summary.js';
import { questionText } from '../../src/bench/question-text.js';
import { type CacheOutcome, newRecord, type RequestRecord } from '../../src/bench/record.js';
import { messageSizes, type PlannedRequest } from '../../src/bench/workload.js';

function answered(
  id: number,
  cache: CacheOutcome | undefined,
  ms: number,
  question: PlannedRequest['question'],
  answerTopic = question?.topic,
): RequestRecord {
  const plan: PlannedRequest = {
    id,
    at: 0,
    tenant: 'default',
    priority: 'normal',
    promptTokens: 100,
    outputTokens: 20,
    maxTokens: 64,
    stream: false,
    maxWaitMs: undefined,
    ...(question ? { question } : {}),
  };
  const record = newRecord(plan, 0);
  record.outcome = 'served';
  record.status = 200;
  record.endedAt = ms;
  record.cache = cache;
  // The simulator echoes the question: a cached answer is the echo of the question first stored.
  if (answerTopic !== undefined)
    record.answerText = questionText({ topic: answerTopic, wording: 0 }, messageSizes(plan).user);
  return record;
}

describe('the cache side of a run', () => {
  it('is absent when no answer says anything about a cache', () => {
    expect(cacheSummary([answered(0, undefined, 300, undefined)])).toBeUndefined();
  });

  it('counts hits over hits and misses, times each apart, and finds answers that belong to another question', () => {
    const records = [
      answered(0, 'miss', 400, { kind: 'new', topic: 1, wording: 0 }),
      answered(1, 'miss', 420, { kind: 'new', topic: 2, wording: 0 }),
      answered(2, 'hit', 2, { kind: 'repeat', topic: 1, wording: 0 }),
      answered(3, 'hit', 3, { kind: 'paraphrase', topic: 2, wording: 9 }),
      // A paraphrase of question 1 answered with question 2's entry: the wrong answer a semantic cache must never give.
      answered(4, 'hit', 4, { kind: 'paraphrase', topic: 1, wording: 5 }, 2),
      answered(5, 'bypass', 380, { kind: 'new', topic: 3, wording: 0 }),
    ];
    const summary = cacheSummary(records);
    expect(summary?.answers).toEqual({ hit: 3, miss: 2, stale: 0, bypass: 1 });
    expect(summary?.hitRate).toBeCloseTo(3 / 5);
    expect(summary?.hitMs.p50).toBe(3);
    expect(summary?.missMs.max).toBe(420);
    expect(summary?.hitsByQuestion).toEqual({ repeat: 1, paraphrase: 2 });
    expect(summary?.foreignAnswers).toEqual({ hit: 1, other: 0 });
  });
});
