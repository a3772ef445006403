/**
 * `sluice plan --config sluice.yaml --workload workload.yaml [--json]`: a
 * workload's demand against every limit of its model group, which limits do
 * not fit (the worst first), what would fit, and the monthly cost at the
 * deployments' prices (src/planning/). `--from-history` plans each group's
 * demand as the gateway recorded it over the last 7 days instead
 * (src/planning/workload-from-history.ts). Exit status: 0 fits, 1 does not
 * fit, 2 a file (or the history) is missing or wrong.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../../config/load.js';
import type { GatewayConfig } from '../../gateway/config/schema.js';
import { openHistory } from '../../history/history-from-config.js';
import { readHistory } from '../../history/history-read.js';
import { type Plan, PlanError, plan } from '../../planning/plan.js';
import { planJson, planText } from '../../planning/plan-report.js';
import { parseWorkloadText, type Workload } from '../../planning/workload.js';
import { workloadsFromHistory } from '../../planning/workload-from-history.js';
import { planningConfig } from '../planning-config.js';

const WEEK_MS = 7 * 86_400_000;

interface PlanFlags {
  config?: string;
  workload?: string;
  fromHistory?: boolean;
  json?: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      "check a workload's demand against a model group's limits: which bind, what would fit, what it costs",
    )
    .option('-c, --config <file>', 'the gateway configuration (default: $SLUICE_CONFIG)')
    .option('-w, --workload <file>', 'YAML: group, requests_per_minute, input_tokens, output_tokens')
    .option(
      '--from-history',
      "each group's demand as recorded over the last 7 days, instead of a workload file",
    )
    .option('--json', 'print one JSON object instead of the table')
    .action(runPlan);
}

async function runPlan(flags: PlanFlags): Promise<void> {
  try {
    if (!flags.workload === !flags.fromHistory)
      throw new PlanError('pass either --workload workload.yaml or --from-history');
    const config = await planningConfig(flags.config);
    if (flags.workload) {
      const result = plan(config, await workloadFile(flags.workload));
      process.stdout.write(flags.json ? `${JSON.stringify(planJson(result), null, 2)}\n` : planText(result));
      process.exitCode = result.fits ? 0 : 1;
      return;
    }
    const plans = await plansFromHistory(config);
    if (flags.json)
      process.stdout.write(
        `${JSON.stringify(
          plans.map((p) => planJson(p.plan)),
          null,
          2,
        )}\n`,
      );
    else if (plans.length === 0)
      process.stdout.write('No calls were recorded in the last 7 days: nothing to plan.\n');
    else process.stdout.write(plans.map(({ plan: p, from }) => `${from}\n${planText(p)}`).join('\n'));
    process.exitCode = plans.every((p) => p.plan.fits) ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof PlanError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
  }
}

async function workloadFile(path: string): Promise<Workload> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PlanError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseWorkloadText(text, path);
}

/** A plan per group the configuration still has, from the week the gateway recorded, and what it rests on. */
async function plansFromHistory(config: GatewayConfig): Promise<{ plan: Plan; from: string }[]> {
  const opened = await openHistory(config).catch((error: unknown) => {
    throw new PlanError(`cannot open the history: ${(error as Error).message}`);
  });
  try {
    const now = Date.now();
    const history = await readHistory(opened.store, now - WEEK_MS + 60_000, now);
    return workloadsFromHistory(history)
      .filter((w) => w.group in config.model_groups)
      .map((w) => ({
        plan: plan(config, w),
        from: `Recorded over the last 7 days: ${w.requests.toLocaleString('en-US')} calls served and ${w.refused.toLocaleString('en-US')} refused in ${w.busyMinutes.toLocaleString('en-US')} busy minutes; requests/min is the p95 busy minute, refused calls included.`,
      }));
  } finally {
    await opened.close();
  }
}
