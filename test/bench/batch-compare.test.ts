import { describe, expect, it } from 'vitest';
import { batchComparisonReport, batchWindow, compareBatchRuns } from '../../src/bench/batch/batch-compare.js';
import { type BatchProgressSample, batchInput } from '../../src/bench/batch/batch-load.js';
import { newRecord, type RequestRecord } from '../../src/bench/record.js';
import type { RunResult, Sample } from '../../src/bench/runner.js';
import { parseScenario, ScenarioError } from '../../src/bench/scenario.js';
import { summarize } from '../../src/bench/summary.js';

const input = {
  duration: '60s',
  provider: { limits: { rpm: 5_000, tpm: 600_000 } },
  arrival: { process: 'steady', load: 0.5 },
  prompt_tokens: 300,
  output_tokens: 100,
  max_tokens: 256,
  tenants: [{ name: 'app', share: 1 }],
  batch: { lines: 1_000, tenant: 'batch-co' },
};
const scenario = parseScenario(input, 'test', 'batch-unit');

/** One served interactive call per second, 400 tokens each, waiting `wait(i)` ms. */
function records(wait: (i: number) => number): RequestRecord[] {
  return Array.from({ length: 60 }, (_, i) => {
    const at = i * 1_000;
    const r = newRecord(
      {
        id: i,
        at,
        tenant: 'app',
        priority: 'normal',
        promptTokens: 300,
        outputTokens: 100,
        maxTokens: 256,
        stream: false,
        maxWaitMs: undefined,
      },
      at,
    );
    r.outcome = 'served';
    r.status = 200;
    r.attempts = 1;
    r.inputTokens = 300;
    r.outputTokens = 100;
    r.waits.push({ start: at, end: at + wait(i) });
    r.endedAt = at + wait(i) + 500;
    return r;
  });
}

/** Provider samples once a second: `perSecond` tokens served each second. */
function samples(perSecond: number): Sample[] {
  return Array.from({ length: 61 }, (_, s) => ({
    t: s * 1_000,
    inFlight: 0,
    served: 0,
    refused: 0,
    failed: 0,
    provider: {
      rejected: 0,
      requests: 0,
      tokensRemaining: 0,
      perKey: { default: { requests: 0, admitted: 0, rejected: 0, tokens: s * perSecond } },
    },
  }));
}

function runOf(recs: RequestRecord[], perSecond: number): RunResult {
  return {
    records: recs,
    samples: samples(perSecond),
    arrivalsEndedAt: 60_000,
    endedAt: 61_000,
    unanswered: 0,
  };
}

function summaryOf(run: RunResult) {
  return summarize({ scenario, target: { name: 'gateway', description: '' }, run, durationMs: 60_000 });
}

describe('a batch scenario', () => {
  it('is validated: the batch needs a tenant of its own', () => {
    expect(scenario.batch).toEqual({
      lines: 1_000,
      tenant: 'batch-co',
      prompt_tokens: 200,
      output_tokens: 50,
    });
    expect(() => parseScenario({ ...input, batch: { tenant: 'app' } }, 'test')).toThrow(ScenarioError);
    expect(() => parseScenario({ ...input, batch: { lines: 0 } }, 'test')).toThrow(/batch\.lines/);
  });

  it('writes one request line per batch line, sized so echo mode answers the planned length', () => {
    const lines = batchInput({ lines: 3, tenant: 'b', prompt_tokens: 20, output_tokens: 5 }, 'gpt-4o-mini')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(['line-0', 'line-1', 'line-2']);
    const body = lines[0].body;
    expect(body.max_tokens).toBe(5);
    expect(body.messages[0].content.split(' ')).toHaveLength(15);
    expect(body.messages[1].content.split(' ')).toHaveLength(5);
  });
});

describe('the comparison without and with the batch', () => {
  // The batch answers nothing for 20 s (the bucket refilling above its headroom), then 20 lines a second.
  const progress: BatchProgressSample[] = Array.from({ length: 61 }, (_, s) => ({
    t: s * 1_000,
    completed: Math.max(0, s - 20) * 20,
    failed: 0,
    total: 1_000,
    status: 'in_progress',
  }));
  const aloneRun = runOf(
    records((i) => (i % 10 === 0 ? 10 : 2)),
    5_000,
  );
  const withRun = runOf(
    records((i) => (i % 10 === 0 ? 11 : 2)),
    9_700,
  );
  const without = { summary: summaryOf(aloneRun), run: aloneRun };
  const withBatch = { summary: summaryOf(withRun), run: withRun, progress };

  it('takes its window from the batch’s first answered line to the end of arrivals', () => {
    expect(batchWindow(withBatch)).toEqual([21_000, 60_000]);
  });

  it('ends the window with the batch when it ends before the arrivals', () => {
    const early = progress.map((p) => ({ ...p, completed: Math.min(p.completed, 1_000) }));
    // 20 lines a second from 21 s: all 1,000 answered at 70 s, after the arrivals; at 50 lines a second, at 41 s.
    expect(batchWindow({ ...withBatch, progress: early })).toEqual([21_000, 60_000]);
    const fast = progress.map((p) => ({
      ...p,
      completed: Math.min(1_000, Math.max(0, p.t / 1_000 - 20) * 50),
    }));
    expect(batchWindow({ ...withBatch, progress: fast })).toEqual([21_000, 40_000]);
  });

  it('gives the waits, their ratio, the lines per minute and the share of the limit', () => {
    const c = compareBatchRuns(scenario, without, withBatch);
    // Only the calls sent in the window (21–60 s): 39 of the 60.
    expect(c.with.waitMs.count).toBe(39);
    expect(c.without.waitMs.p99).toBe(10);
    expect(c.with.waitMs.p99).toBe(11);
    expect(c.ratio.p99).toBeCloseTo(1.1);
    expect(c.ratio.p50).toBe(1);
    expect(c.with.linesPerMin).toBeCloseTo(1_200);
    expect(c.without.linesPerMin).toBeUndefined();
    // 9,700 tokens a second of a 10,000 limit; alone, 5,000.
    expect(c.with.ofLimit).toBeCloseTo(0.97);
    expect(c.without.ofLimit).toBeCloseTo(0.5);
    // The interactive calls' own tokens: 400 a second (the test's records), in both runs.
    expect(c.with.interactiveOfLimit).toBeCloseTo(c.without.interactiveOfLimit as number);
    expect(c.with.batch).toEqual({ completed: 800, failed: 0, total: 1_000, status: 'in_progress' });
    const table = batchComparisonReport(c);
    expect(table).toContain('interactive wait p99');
    expect(table).toContain('1.10×');
    expect(table).toContain('97.0 %');
  });
});
