/**
 * One bench run end to end: provider up (the simulator from the scenario, or
 * a real URL), target up, workload planned from the seed, replayed, summed
 * up, written as JSON and SVG beside each other, and torn down. A scenario
 * with a batch runs twice, without it and with it, and is compared
 * (`batch/batch-compare.ts`); the files are the with-run's plus the
 * comparison.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchComparison, compareBatchRuns } from './batch/batch-compare.js';
import type { BatchProgressSample } from './batch/batch-load.js';
import { primeTarget } from './prime.js';
import { type BenchProvider, externalProvider, startBenchSimulator } from './provider.js';
import { runChart } from './report/run-chart.js';
import { type Progress, RunClock, type RunResult, runWorkload } from './runner.js';
import type { Scenario } from './scenario.js';
import { type RunSummary, summarize } from './summary.js';
import { createTarget, type TargetOptions } from './targets/index.js';
import { type TargetName, TargetUnavailableError } from './targets/target.js';
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
  /** A batch scenario: the run without the batch beside this one (with it), compared. */
  readonly batch?: { readonly without: RunSummary; readonly comparison: BatchComparison };
}

interface OneRun {
  readonly summary: RunSummary;
  readonly run: RunResult;
  readonly providerStats: unknown;
  readonly progress?: BatchProgressSample[];
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const scenario = options.scenario;
  if (!scenario.batch) return written(options, await runOnce(options, { withBatch: false }));
  if (options.target !== 'gateway') {
    throw new TargetUnavailableError(
      "a batch scenario runs on the gateway target only (the background lane is `sluice serve`'s)",
    );
  }
  // Same seed, same arrivals, fresh provider and gateway each time: only the batch differs.
  const without = await runOnce(options, { withBatch: false });
  const withBatch = await runOnce(options, { withBatch: true });
  const comparison = compareBatchRuns(scenario, without, withBatch);
  return written(options, withBatch, { without: without.summary, comparison });
}

async function runOnce(options: BenchOptions, { withBatch }: { withBatch: boolean }): Promise<OneRun> {
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
    let progress: BatchProgressSample[] | undefined;
    try {
      if (scenario.prime && provider.resetCounters) {
        await primeTarget(target, scenario);
        provider.resetCounters();
      }
      // Submitted as the arrivals start: runWorkload starts the run's clock before its first await,
      // and the submission's first clock reading comes after its first await.
      const batch = withBatch ? target.startBatch?.() : undefined;
      if (withBatch && !batch) throw new TargetUnavailableError(`${target.name} cannot take a batch`);
      try {
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
        progress = await (await batch)?.stop();
      }
    } finally {
      await target.close();
    }
    const summary = summarize({ scenario, target, run, durationMs });
    return { summary, run, providerStats: provider.stats?.(), progress };
  } finally {
    await provider.close();
  }
}

async function written(
  options: BenchOptions,
  { summary, run, providerStats }: OneRun,
  batch?: BenchResult['batch'],
): Promise<BenchResult> {
  const files: string[] = [];
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    const base = join(options.outDir, `${options.scenario.name}.${options.target}`);
    await writeFile(
      `${base}.json`,
      `${JSON.stringify({ summary, providerStats, ...(batch && { batch }) }, null, 2)}\n`,
    );
    await writeFile(`${base}.svg`, runChart(summary, run, options.scenario));
    files.push(`${base}.json`, `${base}.svg`);
  }
  return { summary, run, providerStats, files, ...(batch && { batch }) };
}
