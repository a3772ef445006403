import { describe, expect, it } from 'vitest';
import { startBenchSimulator } from '../../src/bench/provider.js';
import { newRecord } from '../../src/bench/record.js';
import { goodputRatio, multiKeyTable } from '../../src/bench/report/multi-key.js';
import { keyTable } from '../../src/bench/report/table.js';
import type { KeySample, RunResult, Sample } from '../../src/bench/runner.js';
import { loadScenarioFile, parseScenario } from '../../src/bench/scenario.js';
import { summarize } from '../../src/bench/summary.js';
import { fallbackTarget } from '../../src/bench/targets/fallback.js';
import { planWorkload } from '../../src/bench/workload.js';
import { scenarioPath } from '../../src/cli/commands/bench.js';

describe('multi-key burst scenario', () => {
  it('is registered: three keys of different limits, summed into the limits goodput is measured against', async () => {
    const scenario = await loadScenarioFile(scenarioPath('multi-key-burst'));
    const keys = scenario.provider.keys;
    expect(keys.map((k) => k.name)).toEqual(['key-a', 'key-b', 'key-c']);
    expect(new Set(keys.map((k) => k.limits.tpm)).size).toBe(3);
    expect(scenario.provider.limits.tpm).toBe(keys.reduce((a, k) => a + (k.limits.tpm as number), 0));
    expect(scenario.provider.limits.rpm).toBe(keys.reduce((a, k) => a + (k.limits.rpm as number), 0));
    const plan = planWorkload(scenario);
    const burst = scenario.arrival.burst as number;
    expect(burst).toBeGreaterThanOrEqual(80);
    // The burst leaves together at the start, steady arrivals follow.
    expect(plan.slice(0, burst).every((p) => p.at === 0)).toBe(true);
    expect(plan[burst]?.at).toBeGreaterThan(0);
  });

  it('takes exactly one of limits and keys, and names keys once', () => {
    const base = {
      arrival: { process: 'steady', rate: 1 },
      prompt_tokens: 100,
      output_tokens: 10,
      max_tokens: 16,
    };
    const a = { name: 'a', limits: { tpm: 1_000 } };
    expect(() =>
      parseScenario({ ...base, provider: { limits: { tpm: 1 }, keys: [a, { ...a, name: 'b' }] } }),
    ).toThrow(/exactly one of limits/);
    expect(() => parseScenario({ ...base, provider: { keys: [a, a] } })).toThrow(/"a" is listed twice/);
    // A key without an RPM limit leaves the sum unlimited on RPM.
    const s = parseScenario({
      ...base,
      provider: { keys: [a, { name: 'b', limits: { rpm: 5, tpm: 3_000 } }] },
    });
    expect(s.provider.limits).toEqual({ rpm: undefined, tpm: 4_000 });
  });

  it('summarizes each key: share of limits beside share of calls and tokens, 429s, client-visible failures', () => {
    const scenario = parseScenario(
      {
        duration: '10s',
        provider: {
          keys: [
            { name: 'small', limits: { tpm: 10_000 } },
            { name: 'large', limits: { tpm: 30_000 } },
          ],
        },
        arrival: { process: 'steady', rate: 1 },
        prompt_tokens: 100,
        output_tokens: 10,
        max_tokens: 16,
      },
      'test',
      'keys',
    );
    const perKey = (small: KeySample, large: KeySample) => ({ small, large });
    const zero = { requests: 0, admitted: 0, rejected: 0, tokens: 0 };
    const sample = (t: number, keys: ReturnType<typeof perKey>): Sample => ({
      t,
      inFlight: 0,
      served: 0,
      refused: 0,
      failed: 0,
      provider: { rejected: 0, requests: 0, tokensRemaining: 0, perKey: keys },
    });
    const records = [0, 1, 2].map((id) => {
      const r = newRecord(
        {
          id,
          at: 0,
          tenant: 'default',
          priority: 'normal',
          promptTokens: 100,
          outputTokens: 10,
          maxTokens: 16,
          stream: false,
          maxWaitMs: undefined,
        },
        0,
      );
      r.outcome = id === 2 ? 'refused' : 'served';
      r.status = id === 2 ? 429 : 200;
      r.endedAt = 100;
      if (r.outcome === 'served') r.inputTokens = 110;
      return r;
    });
    const run: RunResult = {
      records,
      samples: [
        sample(0, perKey({ ...zero, admitted: 5, tokens: 500 }, zero)),
        sample(
          10_000,
          perKey(
            { requests: 14, admitted: 8, rejected: 6, tokens: 800 },
            { requests: 1, admitted: 1, rejected: 0, tokens: 100 },
          ),
        ),
      ],
      arrivalsEndedAt: 10_000,
      endedAt: 10_000,
      unanswered: 0,
    };
    const s = summarize({
      scenario,
      target: { name: 'fallback', description: 'x' },
      run,
      durationMs: 10_000,
    });
    expect(s.clientFailures).toBe(1);
    expect(s.keys).toEqual([
      {
        key: 'small',
        limitShare: 0.25,
        calls: 3,
        callShare: 0.75,
        tokens: 300,
        tokenShare: 0.75,
        rateLimited: 6,
      },
      {
        key: 'large',
        limitShare: 0.75,
        calls: 1,
        callShare: 0.25,
        tokens: 100,
        tokenShare: 0.25,
        rateLimited: 0,
      },
    ]);
    expect(keyTable(s.keys)).toContain('| small | 25 %');
    const library = {
      ...s,
      target: 'library',
      goodput: { ...s.goodput, ofLimit: 2 * (s.goodput.ofLimit ?? 0) },
    };
    expect(goodputRatio(library, s)).toBeCloseTo(2, 6);
    const table = multiKeyTable([s, library]);
    expect(table).toContain('goodput ÷ fallback');
    expect(table).toMatch(/\| library .*\| 2\.00 /);
    expect(table).toContain('75 / 25'); // calls per key, beside the limits' 25 / 75
  });
});

describe('fallback-in-order target', () => {
  it('sends to the first key, moves on at a 429, and hands the last key’s 429 to the app', async () => {
    const scenario = parseScenario(
      {
        provider: {
          keys: [
            { name: 'one', limits: { rpm: 1 } },
            { name: 'two', limits: { rpm: 1 } },
          ],
        },
        arrival: { process: 'steady', rate: 1 },
        prompt_tokens: 50,
        output_tokens: 5,
        max_tokens: 8,
      },
      'test',
      'fallback',
    );
    const provider = await startBenchSimulator(scenario);
    try {
      const target = await fallbackTarget({
        scenario,
        providerBaseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        keys: provider.keys,
        now: () => 0,
      });
      const plan = planWorkload({ ...scenario, max_requests: 3 });
      const records = plan.map((p) => newRecord(p, 0));
      const signal = new AbortController().signal;
      // One at a time: each key admits one call (RPM 1), then answers 429.
      for (const r of records) await target.send(r, signal);
      expect(records.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(records.map((r) => r.outcome)).toEqual(['served', 'served', 'refused']);
      expect(records.map((r) => r.targetRetries)).toEqual([0, 1, 1]);
      const perKey = provider.probe?.().perKey;
      expect(perKey?.one).toMatchObject({ admitted: 1, rejected: 2 });
      expect(perKey?.two).toMatchObject({ admitted: 1, rejected: 1 });
    } finally {
      await provider.close();
    }
  });
});
