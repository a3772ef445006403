/**
 * `sluice bench`: replays a named workload (bench/scenarios/<name>.yaml, or
 * a file) against a target in front of the simulator (or a real provider
 * URL), prints a table and writes `<scenario>.<target>.json` and `.svg`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { batchComparisonReport } from '../../bench/batch/batch-compare.js';
import { runBench } from '../../bench/bench.js';
import { parseDuration } from '../../bench/duration.js';
import { progressView } from '../../bench/progress.js';
import { runReport } from '../../bench/report/table.js';
import { loadScenarioFile, ScenarioError } from '../../bench/scenario.js';
import { TARGET_NAMES, type TargetName, TargetUnavailableError } from '../../bench/targets/target.js';

interface BenchFlags {
  scenario: string;
  target: TargetName[];
  duration?: number;
  seed?: number;
  maxRequests?: number;
  out: string;
  providerUrl?: string;
  apiKey?: string;
  portkeyDir?: string;
  quiet?: boolean;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function targets(value: string, previous: TargetName[] | undefined): TargetName[] {
  const names = value.split(',').map((v) => v.trim());
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown target "${name}"; one of ${TARGET_NAMES.join(', ')}`);
    }
  }
  return [...(previous ?? []), ...(names as TargetName[])];
}

/** A scenario by path, or by name under ./bench/scenarios. */
export function scenarioPath(nameOrFile: string): string {
  if (existsSync(nameOrFile)) return nameOrFile;
  const named = join('bench', 'scenarios', `${nameOrFile}.yaml`);
  if (existsSync(named)) return named;
  throw new ScenarioError(`no scenario file ${nameOrFile} and no ${named}`);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'replay a workload against a target in front of the simulator; report goodput, 429s, latency, fairness',
    )
    .requiredOption('-s, --scenario <name|file>', 'scenario name (bench/scenarios/<name>.yaml) or YAML file')
    .addOption(
      new Option('-t, --target <name>', `target(s), comma-separated or repeated: ${TARGET_NAMES.join(', ')}`)
        .argParser(targets)
        .makeOptionMandatory(),
    )
    .option('-d, --duration <time>', 'arrivals last this long (e.g. 30s); default: the scenario', duration)
    .option('--seed <n>', 'seed of the workload; default: the scenario', integer)
    .option('-n, --max-requests <n>', 'stop arrivals after this many requests', integer)
    .option('-o, --out <dir>', 'where the JSON and SVG go', 'bench/results')
    .option('--provider-url <url>', 'a real OpenAI-compatible base URL instead of the simulator')
    .option('--api-key <key>', 'key for --provider-url (default $OPENAI_API_KEY)')
    .option('--portkey-dir <dir>', 'where the portkey target installs @portkey-ai/gateway on demand')
    .option('-q, --quiet', 'no progress bar')
    .action(async (flags: BenchFlags) => {
      let scenario: Awaited<ReturnType<typeof loadScenarioFile>>;
      try {
        scenario = await loadScenarioFile(scenarioPath(flags.scenario));
      } catch (error) {
        if (error instanceof ScenarioError) {
          console.error(error.message);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
      if (flags.seed !== undefined) scenario = { ...scenario, seed: flags.seed };
      if (flags.maxRequests !== undefined) scenario = { ...scenario, max_requests: flags.maxRequests };
      for (const target of flags.target) {
        const view = await progressView(`${scenario.name}·${target}`, { quiet: flags.quiet });
        try {
          const result = await runBench({
            scenario,
            target,
            durationMs: flags.duration,
            providerUrl: flags.providerUrl,
            apiKey: flags.apiKey,
            outDir: resolve(flags.out),
            portkeyDir: flags.portkeyDir,
            onProgress: view.update,
          });
          view.stop();
          console.log(`\n${runReport(result.summary)}\n`);
          if (result.batch) console.log(`${batchComparisonReport(result.batch.comparison)}\n`);
          console.log(`wrote ${result.files.join(', ')}`);
        } catch (error) {
          view.stop();
          if (error instanceof TargetUnavailableError) {
            console.error(`${target}: cannot run: ${error.message}`);
            process.exitCode = 1;
            continue;
          }
          throw error;
        }
      }
    });
}
