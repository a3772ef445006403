/**
 * One bench run end to end: provider up (the simulator from the scenario, or
 * a real URL), target up, workload planned from the seed, replayed, summed
 * up, written as JSON and SVG beside each other, and torn down.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { primeTarget } from './prime.js';
import { type BenchProvider, externalProvider, startBenchSimulator } from './provider.js';
import { runChart } from './report/run-chart.js';
import { type Progress, RunClock, type RunResult, runWorkload } from './runner.js';
import type { Scenario } from './scenario.js';
import { type RunSummary, summarize } from './summary.js';
import { createTarget, type TargetOptions } from './targets/index.js';
import type { TargetName } from './targets/target.js';
import { planWorkload } from './workload.js';

export interface BenchOptions extends TargetOptions {
  readonly scenario: Scenario;
  readonly target: TargetName;
  /** Overrides the scenario's duration (ms). */
  readonly durationMs?: number;
  /** A real provider instead of the simulator. */
  readonly providerUrl?: string;
  readonly apiKey?: string;
  /** Directory for `<scenario>.<target>.json` and `.svg`; nothing is written without it. */
  readonly outDir?: string;
  readonly onProgress?: (progress: Progress) => void;
}

export interface BenchResult {
  readonly summary: RunSummary;
  readonly run: RunResult;
  readonly providerStats: unknown;
  readonly files: string[];
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const scenario = options.scenario;
  const durationMs = options.durationMs ?? scenario.duration;
  const plan = planWorkload(scenario, { durationMs });
  const provider: BenchProvider = options.providerUrl
    ? externalProvider(options.providerUrl, options.apiKey ?? process.env.OPENAI_API_KEY ?? '')
    : await startBenchSimulator(scenario);
  const clock = new RunClock();
  try {
    const target = await createTarget(
      options.target,
      {
        scenario,
        providerBaseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        keys: provider.keys,
        now: clock.now,
      },
      options,
    );
    let run: RunResult;
    try {
      if (scenario.prime && provider.resetCounters) {
        await primeTarget(target, scenario);
        provider.resetCounters();
      }
      run = await runWorkload({
        plan,
        target,
        clock,
        durationMs,
        drainMs: scenario.drain,
        probe: provider.probe,
        onProgress: options.onProgress,
      });
    } finally {
      await target.close();
    }
    const summary = summarize({ scenario, target, run, durationMs });
    const providerStats = provider.stats?.();
    const files: string[] = [];
    if (options.outDir) {
      await mkdir(options.outDir, { recursive: true });
      const base = join(options.outDir, `${scenario.name}.${options.target}`);
      await writeFile(`${base}.json`, `${JSON.stringify({ summary, providerStats }, null, 2)}\n`);
      await writeFile(`${base}.svg`, runChart(summary, run, scenario));
      files.push(`${base}.json`, `${base}.svg`);
    }
    return { summary, run, providerStats, files };
  } finally {
    await provider.close();
  }
}
