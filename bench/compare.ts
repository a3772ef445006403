/**
 * `npm run bench:compare`: the same scenarios against the same simulator
 * limits, one run, each of: the official SDK directly, behind bottleneck,
 * through Sluice's library, through `sluice serve`, through Portkey; then the
 * proxy cost. Writes bench/results/compare.json, the per-run JSON and SVG in
 * bench/results/compare/, the summary charts, and rewrites the generated
 * part of bench/README.md from these numbers.
 *
 *   npm run bench:compare -- [--scenarios a,b] [--targets x,y] [--duration 40s] [--no-proxy]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench } from '../src/bench/bench.js';
import { parseDuration } from '../src/bench/duration.js';
import { progressView } from '../src/bench/progress.js';
import {
  type ComparisonRun,
  checksTable,
  goodputChart,
  scenarioTable,
  sluiceChecks,
  upstream429Chart,
} from '../src/bench/report/compare.js';
import { runReport } from '../src/bench/report/table.js';
import { loadScenarioFile, type Scenario } from '../src/bench/scenario.js';
import { TARGET_NAMES, type TargetName, TargetUnavailableError } from '../src/bench/targets/target.js';
import { measureProxyCost, type ProxyRow, proxyTable } from './sections/proxy.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const SCENARIOS = [
  'burst-3x',
  'heavy-tenant',
  'priorities',
  'shared-key',
  'multi-key-burst',
  'three-instances',
];
/** The fallback loop is about several keys: it runs only where a scenario has them. */
const runsOn = (target: TargetName, scenario: Scenario) =>
  target !== 'fallback' || scenario.provider.keys.length > 1;

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    targets: { type: 'string' },
    duration: { type: 'string' },
    'no-proxy': { type: 'boolean', default: false },
    /** Rewrite the charts and bench/README.md from bench/results/compare.json, without running anything. */
    'report-only': { type: 'boolean', default: false },
  },
});
const scenarios = args.scenarios ? args.scenarios.split(',') : SCENARIOS;
const targets = (args.targets ? args.targets.split(',') : [...TARGET_NAMES]) as TargetName[];
const durationMs = args.duration ? parseDuration(args.duration) : undefined;
const resultsDir = join(here, 'results');
const runsDir = join(resultsDir, 'compare');
await mkdir(runsDir, { recursive: true });

interface Comparison {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: Record<string, unknown> & { loadBefore: number[]; loadAfter: number[] };
  readonly runs: ComparisonRun[];
  readonly proxy: ProxyRow[];
}

const run: Comparison = args['report-only']
  ? (JSON.parse(await readFile(join(resultsDir, 'compare.json'), 'utf8')) as Comparison)
  : await measure();

async function measure(): Promise<Comparison> {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadBefore: loadavg().map((v) => +v.toFixed(2)),
  };
  const startedAt = new Date();
  const runs: ComparisonRun[] = [];
  for (const name of scenarios) {
    const scenario = await loadScenarioFile(join(here, 'scenarios', `${name}.yaml`));
    for (const target of targets.filter((t) => runsOn(t, scenario))) {
      const view = await progressView(`${name}·${target}`);
      try {
        const result = await runBench({
          scenario,
          target,
          durationMs,
          outDir: runsDir,
          portkeyDir: join(here, '.portkey'),
          onProgress: view.update,
        });
        view.stop();
        console.log(`\n${runReport(result.summary)}\n`);
        runs.push({ scenario: name, target, summary: result.summary });
      } catch (error) {
        view.stop();
        if (!(error instanceof TargetUnavailableError)) throw error;
        console.error(`${name} · ${target}: cannot run: ${error.message}`);
        runs.push({ scenario: name, target, unavailable: error.message });
      }
    }
  }
  let proxy: ProxyRow[] = [];
  if (!args['no-proxy']) {
    proxy = await measureProxyCost({ portkeyDir: join(here, '.portkey') });
    console.log(`\n${proxyTable(proxy)}\n`);
  }
  const finished = new Date();
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    command: `npm run bench:compare${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: { ...machine, loadAfter: loadavg().map((v) => +v.toFixed(2)) },
    runs,
    proxy,
  };
}

if (!args['report-only'])
  await writeFile(join(resultsDir, 'compare.json'), `${JSON.stringify(run, null, 2)}\n`);
await writeFile(join(resultsDir, 'compare-goodput.svg'), goodputChart(scenarios, targets, run.runs));
await writeFile(join(resultsDir, 'compare-upstream-429.svg'), upstream429Chart(scenarios, targets, run.runs));
await writeReadme(run);
console.log(`wrote ${relative(process.cwd(), join(resultsDir, 'compare.json'))} and bench/README.md`);

async function writeReadme(data: Comparison): Promise<void> {
  const file = join(here, 'README.md');
  const text = await readFile(file, 'utf8');
  const start = '<!-- compare:start -->';
  const end = '<!-- compare:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`bench/README.md lacks the ${start} … ${end} markers`);
  const minutes = ((Date.parse(data.finishedAt) - Date.parse(data.startedAt)) / 60_000).toFixed(1);
  const m = data.machine;
  const lines = [
    start,
    '',
    `Measured ${data.startedAt.slice(0, 16).replace('T', ' ')} UTC in ${minutes} min with \`${data.command}\`, on ${m.cores} × ${m.cpu}, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}. Load average (1/5/15 min) ${m.loadBefore.join(' / ')} before, ${m.loadAfter.join(' / ')} after. All processes (load generator, simulator, target, Portkey) share these cores.`,
    '',
  ];
  for (const scenario of scenarios) {
    const these = data.runs.filter((r) => r.scenario === scenario);
    const description = these.find((r) => r.summary)?.summary;
    lines.push(`### ${scenario}`, '');
    if (description) {
      const s = (await loadScenarioFile(join(here, 'scenarios', `${scenario}.yaml`))).description;
      lines.push(
        `${s}. Arrivals for ${(description.durationMs / 1_000).toFixed(0)} s; [scenario](scenarios/${scenario}.yaml).`,
        '',
      );
    }
    lines.push(scenarioTable(these), '');
    const charts = these
      .filter((r) => r.summary)
      .map((r) => `[${r.target}](results/compare/${scenario}.${r.target}.svg)`);
    if (charts.length)
      lines.push(
        `Charts per run (throughput against the limit, queue depth per class, refusals over time): ${charts.join(' · ')}`,
        '',
      );
    const sluice = these.find((r) => r.target === 'library' && r.summary);
    if (sluice) lines.push(`![${scenario} through the library](results/compare/${scenario}.library.svg)`, '');
  }
  lines.push(
    '### Summary charts',
    '',
    '![goodput](results/compare-goodput.svg)',
    '',
    '![upstream 429s](results/compare-upstream-429.svg)',
    '',
  );
  lines.push('### Against the issue’s targets', '', checksTable(sluiceChecks(data.runs)), '');
  if (data.proxy.length) {
    lines.push('### Proxy cost', '', proxyTable(data.proxy), '');
    const gateway = data.proxy.find((r) => r.target === 'gateway');
    const portkey = data.proxy.find((r) => r.target === 'portkey');
    if (gateway?.requestsPerSecond && portkey?.requestsPerSecond) {
      lines.push(
        `\`sluice serve\` / Portkey requests/s: ${(gateway.requestsPerSecond / portkey.requestsPerSecond).toFixed(1)}× (target ≥ 10×).`,
        '',
      );
    }
    if (gateway?.addedP50Ms !== undefined) {
      lines.push(
        `Added p50 through \`sluice serve\` at a fixed 600 requests/s: ${gateway.addedP50Ms.toFixed(2)} ms (target < 0.2 ms). Open-loop latency is timed from each request's send to its last byte; proxy CPU per request is the proxy process's user + system time over the closed-loop run ÷ its requests.`,
        '',
      );
    }
  }
  const missing = data.runs.filter((r) => r.unavailable);
  if (missing.length) {
    lines.push('### Did not run', '');
    for (const r of missing) lines.push(`- ${r.scenario} · ${r.target}: ${r.unavailable}`);
    lines.push('');
  }
  lines.push(end);
  await writeFile(file, `${text.slice(0, from)}${lines.join('\n')}${text.slice(to + end.length)}`);
}
