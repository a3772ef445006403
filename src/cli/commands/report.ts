/**
 * `sluice report --week [--config sluice.yaml] [--json]`: the last seven
 * days as the gateway recorded them (src/history/), reviewed per limit and
 * per tenant, with what to change (src/planning/weekly-report.ts). It reads
 * the history where the configuration's gateway writes it: the same Redis,
 * or `data_dir/history` beside the memory store. Exit status: 0 printed,
 * 2 a file or the store is missing or wrong.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../config/load.js';
import { openHistory } from '../../history/history-from-config.js';
import { readHistory } from '../../history/history-read.js';
import { PlanError } from '../../planning/plan.js';
import { weeklyReport } from '../../planning/weekly-report.js';
import { reportMarkdown } from '../../planning/weekly-report-render.js';
import { planningConfig } from '../planning-config.js';

const WEEK_MS = 7 * 86_400_000;

interface ReportFlags {
  config?: string;
  week?: boolean;
  json?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'review the recorded week: how full each limit ran, which bound, what tenants spent, what to change',
    )
    .option('-c, --config <file>', 'the gateway configuration (default: $SLUICE_CONFIG)')
    .option('--week', 'the last 7 days (the default, and so far the only period)')
    .option('--json', 'print one JSON object instead of Markdown')
    .action(runReport);
}

async function runReport(flags: ReportFlags): Promise<void> {
  try {
    const config = await planningConfig(flags.config);
    const opened = await openHistory(config).catch((error: unknown) => {
      throw new PlanError(`cannot open the history: ${(error as Error).message}`);
    });
    try {
      const now = Date.now();
      const history = await readHistory(opened.store, now - WEEK_MS + 60_000, now);
      const groups = Object.fromEntries(
        Object.entries(config.model_groups).map(([name, g]) => [name, g.deployments.map((d) => d.id)]),
      );
      const report = weeklyReport(history, groups);
      process.stdout.write(
        flags.json ? `${JSON.stringify(report, null, 2)}\n` : reportMarkdown(report, opened.where),
      );
      process.exitCode = 0;
    } finally {
      await opened.close();
    }
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof PlanError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
  }
}
