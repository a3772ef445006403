/**
 * `sluice plan --config sluice.yaml --workload workload.yaml [--json]`: a
 * workload's demand against every limit of its model group, which limits do
 * not fit (the worst first), what would fit, and the monthly cost at the
 * deployments' prices (src/planning/). Exit status: 0 fits, 1 does not fit,
 * 2 a file is missing or wrong.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../../config/load.js';
import { loadConfigFile } from '../../gateway/config/load.js';
import { PlanError, plan } from '../../planning/plan.js';
import { planJson, planText } from '../../planning/plan-report.js';
import { parseWorkloadText } from '../../planning/workload.js';

interface PlanFlags {
  config?: string;
  workload: string;
  json?: boolean;
}

/** Keys and hosts do not matter to the arithmetic: a variable the environment lacks reads as a placeholder. */
const PLACEHOLDER_ENV = new Proxy(process.env, {
  get: (env, name: string) => env[name] ?? 'unset',
});

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      "check a workload's demand against a model group's limits: which bind, what would fit, what it costs",
    )
    .option('-c, --config <file>', 'the gateway configuration (default: $SLUICE_CONFIG)')
    .requiredOption('-w, --workload <file>', 'YAML: group, requests_per_minute, input_tokens, output_tokens')
    .option('--json', 'print one JSON object instead of the table')
    .action(runPlan);
}

async function runPlan(flags: PlanFlags): Promise<void> {
  try {
    const path = flags.config ?? process.env.SLUICE_CONFIG;
    if (!path) throw new PlanError('no configuration: pass --config sluice.yaml or set SLUICE_CONFIG');
    const config = await loadConfigFile(path, PLACEHOLDER_ENV);
    let text: string;
    try {
      text = await readFile(flags.workload, 'utf8');
    } catch (error) {
      throw new PlanError(`cannot read ${flags.workload}: ${(error as Error).message}`);
    }
    const result = plan(config, parseWorkloadText(text, flags.workload));
    process.stdout.write(flags.json ? `${JSON.stringify(planJson(result), null, 2)}\n` : planText(result));
    process.exitCode = result.fits ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof PlanError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
  }
}
