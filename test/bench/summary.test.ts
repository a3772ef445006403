import { describe, expect, it } from 'vitest';
import { newRecord, type RequestRecord } from '../../src/bench/record.js';
import { checksTable, scenarioTable, sluiceChecks } from '../../src/bench/report/compare.js';
import { barChart, lineChart, niceScale } from '../../src/bench/report/svg.js';
import { timelineOf } from '../../src/bench/report/timeline.js';
import type { RunResult } from '../../src/bench/runner.js';
import { parseScenario } from '../../src/bench/scenario.js';
import { steadyWindow, summarize } from '../../src/bench/summary.js';
import { attachLogLines } from '../../src/bench/targets/gateway.js';
import type { PlannedRequest } from '../../src/bench/workload.js';

const scenario = parseScenario(
  {
    duration: '10s',
    provider: { limits: { rpm: 600, tpm: 60_000 } },
    arrival: { process: 'steady', rate: 1 },
    prompt_tokens: 93,
    output_tokens: 100,
    max_tokens: 100,
    tenants: [
      { name: 'a', share: 1 },
      { name: 'b', share: 1 },
    ],
    priorities: { critical: 1, low: 1 },
  },
  'test',
  'unit',
);

function plan(id: number, at: number, tenant: string, priority: 'critical' | 'low'): PlannedRequest {
  return {
    id,
    at,
    tenant,
    priority,
    promptTokens: 93,
    outputTokens: 100,
    maxTokens: 100,
    stream: false,
    maxWaitMs: undefined,
  };
}

function served(
  id: number,
  at: number,
  tenant: string,
  priority: 'critical' | 'low',
  wait: number,
): RequestRecord {
  const r = newRecord(plan(id, at, tenant, priority), at);
  r.outcome = 'served';
  r.status = 200;
  r.attempts = 1;
  r.inputTokens = 100;
  r.outputTokens = 100;
  r.waits.push({ start: at, end: at + wait });
  r.endedAt = at + wait + 50;
  return r;
}

/** 10 s: tenant a and b each served 200 tokens a second, b also refused once; a provider that saturates at 2 s. */
function run(): RunResult {
  const records: RequestRecord[] = [];
  for (let t = 0; t < 10_000; t += 1_000) {
    records.push(served(records.length, t, 'a', 'critical', 10));
    records.push(served(records.length, t + 500, 'b', 'low', 300));
  }
  const refused = newRecord(plan(99, 9_000, 'b', 'low'), 9_000);
  refused.outcome = 'refused';
  refused.status = 503;
  refused.attempts = 1;
  refused.endedAt = 9_500;
  records.push(refused);
  const samples = Array.from({ length: 11 }, (_, i) => ({
    t: i * 1_000,
    inFlight: 1,
    served: 0,
    refused: 0,
    failed: 0,
    provider: { rejected: i, requests: 3 * i, tokensRemaining: i < 2 ? 50_000 : 1_000 },
  }));
  return { records, samples, arrivalsEndedAt: 10_000, endedAt: 10_000, unanswered: 0 };
}

describe('run summary', () => {
  it('counts outcomes, goodput over the steady window, upstream 429s, waits per class, fairness', () => {
    const s = summarize({
      scenario,
      target: { name: 'library', description: 'x' },
      run: run(),
      durationMs: 10_000,
    });
    expect(s.requests).toMatchObject({
      total: 21,
      served: 20,
      refused: 1,
      refusedByStatus: { '503': 1 },
      failed: 0,
    });
    expect(s.goodput.windowMs).toEqual([2_000, 10_000]);
    // 400 tokens a second in [2 s, 10 s) = 24,000 tokens/min = 40 % of 60,000.
    expect(s.goodput.tokensPerMin).toBeCloseTo(24_000, -2);
    expect(s.goodput.ofLimit).toBeCloseTo(s.goodput.tokensPerMin / 60_000, 6);
    expect(s.goodput.bucketAtStart).toBe(1_000);
    expect(s.upstream).toEqual({ requests: 30, rateLimited: 10 });
    expect(s.byPriority.critical?.waitMs.p99).toBe(10);
    expect(s.byPriority.low?.waitMs.p50).toBe(300);
    expect(s.byPriority.low?.refused).toBe(1);
    expect(s.fairness.jain).toBeCloseTo(1, 2);
    expect(s.overheadMs.p50).toBe(50);
  });

  it('the steady window is the whole run when the provider never saturated', () => {
    const r = run();
    const calm = r.samples.map((x) => ({
      ...x,
      provider: { rejected: 0, requests: 0, tokensRemaining: 59_000 },
    }));
    expect(steadyWindow(calm, scenario, 10_000)).toEqual([0, 10_000]);
  });

  it('compare tables and checks render what was measured, and name what did not run', () => {
    const s = summarize({
      scenario,
      target: { name: 'library', description: 'x' },
      run: run(),
      durationMs: 10_000,
    });
    const table = scenarioTable([
      { scenario: 'unit', target: 'library', summary: s },
      { scenario: 'unit', target: 'portkey', unavailable: 'npm install failed' },
    ]);
    expect(table).toContain('| library');
    expect(table).toContain('did not run: npm install failed');
    const checks = sluiceChecks([{ scenario: 'unit', target: 'library', summary: s }]);
    expect(checks.find((c) => c.what.includes('zero upstream 429s'))?.met).toBe(false);
    expect(checks.find((c) => c.what.includes('critical p99 wait'))?.met).toBe(true);
    expect(checksTable(checks)).toContain('**no**');
  });
});

describe('charts', () => {
  it('timeline: throughput, queue depth per class from the waits, refusals per second', () => {
    const t = timelineOf(run());
    expect(t.queueKnown).toBe(true);
    expect(t.queue.map((s) => s.name)).toEqual(['critical', 'low']);
    const low = t.queue[1]?.points.find(([x]) => x === 0);
    expect(low).toEqual([0, 0]);
    expect(t.refusals.find((s) => s.name === 'refused')?.points.some(([, y]) => y === 1)).toBe(true);
    expect(t.refusals.find((s) => s.name === 'upstream 429')).toBeDefined();
  });

  it('SVG line and bar charts carry titles, legends and reference lines', () => {
    const svg = lineChart('a & b', [
      {
        title: 'p',
        yLabel: 'y',
        series: [
          {
            name: 's<1>',
            points: [
              [0, 1],
              [1_000, 2],
            ],
          },
        ],
        marks: [{ name: 'limit', y: 3 }],
      },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &#38; b');
    expect(svg).toContain('s&#60;1&#62;');
    expect(svg).toContain('stroke-dasharray');
    const bars = barChart({
      title: 't',
      yLabel: 'y',
      series: ['x', 'y'],
      groups: [{ label: 'g', values: [1, undefined] }],
    });
    expect(bars.match(/<rect x=/g)?.length).toBe(3); // one bar and two legend swatches
    expect(niceScale(87)).toEqual({ max: 100, step: 25 });
  });
});

describe('gateway request log', () => {
  it('matches log lines to requests by tenant, class, status and prompt tokens', () => {
    const a = served(0, 0, 'a', 'critical', 0);
    a.waits.length = 0;
    a.inputTokens = 120;
    const b = served(1, 100, 'a', 'critical', 0);
    b.waits.length = 0;
    b.inputTokens = 80;
    const refused = newRecord(plan(2, 200, 'b', 'low'), 200);
    refused.outcome = 'refused';
    refused.status = 503;
    const matched = attachLogLines(
      [a, b, refused],
      [
        { tenant: 'a', priority: 'critical', status: 200, wait_ms: 7, input_tokens: 80, retries: 1 },
        { tenant: 'a', priority: 'critical', status: 200, wait_ms: 3, input_tokens: 120, retries: 0 },
        { tenant: 'b', priority: 'low', status: 503, duration_ms: 2_000, refusal: 'capacity_exhausted' },
      ],
    );
    expect(matched).toBe(3);
    expect(a.waits).toEqual([{ start: 0, end: 3 }]);
    expect(b.waits).toEqual([{ start: 100, end: 107 }]);
    expect(b.targetRetries).toBe(1);
    expect(refused.waits).toEqual([{ start: 200, end: 2_200 }]);
  });
});
