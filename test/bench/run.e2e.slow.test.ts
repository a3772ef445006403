/**
 * A short real run: the smoke scenario through Sluice's library target in
 * front of the in-process simulator, and the same through the bare SDK.
 *
 * Real time on purpose (slow suite): `sluice bench` is a load generator on
 * the wall clock (arrivals over 2–3 s, a drain of up to 10 s); its outcome
 * counts, not its durations, are asserted.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/bench.js';
import { parseScenario } from '../../src/bench/scenario.js';

const scenario = parseScenario(
  {
    duration: '3s',
    drain: '10s',
    provider: { limits: { rpm: 600, tpm: 12_000 }, latency: { ttft_ms: 5, per_token_ms: 0.5 } },
    arrival: { process: 'steady', load: 3 },
    prompt_tokens: { dist: 'uniform', min: 50, max: 150 },
    output_tokens: { dist: 'uniform', min: 10, max: 60 },
    max_tokens: 64,
    stream: 0.3,
    tenants: [
      { name: 'a', share: 1 },
      { name: 'b', share: 1 },
    ],
    priorities: { critical: 0.2, low: 0.8 },
    max_wait: { critical: '2s', low: '2s' },
  },
  'e2e',
  'e2e',
);

describe('sluice bench end to end', () => {
  it('library target: every request answered, no upstream 429, waits recorded, files written', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
    const { summary, run, files } = await runBench({ scenario, target: 'library', outDir });
    const r = summary.requests;
    expect(r.total).toBeGreaterThan(5);
    expect(r.served + r.refused + r.failed).toBe(r.total);
    expect(r.unanswered).toBe(0);
    expect(r.served).toBeGreaterThan(0);
    expect(summary.upstream.rateLimited).toBe(0);
    expect(summary.waitKnown).toBe(true);
    expect(run.records.every((x) => x.outcome !== undefined)).toBe(true);
    // Streamed answers reported their usage too.
    expect(
      run.records.filter((x) => x.plan.stream && x.outcome === 'served').every((x) => x.outputTokens > 0),
    ).toBe(true);
    expect(files.map((f) => f.slice(-4))).toEqual(['json', '.svg']);
    const json = JSON.parse(await readFile(files[0] as string, 'utf8')) as { summary: { target: string } };
    expect(json.summary.target).toBe('library');
    expect(await readFile(files[1] as string, 'utf8')).toContain('<svg');
  });

  it('direct target: the provider refuses part of the same load', async () => {
    const { summary } = await runBench({ scenario, target: 'direct', durationMs: 2_000 });
    expect(summary.requests.served + summary.requests.refused + summary.requests.failed).toBe(
      summary.requests.total,
    );
    expect(summary.upstream.requests).toBeGreaterThanOrEqual(summary.requests.total);
  });
});
